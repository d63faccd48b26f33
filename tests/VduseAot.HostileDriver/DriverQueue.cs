using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>One used-ring element as the driver read it.</summary>
/// <param name="Id">The head the device returned.</param>
/// <param name="Length">Bytes it says it wrote.</param>
public readonly record struct UsedElement(uint Id, uint Length);

/// <summary>
/// The driver side of one split virtqueue (virtio 1.2 section 2.7) in <see cref="DriverMemory.Rings"/>:
/// writes descriptors and avail entries (also malformed ones), kicks through the kick eventfd and
/// collects used elements, waking on the call eventfd.
/// </summary>
public sealed unsafe class DriverQueue : IDisposable
{
    private const ulong RingBytes = 16 * 1024;
    private readonly vring_desc* _desc;
    private readonly vring_avail* _avail;
    private readonly vring_used* _used;
    private ushort _availIdx;
    private ushort _lastUsed;

    /// <summary>Queue <paramref name="index"/> of <paramref name="size"/> entries in <paramref name="memory"/>.</summary>
    public DriverQueue(DriverMemory memory, uint index, ushort size)
    {
        ArgumentNullException.ThrowIfNull(memory);
        Index = index;
        Size = size;
        ulong at = index * RingBytes;
        _desc = (vring_desc*)memory.Host(DriverMemory.Rings, at);
        _avail = (vring_avail*)memory.Host(DriverMemory.Rings, at + 4096);
        _used = (vring_used*)memory.Host(DriverMemory.Rings, at + 8192);
        DescIova = DriverMemory.Rings.At(at);
        AvailIova = DriverMemory.Rings.At(at + 4096);
        UsedIova = DriverMemory.Rings.At(at + 8192);
        KickFd = OwnedFd.FromResult(LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK)) ?? throw DriverException.FromErrno("eventfd");
        CallFd = OwnedFd.FromResult(LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK)) ?? throw DriverException.FromErrno("eventfd");
        Clear();
    }

    /// <summary>The queue's index.</summary>
    public uint Index { get; }

    /// <summary>Entries.</summary>
    public ushort Size { get; }

    /// <summary>IOVAs of the three parts, for VHOST_SET_VRING_ADDR.</summary>
    public ulong DescIova { get; }

    /// <inheritdoc cref="DescIova"/>
    public ulong AvailIova { get; }

    /// <inheritdoc cref="DescIova"/>
    public ulong UsedIova { get; }

    /// <summary>Written by the driver to notify the device.</summary>
    public OwnedFd KickFd { get; }

    /// <summary>Signalled by the kernel when the device interrupts.</summary>
    public OwnedFd CallFd { get; }

    /// <summary>The driver's next avail index.</summary>
    public ushort AvailIndex => _availIdx;

    /// <summary>Zeroes the ring and the driver's indexes, as after a device reset.</summary>
    public void Clear()
    {
        new Span<byte>(_desc, (int)RingBytes).Clear();
        _availIdx = 0;
        _lastUsed = 0;
        ulong drained;
        _ = LibC.read(CallFd.Value, &drained, sizeof(ulong));
    }

    /// <summary>Writes descriptor <paramref name="index"/> of the table; its fields may be anything, also hostile.</summary>
    public void SetDesc(ushort index, ulong addr, uint len, ushort flags, ushort next = 0)
    {
        if (index >= Size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "descriptor " + index + " is past the table of " + Size);
        }

        _desc[index] = new vring_desc { addr = addr, len = len, flags = flags, next = next };
    }

    /// <summary>Puts <paramref name="head"/> (any value, also out of range) in the avail ring; visible after <see cref="Publish"/>.</summary>
    public void Add(ushort head)
    {
        ushort* ring = (ushort*)((byte*)_avail + 4);
        ring[_availIdx % Size] = head;
        _availIdx++;
    }

    /// <summary>Release-stores avail->idx: the device may now read the entries added.</summary>
    public void Publish() => Volatile.Write(ref _avail->idx, _availIdx);

    /// <summary>Stores an arbitrary avail->idx (a hostile jump); the driver's own index is not moved.</summary>
    public void PublishRaw(ushort idx) => Volatile.Write(ref _avail->idx, idx);

    /// <summary>Notifies the device.</summary>
    public void Kick()
    {
        ulong one = 1;
        if (LibC.write(KickFd.Value, &one, sizeof(ulong)) != sizeof(ulong))
        {
            throw DriverException.FromErrno("write of queue " + Index + "'s kick eventfd");
        }
    }

    /// <summary>
    /// Collects used elements until <paramref name="count"/> arrived or <paramref name="timeoutMs"/>
    /// passed; returns what arrived (fewer on a timeout, which the caller judges).
    /// </summary>
    public List<UsedElement> WaitUsed(int count, int timeoutMs)
    {
        var got = new List<UsedElement>(count);
        var clock = Stopwatch.StartNew();
        vring_used_elem* ring = (vring_used_elem*)((byte*)_used + 4);
        while (true)
        {
            // Acquire: the elements the device wrote before it moved idx.
            ushort idx = Volatile.Read(ref _used->idx);
            while (_lastUsed != idx && got.Count < count)
            {
                vring_used_elem e = ring[_lastUsed % Size];
                got.Add(new UsedElement(e.id, e.len));
                _lastUsed++;
            }

            long left = timeoutMs - clock.ElapsedMilliseconds;
            if (got.Count >= count || left <= 0)
            {
                return got;
            }

            WaitCall((int)Math.Min(left, 50));
        }
    }

    /// <summary>Used elements the device published and the driver has not collected.</summary>
    public int Pending => (ushort)(Volatile.Read(ref _used->idx) - _lastUsed);

    private void WaitCall(int timeoutMs)
    {
        // The call eventfd only shortens the wait: the used index is what counts, so a lost or
        // suppressed interrupt costs at most the poll interval.
        var fd = new pollfd { fd = CallFd.Value, events = LibC.POLLIN };
        if (Sys.poll(&fd, 1, timeoutMs) > 0)
        {
            ulong n;
            _ = LibC.read(CallFd.Value, &n, sizeof(ulong));
        }
    }

    /// <summary>Closes the eventfds.</summary>
    public void Dispose()
    {
        KickFd.Dispose();
        CallFd.Dispose();
    }
}
