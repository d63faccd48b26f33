using System;
using System.Collections.Generic;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>Guest RAM, a packed-ring fake driver and a started device-side PackedQueue over the same ring.</summary>
internal sealed class PackedRig : IDisposable
{
    public PackedRig(ushort size = 8, ulong ramBytes = 4UL << 20, bool indirect = true, bool eventIdx = true)
    {
        Ram = new GuestRam(ramBytes);
        Driver = new PackedDriver(Ram, size);
        Queue = Driver.CreateQueue(indirect: indirect, eventIdx: eventIdx);
        Chains = new DescriptorChain[size];
        for (int i = 0; i < size; i++)
        {
            Chains[i] = new DescriptorChain((2 * size) + 8);
        }

        Chain = Chains[0];
        Data = Ram.Alloc(64 * 1024, 4096);
    }

    public GuestRam Ram { get; }

    public PackedDriver Driver { get; }

    public PackedQueue<FakeGuestMemory> Queue { get; }

    public DescriptorChain[] Chains { get; }

    public DescriptorChain Chain { get; }

    /// <summary>64 KiB of plain buffer space (the device never checks contents).</summary>
    public ulong Data { get; }

    public Buf R(uint len = 16, uint at = 0) => new(Data + at, len, false);

    public Buf W(uint len = 16, uint at = 0) => new(Data + 32768 + at, len, true);

    /// <summary>Pops one chain into <see cref="Chain"/>, asserting one is there.</summary>
    public DescriptorChain Pop() => Pop(Chain);

    public DescriptorChain Pop(DescriptorChain chain)
    {
        Assert.True(Queue.TryPop(chain), "expected a chain; broken: " + Queue.BrokenReason);
        return chain;
    }

    /// <summary>Publishes, pops everything available, completes in pop order with len = id + 1000, and returns what the driver sees.</summary>
    public List<UsedEntry> RoundTrip()
    {
        Driver.Publish();
        int n = 0;
        while (Queue.TryPop(Chains[n]))
        {
            n++;
        }

        for (int i = 0; i < n; i++)
        {
            Queue.Complete(Chains[i], Chains[i].Head + 1000u);
        }

        return Driver.TakeUsed();
    }

    public void Dispose() => Ram.Dispose();
}
