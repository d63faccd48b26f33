using System;
using VduseAot.Interop;
using VduseAot.Testing;
using VduseAot.Virtio;

namespace VduseAot.Benchmarks;

/// <summary>
/// Guest RAM, a 256-entry split ring (driver and device side) and <c>count</c> virtio-blk chains of three
/// descriptors (16-byte header, data, 1-byte status) built once; benchmarks re-push the same heads.
/// </summary>
internal sealed class RingFixture : IDisposable
{
    public const ushort QueueSize = 256;

    public RingFixture(int count, uint type = VirtioBlk.VIRTIO_BLK_T_IN, uint dataBytes = 4096)
    {
        Ram = new GuestRam(16 << 20);
        Driver = new SplitDriver(Ram, QueueSize);
        Ring = Driver.CreateQueue();

        var builder = new BlkRequestBuilder(Ram, Driver);
        Heads = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            Heads[i] = builder.Add(type, (ulong)i * 8, dataBytes).Head;
        }

        // The builder pushed the heads unpublished; drain them once so every iteration starts from an empty ring.
        Driver.Publish();
        var chain = new DescriptorChain(16);
        while (Ring.TryPop(chain))
        {
            Ring.AddUsed(chain.Head, 0);
        }

        Ring.PublishUsed();
    }

    public GuestRam Ram { get; }

    public SplitDriver Driver { get; }

    public SplitQueue<FakeGuestMemory> Ring { get; }

    public ushort[] Heads { get; }

    /// <summary>Makes the <paramref name="n"/> first chains available again with one avail->idx store.</summary>
    public void Republish(int n)
    {
        for (int i = 0; i < n; i++)
        {
            Driver.PushHead(Heads[i]);
        }

        Driver.Publish();
    }

    public void Dispose() => Ram.Dispose();
}
