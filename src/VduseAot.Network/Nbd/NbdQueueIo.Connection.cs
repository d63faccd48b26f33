using System;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network.Nbd;

/// <content>
/// The connection's life: asked of the connector thread, adopted when it is ready, dropped on any
/// error (shutdown, then wait for the socket's last completions before its buffers are reused), and
/// asked for again. Commands survive a drop: those sent and not answered go back into the send queue,
/// in the order they first arrived. While there is no connection a 100 ms timer fails the requests
/// that have waited longer than --reconnect-timeout.
/// </content>
internal sealed unsafe partial class NbdQueueIo
{
    private __kernel_timespec* _tick;
    private OwnedFd? _socket;
    private ConnectionState _state = ConnectionState.Down;
    private uint _generation;
    private bool _sendInFlight;
    private int _receives; // header and payload receives in flight (a payload has a header receive linked behind it)
    private bool _dialArmed;
    private bool _tickArmed;
    private bool _disposing;
    private ulong[] _orderKeys = [];
    private ushort[] _orderSlots = [];

    private enum ConnectionState
    {
        Down,
        Connected,
        Closing,
    }

    private int SocketFd => _socket?.Value ?? -1;

    /// <summary>Why the last connection was dropped, or the connector's last failure (null: none).</summary>
    public string? LastError => _dial.LastError ?? _lastDrop;

    private string? _lastDrop;

    /// <summary>Connections lost so far.</summary>
    public long Drops { get; private set; }

    // Requests this connection holds (queued or sent); written by its thread, read racily by stats.
    private int _active;

    /// <summary>This connection for `stats` (read on another thread: a racy copy).</summary>
    public ConnectionStatus Status()
    {
        string state = _state switch
        {
            ConnectionState.Connected => "connected",
            ConnectionState.Closing => "closing",
            _ => _dial.Connections == 0 ? "connecting" : "reconnecting",
        };
        return new ConnectionStatus(_dial.Name, _backend.Uri.Endpoint.ToString(), state, System.Math.Max(0, _dial.Connections - 1),
            System.Threading.Volatile.Read(ref _active), ServerErrors, LastError);
    }

    private void AskForConnection()
    {
        _backend.Connector.Request(_dial);
        if (!_dialArmed)
        {
            io_uring_sqe* sqe = _ring.NextSqeSubmittingIfFull();
            if (sqe == null)
            {
                throw new NetworkException("io_uring submission queue stuck full");
            }

            SqePrep.PollAdd(sqe, _dial.Event.Value, (uint)LibC.POLLIN, BlkQueueUserDataCodec.EncodeConnection(OpDialReady));
            _dialArmed = true;
        }

        ArmTick();
    }

    private void ArmTick()
    {
        if (_tickArmed || _backend.ReconnectTimeoutTicks <= 0)
        {
            return;
        }

        io_uring_sqe* sqe = _ring.NextSqeSubmittingIfFull();
        if (sqe != null)
        {
            SqePrep.Timeout(sqe, _tick, BlkQueueUserDataCodec.EncodeConnection(OpTick));
            _tickArmed = true;
        }
    }

    private void OnDialReady()
    {
        _dialArmed = false;
        int fd = _dial.TakeReady();
        if (fd < 0 || _state != ConnectionState.Down)
        {
            if (fd >= 0)
            {
                new OwnedFd(fd).Dispose();
            }

            if (_state == ConnectionState.Down)
            {
                AskForConnection();
            }

            return;
        }

        _socket = new OwnedFd(fd);
        _state = ConnectionState.Connected;
        _rxStart = _rxEnd = 0;
        _skipLeft = 0;
        if (_dial.Changed is string change)
        {
            // The device cannot follow a different export: what was waiting fails, new requests go to the new one.
            _backend.Log(_dial.Name + ": " + change + "; failing the " + _sendCount + " request(s) that were waiting");
            FailQueued(0);
        }
    }

    /// <summary>Drops the connection (the caller already accounted the completion it was handling).</summary>
    private void Lose(string reason)
    {
        if (_state != ConnectionState.Connected)
        {
            return;
        }

        _lastDrop = reason;
        Drops++;
        _backend.Log(_dial.Name + ": connection to " + _backend.Uri.Endpoint + " lost (" + reason + "); reconnecting");
        _state = ConnectionState.Closing;
        _generation++;

        // Ends the receive and send still in flight (they complete with 0 or an error) without closing
        // the descriptor under them.
        _ = LibC.shutdown(SocketFd, LibC.SHUT_RDWR);
        FinishCloseIfIdle();
    }

    private void OnStaleCompletion(uint op)
    {
        if (op == OpSend)
        {
            _sendInFlight = false;
        }
        else
        {
            _receives--;
        }

        FinishCloseIfIdle();
    }

    private void FinishCloseIfIdle()
    {
        if (_state != ConnectionState.Closing || _sendInFlight || _receives > 0)
        {
            return;
        }

        _socket?.Dispose();
        _socket = null;
        _state = ConnectionState.Down;
        if (_disposing)
        {
            return;
        }

        _skipLeft = 0;
        RequeueInArrivalOrder();
        if (_backend.ReconnectTimeoutTicks == 0)
        {
            FailQueued(0);
        }

        AskForConnection();
    }

    /// <summary>Puts every command not answered back into the send queue, oldest first.</summary>
    private void RequeueInArrivalOrder()
    {
        int n = 0;
        for (int i = 0; i < _commands.Length; i++)
        {
            if (_commands[i].State != NbdCommandState.Free)
            {
                _orderKeys[n] = _commands[i].Sequence;
                _orderSlots[n] = (ushort)i;
                n++;
            }
        }

        Array.Sort(_orderKeys, _orderSlots, 0, n);
        _sendHead = 0;
        _sendCount = 0;
        for (int i = 0; i < n; i++)
        {
            // The piece goes again from scratch: an error chunk that came before the loss (without
            // DONE) is the old attempt's, and the new one may succeed. Earlier pieces all succeeded, or
            // the request would have ended then.
            ref NbdCommand c = ref _commands[_orderSlots[i]];
            c.Status = VirtioBlk.VIRTIO_BLK_S_OK;
            Enqueue(_orderSlots[i], ref c);
        }
    }

    private void OnTick()
    {
        _tickArmed = false;
        if (_state == ConnectionState.Connected)
        {
            return;
        }

        FailQueued(_backend.ReconnectTimeoutTicks);
        ArmTick();
    }

    /// <summary>Fails the queued requests that have waited at least <paramref name="olderThanTicks"/> since they arrived.</summary>
    private void FailQueued(long olderThanTicks)
    {
        long now = Now;
        int kept = 0;
        int count = _sendCount;
        for (int i = 0; i < count; i++)
        {
            ushort index = _sendQueue[(_sendHead + i) % _sendQueue.Length];
            if (now - _finisher.Slot(index).StartTicks >= olderThanTicks)
            {
                _commands[index].State = NbdCommandState.Free;
                _active--;
                _finisher.Finish(index, VirtioBlk.VIRTIO_BLK_S_IOERR);
            }
            else
            {
                _sendQueue[(_sendHead + kept) % _sendQueue.Length] = index;
                kept++;
            }
        }

        _sendCount = kept;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposing = true;
        if (_state == ConnectionState.Connected)
        {
            // NBD_CMD_DISC: a soft disconnect, so the server does not log a dropped client.
            byte* disc = stackalloc byte[NbdWire.ExtendedRequestBytes];
            int length = NbdWire.WriteRequest(disc, _extended, NbdProto.NBD_CMD_DISC, 0, 0, 0, 0);
            _ = LibC.send(SocketFd, disc, length, LibC.MSG_NOSIGNAL | LibC.MSG_DONTWAIT);
            _state = ConnectionState.Closing;
            _generation++;
            _ = LibC.shutdown(SocketFd, LibC.SHUT_RDWR);
        }

        // The kernel may still write into the receive buffers: wait for the socket's last completions.
        Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[16];
        while (_sendInFlight || _receives > 0)
        {
            _ring.SubmitAndWait(1);
            int n = _ring.Reap(cqes);
            for (int i = 0; i < n; i++)
            {
                if (BlkQueueUserDataCodec.IsConnection(cqes[i].user_data))
                {
                    uint op = BlkQueueUserDataCodec.ConnectionTag(cqes[i].user_data) & 0xff;
                    if (op is OpSend or OpRecv or OpPayload)
                    {
                        OnStaleCompletion(op);
                    }
                }
            }
        }

        _socket?.Dispose();
        _socket = null;
        _backend.Untrack(this);
        _backend.Connector.Unregister(_dial);
        if (_memory != null)
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(_memory);
            _memory = null;
        }
    }
}
