using System;
using System.Threading;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network.Nbd;

/// <summary>
/// One NBD connection for every queue, for servers that do not allow several (no
/// NBD_FLAG_CAN_MULTI_CONN: a flush on one connection need not cover writes answered on another).
/// Its own thread runs an <see cref="NbdQueueIo"/> over its own io_uring; the queue threads hand it
/// requests and take back completions through lock-free lanes (<see cref="NbdLane"/>). Command
/// number = lane base + the queue's slot index, so the connection addresses every queue's slots.
/// </summary>
internal sealed unsafe class NbdSharedConnection : IRequestFinisher, IDisposable
{
    private const ulong WakeTag = 1; // not a connection user_data (BlkQueueUserDataCodec bit 62 clear)
    private const int MaxCommands = 1 << 16; // commands are numbered by ushort (the cookie's low 16 bits)

    private readonly NbdBackend _backend;
    private readonly NbdLane[] _lanes;
    private readonly int _shift;
    private readonly int _maxSegments;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _started = WaitEvent.Create();
    private Exception? _startFailure;
    private NbdQueueIo? _io;
    private volatile bool _stop;

    /// <summary>Starts the thread and its connection for <paramref name="queues"/> queues of up to <paramref name="queueSize"/> entries.</summary>
    public NbdSharedConnection(NbdBackend backend, int queues, ushort queueSize)
    {
        _backend = backend;
        Stride = (int)System.Numerics.BitOperations.RoundUpToPowerOf2(queueSize);
        _shift = System.Numerics.BitOperations.Log2((uint)Stride);
        if ((long)queues * Stride > MaxCommands)
        {
            throw new BackendException(queues + " queues of " + Stride + " entries are more than the " + MaxCommands
                + " requests one NBD connection can tell apart: lower --queues or --queue-size");
        }

        _maxSegments = BlkLimits.SlotSegments(queueSize);
        _lanes = new NbdLane[queues];
        for (int i = 0; i < queues; i++)
        {
            _lanes[i] = new NbdLane(Stride, i * Stride);
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "nbd-shared" };
        _thread.Start();
        _started.Wait();
        if (_startFailure != null)
        {
            _thread.Join();
            throw new BackendException("the shared NBD connection did not start: " + _startFailure.Message);
        }
    }

    /// <summary>Command numbers per lane: the largest queue size, rounded up to a power of two.</summary>
    public int Stride { get; }

    /// <summary>Wakes the connection thread after a queue pushed requests.</summary>
    public WakeSignal Wake { get; } = new();

    /// <summary>Lanes (queues) served.</summary>
    public int Lanes => _lanes.Length;

    /// <summary>The connection (for stats: read racily).</summary>
    public NbdQueueIo? Connection => Volatile.Read(ref _io);

    /// <summary>A free lane for a queue being opened.</summary>
    public NbdLane Claim()
    {
        foreach (NbdLane lane in _lanes)
        {
            if (lane.TryClaim())
            {
                return lane;
            }
        }

        throw new NetworkException("all " + _lanes.Length + " lanes of the shared NBD connection are taken");
    }

    /// <inheritdoc />
    int IRequestFinisher.SlotCount => _lanes.Length * Stride;

    /// <inheritdoc />
    int IRequestFinisher.MaxSegments => _maxSegments;

    /// <inheritdoc />
    BlkSlot IRequestFinisher.Slot(ushort index) => _lanes[index >> _shift].Finisher!.Slot((ushort)(index & (Stride - 1)));

    /// <inheritdoc />
    void IRequestFinisher.Finish(ushort index, byte status)
    {
        NbdLane lane = _lanes[index >> _shift];
        lane.Completions.Push(NbdLane.Completion((ushort)(index & (Stride - 1)), status));
        lane.Posted = true;
    }

    private void Run()
    {
        IoUring? ring = null;
        NbdQueueIo io;
        try
        {
            // Created on this thread: SINGLE_ISSUER binds the ring to its creator.
            ring = new IoUring(64, new IoUringOptions { SingleIssuer = true });
            io = new NbdQueueIo(_backend, ring, "shared connection", 0);
            io.Attach(this);
            Volatile.Write(ref _io, io);
        }
        catch (Exception e) when (e is NetworkException or IoUringException)
        {
            _startFailure = e;
            ring?.Dispose();
            _started.Set();
            return;
        }

        _started.Set();
        try
        {
            Serve(ring, io);
        }
        catch (Exception e) when (e is NetworkException or IoUringException or InvalidOperationException)
        {
            _backend.Log("shared connection stopped: " + e.Message);
        }
        finally
        {
            io.Dispose();
            ring.Dispose();
        }
    }

    /// <summary>The connection thread's loop: take the lanes' requests, run the connection, post completions, sleep.</summary>
    private void Serve(IoUring ring, NbdQueueIo io)
    {
        Span<io_uring_cqe> cqes = stackalloc io_uring_cqe[32];
        ArmWake(ring);
        while (!_stop)
        {
            TakeRequests(io);
            io.Flush();
            SignalLanes();
            ring.SubmitAndWait(1);
            int n;
            while ((n = ring.Reap(cqes)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    if (cqes[i].user_data == WakeTag)
                    {
                        // Cleared before the lanes are looked at (next pass): a later push signals again.
                        Wake.Consume();
                        ArmWake(ring);
                    }
                    else if (BlkQueueUserDataCodec.IsConnection(cqes[i].user_data))
                    {
                        io.OnConnectionCompletion(BlkQueueUserDataCodec.ConnectionTag(cqes[i].user_data), cqes[i].res);
                    }
                }
            }
        }
    }

    private void TakeRequests(NbdQueueIo io)
    {
        foreach (NbdLane lane in _lanes)
        {
            while (lane.Requests.TryPop(out uint entry))
            {
                // The pop's acquire makes the queue's writes to the slot (its chain, request, ranges) visible here.
                ushort slotIndex = NbdLane.SlotOf(entry);
                BlkSlot slot = lane.Finisher!.Slot(slotIndex);
                var command = (ushort)(lane.Base + slotIndex);
                byte status = NbdLane.KindOf(entry) switch
                {
                    NbdLaneRequest.Read => io.StartTransfer(command, slot, write: false),
                    NbdLaneRequest.Write => io.StartTransfer(command, slot, write: true),
                    NbdLaneRequest.Flush => io.StartFlush(command),
                    NbdLaneRequest.Discard => io.StartZeroing(command, slot, discard: true),
                    _ => io.StartZeroing(command, slot, discard: false),
                };
                if (status != BlkStatus.Pending)
                {
                    ((IRequestFinisher)this).Finish(command, status);
                }
            }
        }
    }

    private void SignalLanes()
    {
        foreach (NbdLane lane in _lanes)
        {
            if (lane.Posted)
            {
                // After this pass's pushes: the signal's fence orders them before the wake-up.
                lane.Posted = false;
                lane.Completed.Signal();
            }
        }
    }

    private void ArmWake(IoUring ring) => Wake.ArmRead(ring, WakeTag);

    /// <summary>After every queue stopped: ends the connection (NBD_CMD_DISC) and the thread.</summary>
    public void Dispose()
    {
        _stop = true;
        Wake.Signal();
        _thread.Join();
        Wake.Dispose();
        foreach (NbdLane lane in _lanes)
        {
            lane.Dispose();
        }

        _started.Dispose();
    }
}
