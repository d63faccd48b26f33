using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Testing;

/// <summary>A buffer of a chain as the driver describes it.</summary>
public readonly record struct Buf(ulong Iova, uint Length, bool DeviceWrites);

/// <summary>One used-ring entry as the driver reads it.</summary>
public readonly record struct UsedEntry(uint Id, uint Length);

/// <summary>
/// The driver side of a split virtqueue, in plain memory (modelled on rust-vmm virtio-queue's mock):
/// lays out the rings, adds chains (valid or deliberately broken), publishes them and reads the used ring.
/// </summary>
public sealed unsafe class SplitDriver
{
    private readonly GuestRam _ram;
    private readonly Stack<ushort> _free = new();
    private readonly Dictionary<ushort, List<ushort>> _inUse = new();
    private ushort _availIdx;
    private ushort _usedSeen;

    /// <summary>Lays out a ring of <paramref name="size"/> entries in <paramref name="ram"/>.</summary>
    public SplitDriver(GuestRam ram, ushort size)
    {
        _ram = ram;
        Size = size;
        DescIova = ram.Alloc(SplitRingLayout.DescriptorTableBytes(size), 16);
        AvailIova = ram.Alloc(SplitRingLayout.AvailRingBytes(size), 2);
        UsedIova = ram.Alloc(SplitRingLayout.UsedRingBytes(size), 4);
        for (int i = size - 1; i >= 0; i--)
        {
            _free.Push((ushort)i);
        }
    }

    /// <summary>Ring size.</summary>
    public ushort Size { get; }

    /// <summary>Descriptor table IOVA.</summary>
    public ulong DescIova { get; }

    /// <summary>Avail ring IOVA.</summary>
    public ulong AvailIova { get; }

    /// <summary>Used ring IOVA.</summary>
    public ulong UsedIova { get; }

    /// <summary>The three ring areas, as the device is given them.</summary>
    public RingAddresses Rings => new(DescIova, AvailIova, UsedIova);

    /// <summary>
    /// A device-side queue over these rings, started at avail index <paramref name="availIndex"/>
    /// (virtio-queue's mock <c>create_queue</c>); throws when the rings do not map.
    /// </summary>
    public SplitQueue<FakeGuestMemory> CreateQueue(bool indirect = false, bool eventIdx = false, RingJournal? journal = null, ushort availIndex = 0)
    {
        var queue = new SplitQueue<FakeGuestMemory>(_ram.Memory, Size) { Indirect = indirect, EventIdx = eventIdx, Journal = journal };
        string? error = queue.Start(Rings, RingPosition.Split(availIndex));
        return error == null ? queue : throw new InvalidOperationException("the split queue did not start: " + error);
    }

    /// <summary>Descriptors not in any outstanding chain.</summary>
    public int FreeDescriptors => _free.Count;

    /// <summary>Chains added and not yet seen in the used ring.</summary>
    public int Outstanding => _inUse.Count;

    private vring_desc* Desc => (vring_desc*)_ram.Host(DescIova);

    private vring_avail* Avail => (vring_avail*)_ram.Host(AvailIova);

    private ushort* AvailRing => (ushort*)(_ram.Host(AvailIova) + SplitRingLayout.RingEntriesOffset);

    private vring_used* Used => (vring_used*)_ram.Host(UsedIova);

    private vring_used_elem* UsedRing => (vring_used_elem*)(_ram.Host(UsedIova) + SplitRingLayout.RingEntriesOffset);

    /// <summary>Adds a well-formed chain and puts its head in the avail ring (unpublished). Returns the head.</summary>
    public ushort AddChain(params Buf[] buffers)
    {
        if (buffers.Length == 0 || buffers.Length > _free.Count)
        {
            throw new InvalidOperationException("no room for a chain of " + buffers.Length);
        }

        var ids = new List<ushort>(buffers.Length);
        for (int i = 0; i < buffers.Length; i++)
        {
            ids.Add(_free.Pop());
        }

        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((last ? 0 : VirtioConstants.VRING_DESC_F_NEXT) | (buffers[i].DeviceWrites ? VirtioConstants.VRING_DESC_F_WRITE : 0));
            WriteDescriptor(ids[i], buffers[i].Iova, buffers[i].Length, flags, last ? (ushort)0 : ids[i + 1]);
        }

        _inUse[ids[0]] = ids;
        PushHead(ids[0]);
        return ids[0];
    }

    /// <summary>Writes a raw descriptor (for broken chains). The caller owns index bookkeeping.</summary>
    public void WriteDescriptor(ushort index, ulong addr, uint length, ushort flags, ushort next)
    {
        Desc[index] = new vring_desc { addr = addr, len = length, flags = flags, next = next };
    }

    /// <summary>Takes descriptors out of the free list for a hand-built chain and records it as outstanding under the first id.</summary>
    public ushort[] Reserve(int count)
    {
        var ids = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = _free.Pop();
        }

        _inUse[ids[0]] = new List<ushort>(ids);
        return ids;
    }

    /// <summary>Puts <paramref name="head"/> in the next avail slot without publishing.</summary>
    public void PushHead(ushort head)
    {
        AvailRing[_availIdx & (Size - 1)] = head;
        _availIdx++;
    }

    /// <summary>Publishes every pushed head with one avail->idx store (release, as a real driver does).</summary>
    public void Publish() => Volatile.Write(ref Avail->idx, _availIdx);

    /// <summary>Writes avail->idx directly (to break the ring on purpose).</summary>
    public void ForceAvailIndex(ushort idx) => Volatile.Write(ref Avail->idx, idx);

    /// <summary>Sets or clears VRING_AVAIL_F_NO_INTERRUPT.</summary>
    public void SuppressInterrupts(bool suppress) => Avail->flags = suppress ? VirtioConstants.VRING_AVAIL_F_NO_INTERRUPT : (ushort)0;

    /// <summary>Used index the driver has read up to with <see cref="TakeUsed"/>.</summary>
    public ushort LastSeenUsed => _usedSeen;

    /// <summary>Avail index after the heads pushed so far (published or not).</summary>
    public ushort PushedAvail => _availIdx;

    /// <summary>used->flags as the driver reads it (VRING_USED_F_NO_NOTIFY).</summary>
    public ushort UsedFlags => Volatile.Read(ref Used->flags);

    /// <summary>Writes used_event (after the avail ring's entries): the used index the driver wants an interrupt past.</summary>
    public void WriteUsedEvent(ushort usedEvent) => Volatile.Write(ref AvailRing[Size], usedEvent);

    /// <summary>Reads avail_event (after the used ring's entries): the avail index the device wants a kick past.</summary>
    public ushort ReadAvailEvent() => Volatile.Read(ref *(ushort*)(UsedRing + Size));

    /// <summary>
    /// Moves both free-running indices of an idle ring to <paramref name="index"/> (as if that many requests had
    /// completed) and writes avail->idx and used->idx; start the device with that avail index afterwards.
    /// </summary>
    public void SkipTo(ushort index)
    {
        if (_inUse.Count != 0 || _availIdx != Volatile.Read(ref Avail->idx))
        {
            throw new InvalidOperationException("the ring is not idle");
        }

        _availIdx = index;
        _usedSeen = index;
        Volatile.Write(ref Avail->idx, index);
        Volatile.Write(ref Used->idx, index);
    }

    /// <summary>Writes one raw entry of an indirect table at <paramref name="tableIova"/> (for broken tables).</summary>
    public void WriteTableEntry(ulong tableIova, int index, ulong addr, uint length, ushort flags, ushort next)
    {
        Unsafe.WriteUnaligned(_ram.Host(tableIova + (16UL * (ulong)index)), new vring_desc { addr = addr, len = length, flags = flags, next = next });
    }

    /// <summary>Writes a well-formed indirect table (entry i links to i + 1) for <paramref name="buffers"/>; returns its length in bytes.</summary>
    public uint WriteIndirectTable(ulong tableIova, params Buf[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((last ? 0 : VirtioConstants.VRING_DESC_F_NEXT) | (buffers[i].DeviceWrites ? VirtioConstants.VRING_DESC_F_WRITE : 0));
            WriteTableEntry(tableIova, i, buffers[i].Iova, buffers[i].Length, flags, last ? (ushort)0 : (ushort)(i + 1));
        }

        return 16u * (uint)buffers.Length;
    }

    /// <summary>Adds a chain of one VRING_DESC_F_INDIRECT descriptor whose table (allocated in guest RAM) lists <paramref name="buffers"/>. Returns the head.</summary>
    public ushort AddIndirectChain(params Buf[] buffers) => AddIndirectChain(_ram.Alloc(16UL * (ulong)buffers.Length, 16), [], buffers);

    /// <summary>
    /// Adds <paramref name="direct"/> as normal chained descriptors followed by one VRING_DESC_F_INDIRECT descriptor
    /// pointing at a table written at <paramref name="tableIova"/> for <paramref name="table"/> (unpublished). Returns the head.
    /// </summary>
    public ushort AddIndirectChain(ulong tableIova, Buf[] direct, Buf[] table)
    {
        if (table.Length == 0 || direct.Length + 1 > _free.Count)
        {
            throw new InvalidOperationException("no room for an indirect chain of " + direct.Length + " + 1 descriptors and " + table.Length + " table entries");
        }

        uint tableBytes = WriteIndirectTable(tableIova, table);
        ushort[] ids = Reserve(direct.Length + 1);
        for (int i = 0; i < direct.Length; i++)
        {
            ushort flags = (ushort)(VirtioConstants.VRING_DESC_F_NEXT | (direct[i].DeviceWrites ? VirtioConstants.VRING_DESC_F_WRITE : 0));
            WriteDescriptor(ids[i], direct[i].Iova, direct[i].Length, flags, ids[i + 1]);
        }

        WriteDescriptor(ids[direct.Length], tableIova, tableBytes, VirtioConstants.VRING_DESC_F_INDIRECT, 0);
        PushHead(ids[0]);
        return ids[0];
    }

    /// <summary>Reads new used entries and frees their descriptors. Throws on an id never handed out or handed back twice.</summary>
    public List<UsedEntry> TakeUsed()
    {
        var result = new List<UsedEntry>();
        ushort end = Volatile.Read(ref Used->idx);
        while (_usedSeen != end)
        {
            vring_used_elem e = UsedRing[_usedSeen & (Size - 1)];
            _usedSeen++;
            if (e.id >= Size || !_inUse.Remove((ushort)e.id, out List<ushort>? ids))
            {
                throw new InvalidOperationException("device returned id " + e.id + " that is not outstanding");
            }

            foreach (ushort id in ids)
            {
                _free.Push(id);
            }

            result.Add(new UsedEntry(e.id, e.len));
        }

        return result;
    }
}
