using System;
using System.Runtime.InteropServices;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// One queue thread's NVMe/TCP I/O queue (the connection layer is <see cref="QueueConnection"/>): the
/// slot index is the command id; commands go as capsules in slot-owned headers with a write's data in
/// the capsule up to the controller's in-capsule size, else sent as H2CData when the controller asks
/// (R2T), straight from the guest's buffers (NvmeTcpQueueIo.Send.cs); C2HData lands in the guest's
/// buffers and responses end the commands in any order (NvmeTcpQueueIo.Receive.cs).
/// </summary>
internal sealed unsafe partial class NvmeTcpQueueIo : QueueConnection
{
    // Per slot: the capsule header (8 + 64 + header digest), a Dataset Management range, the capsule's
    // data digest, the H2CData header (24 + header digest) and its data digest.
    private const int SlotBytes = 256;
    private const int CapsuleAt = 0;
    private const int RangeAt = 80;
    private const int CapsuleDigestAt = 96;
    private const int H2CAt = 128;
    private const int H2CDigestAt = 160;

    // Zeroes for the padding before data the controller wants aligned (CPDA, at most 128 bytes), and
    // scratch for the padding and digest around received data.
    private const int PadBytes = 256;

    private readonly NvmeTcpBackend _backend;
    private readonly int _number;
    private readonly uint _nsid;
    private readonly int _blockShift;
    private readonly bool _headerDigest;
    private readonly bool _dataDigest;
    private readonly uint _inCapsuleBytes;
    private readonly uint _maxCommandBytes;
    private NvmeIoCommand[] _commands = [];
    private ushort[] _transfers = [];
    private int _transferHead;
    private int _transferCount;
    private byte* _slotMemory;
    private byte* _zeroes;
    private byte* _rxPad;
    private byte* _rxDigest;
    private int _dataAlignment = 4;
    private uint _maxH2CData = 4096;
    private int _depth = 1;
    private int _outstanding;
    private ulong _batch;
    private bool _batchHeadersStable;

    /// <summary>I/O queue <paramref name="number"/> + 1 (connection <paramref name="name"/>) of <paramref name="backend"/> on <paramref name="ring"/>.</summary>
    public NvmeTcpQueueIo(NvmeTcpBackend backend, IoUring ring, string name, int number)
        : base(backend.Connector, ring, name, number, backend.Options.Endpoint.ToString(), backend.ReconnectTimeoutTicks, backend.Log)
    {
        _backend = backend;
        _number = number;
        _nsid = backend.Options.Nsid;
        _blockShift = System.Numerics.BitOperations.Log2(backend.Target.Namespace.BlockBytes);
        _headerDigest = backend.Options.HeaderDigest;
        _dataDigest = backend.Options.DataDigest;
        _inCapsuleBytes = backend.Target.Controller.InCapsuleBytes;
        _maxCommandBytes = backend.MaxCommandBytes;
        backend.Track(this);
    }

    /// <inheritdoc />
    protected override void AttachSlots(int slots)
    {
        _commands = new NvmeIoCommand[slots];
        _transfers = new ushort[slots];
        nuint bytes = (nuint)((slots * SlotBytes) + PadBytes + PadBytes + 64);
        _slotMemory = (byte*)NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_slotMemory, bytes);
        _zeroes = _slotMemory + (slots * SlotBytes);
        _rxPad = _zeroes + PadBytes;
        _rxDigest = _rxPad + PadBytes;
    }

    /// <inheritdoc />
    protected override void FreeSlots()
    {
        NativeMemory.AlignedFree(_slotMemory);
        _slotMemory = null;
    }

    /// <inheritdoc />
    protected override void Untrack() => _backend.Untrack(this, _number);

    /// <inheritdoc />
    protected override void OnConnected(ConnectionDial dial)
    {
        if (dial.Session is NvmeTcpLink link)
        {
            _dataAlignment = link.DataAlignment;
            _maxH2CData = link.MaxH2CData & ~3u;
            _depth = link.QueueEntries - 1;
        }
    }

    /// <inheritdoc />
    protected override void OnDisconnected()
    {
        // Nothing sent on the old connection is outstanding on the new one, and no R2T of it stands.
        _outstanding = 0;
        _transferHead = _transferCount = 0;
        for (int i = 0; i < _commands.Length; i++)
        {
            _commands[i].Transferring = false;
        }
    }

    /// <inheritdoc />
    public override byte StartTransfer(BlkSlot slot, bool write)
    {
        slot.PrepareTransfer(slot.Request.Sector * VirtioBlk.SECTOR_SIZE);
        if (slot.Remaining == 0)
        {
            return VirtioBlk.VIRTIO_BLK_S_OK;
        }

        ref NvmeIoCommand c = ref _commands[slot.Index];
        c.Opcode = write ? NvmeProto.nvme_cmd_write : NvmeProto.nvme_cmd_read;
        c.Base = slot.Offset;
        c.End = slot.Offset + slot.Remaining;
        c.Offset = c.Base;
        return Queue(slot.Index);
    }

    /// <inheritdoc />
    public override byte StartFlush(BlkSlot slot)
    {
        if (!_backend.Target.Controller.VolatileWriteCache)
        {
            return VirtioBlk.VIRTIO_BLK_S_OK; // no volatile cache: every completed write is durable
        }

        ref NvmeIoCommand c = ref _commands[slot.Index];
        c.Opcode = NvmeProto.nvme_cmd_flush;
        c.Base = c.End = c.Offset = 0;
        return Queue(slot.Index);
    }

    /// <inheritdoc />
    public override byte StartZeroing(BlkSlot slot, bool discard)
    {
        ref NvmeIoCommand c = ref _commands[slot.Index];
        c.Opcode = discard ? NvmeProto.nvme_cmd_dsm : NvmeProto.nvme_cmd_write_zeroes;
        c.Range = 0;
        return NextRange(slot, ref c) ? Queue(slot.Index) : VirtioBlk.VIRTIO_BLK_S_OK;
    }

    /// <summary>Moves <paramref name="c"/> to the next non-empty range of the slot; false when none is left.</summary>
    private static bool NextRange(BlkSlot slot, ref NvmeIoCommand c)
    {
        for (; c.Range < slot.RangeCount; c.Range++)
        {
            virtio_blk_discard_write_zeroes r = slot.Ranges[c.Range];
            if (r.num_sectors == 0)
            {
                continue;
            }

            c.Base = c.Offset = r.sector * VirtioBlk.SECTOR_SIZE;
            c.End = c.Base + ((ulong)r.num_sectors * VirtioBlk.SECTOR_SIZE);
            c.Unmap = (r.flags & BlkLimits.WriteZeroesFlagUnmap) != 0;
            c.Range++;
            return true;
        }

        return false;
    }

    /// <summary>The command of slot <paramref name="index"/> was answered: ends the request, or queues its next command.</summary>
    private void CommandDone(ushort index)
    {
        _outstanding--;
        ref NvmeIoCommand c = ref _commands[index];
        c.Transferring = false;
        BlkSlot slot = Finisher.Slot(index);
        if (Tracks[index].Status == VirtioBlk.VIRTIO_BLK_S_OK && c.Opcode != NvmeProto.nvme_cmd_flush)
        {
            c.Offset += c.Length;
            if (c.Offset < c.End)
            {
                Enqueue(index);
                return;
            }

            if (c.Opcode is NvmeProto.nvme_cmd_read or NvmeProto.nvme_cmd_write)
            {
                slot.Written = c.Opcode == NvmeProto.nvme_cmd_read ? (uint)(c.End - c.Base) : 0;
            }
            else if (NextRange(slot, ref c))
            {
                Enqueue(index);
                return;
            }
        }

        Finish(index);
    }

    /// <summary>
    /// Bytes of the next command of <paramref name="c"/>: what is left, within what one command moves
    /// (reads and writes: MDTS and the 16-bit block count; write zeroes: the block count; a
    /// deallocated range: 2 GiB, far below its 32-bit block count).
    /// </summary>
    private uint NextLength(ref NvmeIoCommand c) => (uint)Math.Min(c.End - c.Offset, c.Opcode switch
    {
        NvmeProto.nvme_cmd_dsm => 1UL << 31,
        NvmeProto.nvme_cmd_write_zeroes => 65536UL << _blockShift,
        _ => _maxCommandBytes,
    });

    private byte* SlotArea(ushort index) => _slotMemory + (index * SlotBytes);
}
