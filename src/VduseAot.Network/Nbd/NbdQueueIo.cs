using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network.Nbd;

/// <summary>
/// One queue thread's NBD connection, driven through that thread's io_uring: requests become NBD
/// commands in slot-owned headers, gathered into one SENDMSG with the guest's write buffers (no copy);
/// one receive at a time parses replies in any order, matched by cookie, and read data is received
/// straight into the guest's buffers. A lost connection keeps its commands and sends them again on
/// the next one (see NbdQueueIo.Connection.cs); replies are parsed in NbdQueueIo.Receive.cs.
/// Allocates only when constructed; no locks; one thread.
/// </summary>
internal sealed unsafe partial class NbdQueueIo : IConnectionQueueIo
{
    // Connection operation tags: the operation in the low byte, the connection generation above, so a
    // completion from a socket already given up is recognised.
    private const uint OpSend = 1;
    private const uint OpRecv = 2;
    private const uint OpDialReady = 3;
    private const uint OpTick = 4;
    private const uint OpPayload = 5;

    // UIO_MAXIOV: one SENDMSG gathers at most this many pieces (headers and write data).
    private const int MaxSendIov = 1024;
    private const int HeaderBytes = NbdWire.ExtendedRequestBytes;

    private readonly NbdBackend _backend;
    private readonly IoUring _ring;
    private readonly NbdDial _dial;
    private readonly bool _extended;
    private readonly uint _maxPayload;
    private NbdCommand[] _commands = [];
    private ushort[] _sendQueue = [];
    private void* _memory;
    private byte* _headers;
    private iovec* _sendIov;
    private msghdr* _sendMsg;
    private IRequestFinisher _finisher = null!;
    private int _sendHead;
    private int _sendCount;
    private int _sendIovFirst;
    private int _sendIovCount;
    private ulong _sequence;
    private ulong _sends;

    /// <summary>A connection for <paramref name="name"/> (in messages: "queue 1", "shared connection") on <paramref name="ring"/>.</summary>
    public NbdQueueIo(NbdBackend backend, IoUring ring, string name)
    {
        _backend = backend;
        _ring = ring;
        _extended = backend.Export.ExtendedHeaders;
        _maxPayload = Math.Max(backend.Export.MaximumPayload & ~511u, 512u);
        _dial = backend.Connector.Register(name);
        backend.Track(this);
    }

    /// <inheritdoc />
    public void Attach(IRequestFinisher finisher)
    {
        ArgumentNullException.ThrowIfNull(finisher);
        _finisher = finisher;
        int slots = finisher.SlotCount;
        _commands = new NbdCommand[slots];
        _sendQueue = new ushort[slots];
        _orderKeys = new ulong[slots];
        _orderSlots = new ushort[slots];
        nuint bytes = (nuint)((slots * HeaderBytes) + (MaxSendIov * sizeof(iovec)) + sizeof(msghdr)
            + RxBytes + (finisher.MaxSegments * sizeof(iovec)) + sizeof(msghdr) + sizeof(__kernel_timespec));
        _memory = NativeMemory.AlignedAlloc(bytes, 64);
        NativeMemory.Clear(_memory, bytes);
        byte* at = (byte*)_memory;
        _headers = at;
        at += slots * HeaderBytes;
        _sendIov = (iovec*)at;
        at += MaxSendIov * sizeof(iovec);
        _sendMsg = (msghdr*)at;
        at += sizeof(msghdr);
        _rx = at;
        at += RxBytes;
        _rxIov = (iovec*)at;
        at += finisher.MaxSegments * sizeof(iovec);
        _rxMsg = (msghdr*)at;
        at += sizeof(msghdr);
        _tick = (__kernel_timespec*)at;
        _tick->tv_nsec = 100_000_000;
        AskForConnection();
    }

    /// <inheritdoc />
    public byte StartTransfer(BlkSlot slot, bool write) => StartTransfer(slot.Index, slot, write);

    /// <inheritdoc />
    public byte StartFlush(BlkSlot slot) => StartFlush(slot.Index);

    /// <inheritdoc />
    public byte StartZeroing(BlkSlot slot, bool discard) => StartZeroing(slot.Index, slot, discard);

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
        return Queue(index, ref c);
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
        return Queue(index, ref c);
    }

    /// <summary>Starts a discard or write-zeroes as command <paramref name="index"/>.</summary>
    internal byte StartZeroing(ushort index, BlkSlot slot, bool discard)
    {
        ref NbdCommand c = ref _commands[index];
        c.Type = discard ? NbdProto.NBD_CMD_TRIM : NbdProto.NBD_CMD_WRITE_ZEROES;
        c.Range = 0;
        return NextRange(slot, ref c) ? Queue(index, ref c) : VirtioBlk.VIRTIO_BLK_S_OK;
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

    /// <inheritdoc />
    public byte Complete(BlkSlot slot, uint tag, int result) => VirtioBlk.VIRTIO_BLK_S_IOERR; // every completion is a connection one

    private byte Queue(ushort index, ref NbdCommand c)
    {
        if (_state != ConnectionState.Connected && _backend.ReconnectTimeoutTicks == 0)
        {
            return VirtioBlk.VIRTIO_BLK_S_IOERR; // --reconnect-timeout 0: nothing waits for a server that is gone
        }

        c.Status = VirtioBlk.VIRTIO_BLK_S_OK;
        c.Sequence = _sequence++;
        _active++;
        Enqueue(index, ref c);
        return BlkStatus.Pending;
    }

    private void Enqueue(ushort index, ref NbdCommand c)
    {
        c.State = NbdCommandState.Queued;
        _sendQueue[(_sendHead + _sendCount) % _sendQueue.Length] = index;
        _sendCount++;
    }

    /// <inheritdoc />
    public void Flush()
    {
        if (_state != ConnectionState.Connected)
        {
            return;
        }

        if (_receives == 0)
        {
            ArmReceive();
        }

        if (!_sendInFlight && _sendCount > 0)
        {
            BuildBatch();
            SubmitSend();
        }
    }

    /// <summary>Moves queued commands into one gather list: each header, then a write's data straight from the guest.</summary>
    private void BuildBatch()
    {
        _sendIovFirst = 0;
        _sendIovCount = 0;
        while (_sendCount > 0)
        {
            ushort index = _sendQueue[_sendHead];
            ref NbdCommand c = ref _commands[index];
            BlkSlot slot = _finisher.Slot(index);
            if (c.Type is NbdProto.NBD_CMD_READ or NbdProto.NBD_CMD_WRITE)
            {
                c.Length = (uint)Math.Min(c.End - c.Offset, _maxPayload);
            }

            int pieces = 1 + (c.Type == NbdProto.NBD_CMD_WRITE ? SegmentsCovering(slot, c.Offset - c.Base, c.Length) : 0);
            if (_sendIovCount + pieces > MaxSendIov)
            {
                break; // the next batch takes it
            }

            c.Cookie = index | (++_sends << 16);
            c.Covered = 0;
            byte* header = _headers + (index * HeaderBytes);
            int length = NbdWire.WriteRequest(header, _extended, c.Type, c.Flags, c.Cookie, c.Offset, c.Length);
            _sendIov[_sendIovCount].iov_base = header;
            _sendIov[_sendIovCount].iov_len = (size_t)(ulong)length;
            _sendIovCount++;
            if (c.Type == NbdProto.NBD_CMD_WRITE)
            {
                _sendIovCount += GatherSegments(slot, c.Offset - c.Base, c.Length, _sendIov + _sendIovCount);
            }

            // Sent from now on: the reply can only come once the server has had the whole command.
            c.State = NbdCommandState.Sent;
            _sendHead = (_sendHead + 1) % _sendQueue.Length;
            _sendCount--;
        }
    }

    private void SubmitSend()
    {
        io_uring_sqe* sqe = NextSqeOrLose();
        if (sqe != null)
        {
            SqePrep.SendMsg(sqe, SocketFd, Message(_sendMsg, _sendIov, _sendIovFirst, _sendIovCount), (uint)LibC.MSG_NOSIGNAL,
                BlkQueueUserDataCodec.EncodeConnection(Tag(OpSend)));
            _sendInFlight = true;
        }
    }

    /// <summary>An SQE for the connection; with the queue stuck full the connection is dropped and this is null.</summary>
    private io_uring_sqe* NextSqeOrLose()
    {
        io_uring_sqe* sqe = _ring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            Lose("the io_uring submission queue is stuck full");
        }

        return sqe;
    }

    /// <summary>Points <paramref name="msg"/> at entries <paramref name="first"/> to <paramref name="count"/> of <paramref name="iov"/>.</summary>
    private static msghdr* Message(msghdr* msg, iovec* iov, int first, int count)
    {
        *msg = default;
        msg->msg_iov = iov + first;
        msg->msg_iovlen = count - first;
        return msg;
    }

    private void OnSent(int result)
    {
        _sendInFlight = false;
        if (result <= 0)
        {
            Lose(result == 0 ? "the server stopped taking data" : "send failed: " + ((Errno)(-result)).Describe());
            return;
        }

        // A stream socket may take part of the list: continue after what it took.
        _sendIovFirst = IovecCursor.Advance(_sendIov, _sendIovFirst, _sendIovCount, (ulong)result);
        if (_sendIovFirst < _sendIovCount)
        {
            SubmitSend();
            return;
        }

        if (_sendCount > 0)
        {
            BuildBatch();
            SubmitSend();
        }
    }

    /// <summary>How many of the slot's data segments the byte range [<paramref name="from"/>, +<paramref name="length"/>) touches.</summary>
    private static int SegmentsCovering(BlkSlot slot, ulong from, uint length) => GatherSegments(slot, from, length, null);

    /// <summary>Writes iovecs for the byte range of the slot's data into <paramref name="into"/> (just counts when null).</summary>
    private static int GatherSegments(BlkSlot slot, ulong from, uint length, iovec* into)
    {
        int n = 0;
        ulong left = length;
        for (int i = 0; i < slot.IovCount && left > 0; i++)
        {
            ulong len = slot.Iov[i].iov_len;
            if (from >= len)
            {
                from -= len;
                continue;
            }

            ulong take = Math.Min(len - from, left);
            if (into != null)
            {
                into[n].iov_base = (byte*)slot.Iov[i].iov_base + from;
                into[n].iov_len = (size_t)take;
            }

            n++;
            left -= take;
            from = 0;
        }

        return n;
    }

    /// <inheritdoc />
    public void OnConnectionCompletion(uint tag, int result)
    {
        uint op = tag & 0xff;
        if (op == OpDialReady)
        {
            OnDialReady();
        }
        else if (op == OpTick)
        {
            OnTick();
        }
        else if ((tag >> 8) != (_generation & 0xffffff))
        {
            // The last operations of a socket given up: only their accounting matters.
            OnStaleCompletion(op);
        }
        else if (op == OpSend)
        {
            OnSent(result);
        }
        else if (op == OpPayload)
        {
            OnPayloadReceived(result);
        }
        else
        {
            OnReceived(result);
        }

        Flush();
    }

    private uint Tag(uint op) => op | ((_generation & 0xffffff) << 8);

    /// <summary>Ends the request of slot <paramref name="index"/>, or sends its next command.</summary>
    private void CommandDone(ushort index)
    {
        ref NbdCommand c = ref _commands[index];
        BlkSlot slot = _finisher.Slot(index);
        if (c.Status == VirtioBlk.VIRTIO_BLK_S_OK)
        {
            if (c.Type is NbdProto.NBD_CMD_READ or NbdProto.NBD_CMD_WRITE)
            {
                c.Offset += c.Length;
                if (c.Offset < c.End)
                {
                    Enqueue(index, ref c);
                    return;
                }

                slot.Written = c.Type == NbdProto.NBD_CMD_READ ? (uint)(c.End - c.Base) : 0;
            }
            else if (c.Type is NbdProto.NBD_CMD_TRIM or NbdProto.NBD_CMD_WRITE_ZEROES && NextRange(slot, ref c))
            {
                Enqueue(index, ref c);
                return;
            }
        }

        c.State = NbdCommandState.Free;
        _active--;
        _finisher.Finish(index, c.Status);
    }

    private static long Now => Stopwatch.GetTimestamp();
}
