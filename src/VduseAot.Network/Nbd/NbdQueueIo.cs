using System;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;

namespace VduseAot.Network.Nbd;

/// <summary>
/// One queue thread's NBD connection (the connection layer is <see cref="QueueConnection"/>): requests
/// become NBD commands in slot-owned headers, gathered with the guest's write buffers (no copy);
/// replies are parsed in any order and matched by cookie (NbdQueueIo.Receive.cs).
/// </summary>
internal sealed unsafe partial class NbdQueueIo : QueueConnection
{
    private const int HeaderBytes = NbdWire.ExtendedRequestBytes;

    private readonly NbdBackend _backend;
    private readonly bool _extended;
    private readonly uint _maxPayload;
    private NbdCommand[] _commands = [];
    private byte* _headers;
    private ulong _sends;

    /// <summary>A connection for <paramref name="name"/> (in messages: "queue 1", "shared connection") of queue <paramref name="number"/> on <paramref name="ring"/>.</summary>
    public NbdQueueIo(NbdBackend backend, IoUring ring, string name, int number)
        : base(backend.Connector, ring, name, number, backend.Uri.Endpoint.ToString(), backend.ReconnectTimeoutTicks, backend.Log)
    {
        _backend = backend;
        _extended = backend.Export.ExtendedHeaders;
        _maxPayload = Math.Max(backend.Export.MaximumPayload & ~511u, 512u);
        backend.Track(this);
    }

    /// <inheritdoc />
    protected override void AttachSlots(int slots)
    {
        _commands = new NbdCommand[slots];
        _headers = (byte*)NativeMemory.AlignedAlloc((nuint)(slots * HeaderBytes), 64);
    }

    /// <inheritdoc />
    protected override void FreeSlots()
    {
        NativeMemory.AlignedFree(_headers);
        _headers = null;
    }

    /// <inheritdoc />
    protected override void Untrack() => _backend.Untrack(this);

    /// <inheritdoc />
    public override byte StartTransfer(BlkSlot slot, bool write) => StartTransfer(slot.Index, slot, write);

    /// <inheritdoc />
    public override byte StartFlush(BlkSlot slot) => StartFlush(slot.Index);

    /// <inheritdoc />
    public override byte StartZeroing(BlkSlot slot, bool discard) => StartZeroing(slot.Index, slot, discard);

    /// <summary>
    /// Starts a transfer as command <paramref name="index"/> (the finisher's slot index: a queue's own
    /// slot, or a shared connection's number for another queue's slot).
    /// </summary>
    internal byte StartTransfer(ushort index, BlkSlot slot, bool write)
    {
        slot.PrepareTransfer(slot.Request.Sector * VirtioBlk.SECTOR_SIZE);
        if (slot.Remaining == 0)
        {
            return VirtioBlk.VIRTIO_BLK_S_OK;
        }

        ref NbdCommand c = ref _commands[index];
        c.Type = write ? NbdProto.NBD_CMD_WRITE : NbdProto.NBD_CMD_READ;
        c.Flags = 0;
        c.Base = slot.Offset;
        c.End = slot.Offset + slot.Remaining;
        c.Offset = c.Base;
        return Queue(index);
    }

    /// <summary>Starts a flush as command <paramref name="index"/>.</summary>
    internal byte StartFlush(ushort index)
    {
        if (!_backend.Export.CanFlush)
        {
            return VirtioBlk.VIRTIO_BLK_S_OK; // nothing to flush: the server writes through
        }

        ref NbdCommand c = ref _commands[index];
        c.Type = NbdProto.NBD_CMD_FLUSH;
        c.Flags = 0;
        c.Offset = 0;
        c.Length = 0; // servers refuse a flush with a length (nbdkit: EINVAL)
        c.Base = c.End = 0;
        return Queue(index);
    }

    /// <summary>Starts a discard or write-zeroes as command <paramref name="index"/>.</summary>
    internal byte StartZeroing(ushort index, BlkSlot slot, bool discard)
    {
        ref NbdCommand c = ref _commands[index];
        c.Type = discard ? NbdProto.NBD_CMD_TRIM : NbdProto.NBD_CMD_WRITE_ZEROES;
        c.Range = 0;
        return NextRange(slot, ref c) ? Queue(index) : VirtioBlk.VIRTIO_BLK_S_OK;
    }

    /// <summary>Moves <paramref name="c"/> to the next non-empty range of the slot; false when none is left.</summary>
    private static bool NextRange(BlkSlot slot, ref NbdCommand c)
    {
        for (; c.Range < slot.RangeCount; c.Range++)
        {
            virtio_blk_discard_write_zeroes r = slot.Ranges[c.Range];
            if (r.num_sectors == 0)
            {
                continue;
            }

            c.Offset = r.sector * VirtioBlk.SECTOR_SIZE;
            c.Length = r.num_sectors * VirtioBlk.SECTOR_SIZE;
            c.Flags = c.Type == NbdProto.NBD_CMD_WRITE_ZEROES && (r.flags & BlkLimits.WriteZeroesFlagUnmap) == 0
                ? NbdProto.NBD_CMD_FLAG_NO_HOLE : (ushort)0;
            c.Range++;
            return true;
        }

        return false;
    }

    /// <summary>Moves queued commands into one gather list: each header, then a write's data straight from the guest.</summary>
    protected override void BuildBatch()
    {
        while (QueuedCount > 0)
        {
            ushort index = PeekQueued();
            ref NbdCommand c = ref _commands[index];
            BlkSlot slot = Finisher.Slot(index);
            if (c.Type is NbdProto.NBD_CMD_READ or NbdProto.NBD_CMD_WRITE)
            {
                c.Length = (uint)Math.Min(c.End - c.Offset, _maxPayload);
            }

            int pieces = 1 + (c.Type == NbdProto.NBD_CMD_WRITE ? SegmentsCovering(slot, c.Offset - c.Base, c.Length) : 0);
            if (pieces > SendIovRoom)
            {
                break; // the next batch takes it
            }

            c.Cookie = index | (++_sends << 16);
            c.Covered = 0;
            byte* header = _headers + (index * HeaderBytes);
            AddSendIov(header, (ulong)NbdWire.WriteRequest(header, _extended, c.Type, c.Flags, c.Cookie, c.Offset, c.Length));
            if (c.Type == NbdProto.NBD_CMD_WRITE)
            {
                AddSendSegments(slot, c.Offset - c.Base, c.Length);
            }

            // Sent from now on: the reply can only come once the server has had the whole command.
            PopQueued();
        }
    }

    /// <summary>Ends the request of slot <paramref name="index"/>, or sends its next command.</summary>
    private void CommandDone(ushort index)
    {
        ref NbdCommand c = ref _commands[index];
        BlkSlot slot = Finisher.Slot(index);
        if (Tracks[index].Status == VirtioBlk.VIRTIO_BLK_S_OK)
        {
            if (c.Type is NbdProto.NBD_CMD_READ or NbdProto.NBD_CMD_WRITE)
            {
                c.Offset += c.Length;
                if (c.Offset < c.End)
                {
                    Enqueue(index);
                    return;
                }

                slot.Written = c.Type == NbdProto.NBD_CMD_READ ? (uint)(c.End - c.Base) : 0;
            }
            else if (c.Type is NbdProto.NBD_CMD_TRIM or NbdProto.NBD_CMD_WRITE_ZEROES && NextRange(slot, ref c))
            {
                Enqueue(index);
                return;
            }
        }

        Finish(index);
    }

    /// <summary>NBD_CMD_DISC: a soft disconnect, so the server does not log a dropped client.</summary>
    protected override void SayGoodbye()
    {
        byte* disc = stackalloc byte[NbdWire.ExtendedRequestBytes];
        int length = NbdWire.WriteRequest(disc, _extended, NbdProto.NBD_CMD_DISC, 0, 0, 0, 0);
        _ = LibC.send(SocketFd, disc, length, LibC.MSG_NOSIGNAL | LibC.MSG_DONTWAIT);
    }

    /// <inheritdoc />
    protected override void OnDisconnected() => _skipLeft = 0;

    /// <inheritdoc />
    protected override void OnConnected(ConnectionDial dial) => _skipLeft = 0;
}
