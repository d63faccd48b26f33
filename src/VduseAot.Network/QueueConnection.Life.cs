using System;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network;

/// <content>
/// The connection's life: asked of the connector thread, adopted when it is ready, dropped on any
/// error or when the connector resets the association it belongs to (shutdown, then wait for the
/// socket's last completions before its buffers are reused), and asked for again. Commands survive a
/// drop: those sent and not answered go back into the send queue, in the order they first arrived.
/// While there is no connection a 100 ms timer fails the requests that have waited longer than
/// --reconnect-timeout.
/// </content>
internal abstract unsafe partial class QueueConnection
{
    private __kernel_timespec* _tick;
    private OwnedFd? _socket;
    private ConnectionState _state = ConnectionState.Down;
    private uint _generation;
    private long _association;
    private bool _sendInFlight;
    private int _receives; // header and payload receives in flight (a payload has a header receive linked behind it)
    private bool _dialArmed;
    private bool _tickArmed;
    private bool _disposing;
    private ulong[] _orderKeys = [];
    private ushort[] _orderSlots = [];
    private string? _lastDrop;

    // Requests this connection holds (queued or sent); written by its thread, read racily by stats.
    private int _active;

    private enum ConnectionState
    {
        Down,
        Connected,
        Closing,
    }

    /// <summary>The socket (-1 while there is none).</summary>
    protected int SocketFd => _socket?.Value ?? -1;

    /// <summary>True while the connection is up.</summary>
    protected bool Connected => _state == ConnectionState.Connected;

    /// <summary>Why the last connection was dropped, or the connector's last failure (null: none).</summary>
    public string? LastError => _dial.LastError ?? _lastDrop;

    /// <summary>Connections lost so far.</summary>
    public long Drops { get; private set; }

    /// <summary>This connection for `stats` (read on another thread: a racy copy).</summary>
    public ConnectionStatus Status()
    {
        string state = _state switch
        {
            ConnectionState.Connected => "connected",
            ConnectionState.Closing => "closing",
            _ => _dial.Connections == 0 ? "connecting" : "reconnecting",
        };
        return new ConnectionStatus(_dial.Name, Peer, state, Math.Max(0, _dial.Connections - 1),
            System.Threading.Volatile.Read(ref _active), ServerErrors, LastError);
    }

    /// <summary>A connection was adopted: the protocol takes what was agreed on it (<see cref="ConnectionDial.Session"/>).</summary>
    protected virtual void OnConnected(ConnectionDial dial)
    {
    }

    /// <summary>The socket is closed and nothing of it is in flight: the protocol forgets its receive state.</summary>
    protected virtual void OnDisconnected()
    {
    }

    /// <summary>At teardown, on a live connection: the protocol's goodbye (sent without waiting).</summary>
    protected virtual void SayGoodbye()
    {
    }

    private void AskForConnection()
    {
        _connector.Request(_dial);
        ArmDial();
        ArmTick();
    }

    /// <summary>Keeps a poll on the dial's event: a connection comes, or the association of this one was reset.</summary>
    private void ArmDial()
    {
        if (_dialArmed || _disposing)
        {
            return;
        }

        io_uring_sqe* sqe = Ring.NextSqeSubmittingIfFull();
        if (sqe == null)
        {
            throw new NetworkException("io_uring submission queue stuck full");
        }

        SqePrep.PollAdd(sqe, _dial.Event.Value, (uint)LibC.POLLIN, BlkQueueUserDataCodec.EncodeConnection(OpDialReady));
        _dialArmed = true;
    }

    private void ArmTick()
    {
        if (_tickArmed || _reconnectTimeoutTicks <= 0)
        {
            return;
        }

        io_uring_sqe* sqe = Ring.NextSqeSubmittingIfFull();
        if (sqe != null)
        {
            SqePrep.Timeout(sqe, _tick, BlkQueueUserDataCodec.EncodeConnection(OpTick));
            _tickArmed = true;
        }
    }

    private void OnDialReady()
    {
        _dialArmed = false;
        int fd = _dial.TakeReady(out long association);
        if (fd >= 0 && _state == ConnectionState.Down)
        {
            Adopt(fd, association);
        }
        else if (fd >= 0)
        {
            new OwnedFd(fd).Dispose();
        }

        if (_state == ConnectionState.Connected && _association < _connector.Association)
        {
            Lose("the connector reset the association with the controller");
        }

        if (_state == ConnectionState.Down && !_dial.Wanted)
        {
            AskForConnection();
        }

        ArmDial();
    }

    private void Adopt(int fd, long association)
    {
        _socket = new OwnedFd(fd);
        _association = association;
        _state = ConnectionState.Connected;
        RxStart = RxEnd = 0;
        ResetPipe();
        OnConnected(_dial);
        if (_dial.Changed is string change)
        {
            // The device cannot follow a different export: what was waiting fails, new requests go to the new one.
            _log(_dial.Name + ": " + change + "; failing the " + _sendCount + " request(s) that were waiting");
            FailQueued(0);
        }
    }

    /// <summary>Drops the connection (the caller already accounted the completion it was handling).</summary>
    protected void Lose(string reason)
    {
        if (_state != ConnectionState.Connected)
        {
            return;
        }

        _lastDrop = reason;
        Drops++;
        _log(_dial.Name + ": connection to " + Peer + " lost (" + reason + "); reconnecting");
        _state = ConnectionState.Closing;
        _generation++;

        // Ends the receive and send still in flight (they complete with 0 or an error) without closing
        // the descriptor under them.
        _ = LibC.shutdown(SocketFd, LibC.SHUT_RDWR);
        FinishCloseIfIdle();
    }

    private void OnStaleCompletion(uint op)
    {
        if (op is OpSend or OpSplice)
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

        OnDisconnected();
        RequeueInArrivalOrder();
        if (_reconnectTimeoutTicks == 0)
        {
            FailQueued(0);
        }

        AskForConnection();
    }

    /// <summary>Puts every command not answered back into the send queue, oldest first.</summary>
    private void RequeueInArrivalOrder()
    {
        int n = 0;
        for (int i = 0; i < Tracks.Length; i++)
        {
            if (Tracks[i].State != CommandState.Free)
            {
                _orderKeys[n] = Tracks[i].Sequence;
                _orderSlots[n] = (ushort)i;
                n++;
            }
        }

        Array.Sort(_orderKeys, _orderSlots, 0, n);
        _sendHead = 0;
        _sendCount = 0;
        for (int i = 0; i < n; i++)
        {
            // The command goes again from scratch: an error that came before the loss is the old
            // attempt's, and the new one may succeed. Earlier commands of the request all succeeded,
            // or the request would have ended then.
            Tracks[_orderSlots[i]].Status = VirtioBlk.VIRTIO_BLK_S_OK;
            Enqueue(_orderSlots[i]);
        }
    }

    private void OnTick()
    {
        _tickArmed = false;
        if (_state == ConnectionState.Connected)
        {
            return;
        }

        FailQueued(_reconnectTimeoutTicks);
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
            if (now - Finisher.Slot(index).StartTicks >= olderThanTicks)
            {
                Tracks[index].State = CommandState.Free;
                _active--;
                Finisher.Finish(index, VirtioBlk.VIRTIO_BLK_S_IOERR);
            }
            else
            {
                _sendQueue[(_sendHead + kept) % _sendQueue.Length] = index;
                kept++;
            }
        }

        _sendCount = kept;
    }

    /// <summary>Closes the connection for good: the goodbye, then the socket's last completions, then the buffers.</summary>
    public void Dispose()
    {
        _disposing = true;
        if (_state == ConnectionState.Connected)
        {
            SayGoodbye();
            _state = ConnectionState.Closing;
            _generation++;
            _ = LibC.shutdown(SocketFd, LibC.SHUT_RDWR);
        }

        // The kernel may still write into the receive buffers: wait for the socket's last completions.
        Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[16];
        while (_sendInFlight || _receives > 0)
        {
            Ring.SubmitAndWait(1);
            int n = Ring.Reap(cqes);
            for (int i = 0; i < n; i++)
            {
                if (BlkQueueUserDataCodec.IsConnection(cqes[i].user_data))
                {
                    uint op = BlkQueueUserDataCodec.ConnectionTag(cqes[i].user_data) & 0xff;
                    if (op is OpSend or OpRecv or OpPayload or OpSplice)
                    {
                        OnStaleCompletion(op);
                    }
                }
            }
        }

        _socket?.Dispose();
        _socket = null;
        DisposePipe();
        Untrack();
        _connector.Unregister(_dial);
        FreeSlots();
        if (_memory != null)
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(_memory);
            _memory = null;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>The backend stops listing this connection in stats.</summary>
    protected abstract void Untrack();

    /// <summary>Frees what <see cref="AttachSlots"/> allocated.</summary>
    protected abstract void FreeSlots();
}
