using System;
using System.Threading;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using VduseAot.Virtio;

namespace VduseAot.Vduse;

/// <summary>
/// The thread that serves one virtqueue between DRIVER_OK and reset. It owns its IOTLB cache, its ring
/// state and its io_uring, which carries the backend's I/O and also the reads of the kick and wake
/// eventfds, so the thread sleeps in exactly one place (io_uring_enter) whatever it waits for. Each
/// pass pops every available chain, starts it, reaps completions, publishes the used ring once and
/// injects at most one interrupt. The control thread talks to it only through <see cref="Stop"/>,
/// <see cref="RequestRemap"/> and the wake eventfd.
/// </summary>
public sealed unsafe partial class QueueWorker
{
    private const ulong KickTag = 1UL << 63;
    private const ulong WakeTag = KickTag | 1;
    private const int ReapBatch = 64;

    // The data plane's deepest frames are a few hundred bytes of stackalloc and the runtime's exception
    // dispatch; glibc's default (the 8 MiB of RLIMIT_STACK) is address space that a daemon of 64
    // queues multiplies. Only touched pages are resident either way.
    internal const int StackBytes = 256 * 1024;

    private readonly string _device;
    private readonly int _deviceFd;
    private readonly uint _index;
    private readonly vduse_vq_info _info;
    private readonly BlkExecutor _executor;
    private readonly DataPlaneOptions _dataPlane;
    private readonly ulong _features;
    private readonly OwnedFd _kickFd;
    private readonly OwnedFd _wakeFd;
    private readonly DetachedThread _thread;
    private volatile bool _stop;
    private int _remapEpoch;
    private readonly object _remapLock = new();
    private ulong _remapStart = ulong.MaxValue;
    private ulong _remapLast;
    private int _remapAcked;
    private int _lastAvail;
    private readonly RingJournal? _journal;
    private readonly QueueStart _start;
    private readonly PreparedQueueThread? _prepared;

    /// <summary>
    /// Creates (does not start) the worker for queue <paramref name="info"/>.index, to run on
    /// <paramref name="prepared"/> when given (a takeover's), else on a thread of its own.
    /// </summary>
    internal QueueWorker(string device, int deviceFd, in vduse_vq_info info, ulong features, BlkExecutor executor, DataPlaneOptions dataPlane,
        RingJournal? journal = null, QueueStart start = QueueStart.Fresh, PreparedQueueThread? prepared = null)
    {
        _prepared = prepared;
        _journal = journal;
        _start = start;
        _dataPlane = dataPlane;
        _features = features;
        _device = device;
        _deviceFd = deviceFd;
        _index = info.index;
        _info = info;
        _executor = executor;
        _lastAvail = info.state.split.avail_index;
        _kickFd = EventFd.Create(nonBlocking: false);
        _wakeFd = EventFd.Create(nonBlocking: false);
        _thread = prepared?.Thread ?? new DetachedThread(device, ThreadName(info.index), Run, StackBytes);
    }

    /// <summary>The name of queue <paramref name="index"/>'s thread (as ps and top show it).</summary>
    public static string ThreadName(uint index) => "vq" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Pins the calling thread, queue <paramref name="index"/>'s (named by its <see cref="DetachedThread"/>), to <paramref name="cpu"/> (-1: not pinned).</summary>
    public static void PinCurrentThread(string device, uint index, int cpu)
    {
        if (cpu >= 0 && CpuAffinity.PinCurrentThread(cpu) is Errno pinError && pinError != Errno.OK)
        {
            Log.Write(LogLevel.Warn, device, "queue " + index + " cannot be pinned to CPU " + cpu + ": " + pinError.Describe());
        }
    }

    /// <summary>Next avail index, as last published by the worker (for GET_VQ_STATE).</summary>
    public ushort LastAvailIndex => (ushort)Volatile.Read(ref _lastAvail);

    /// <summary>Counters of the queue (read racily by the control thread for stats).</summary>
    public BlkQueueStats? Stats { get; private set; }

    /// <summary>Registers the kick eventfd with the kernel and starts the thread.</summary>
    public void Start()
    {
        vduse_vq_eventfd kick = new() { index = _index, fd = _kickFd.Value };
        if (LibC.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_SETUP_KICKFD, &kick) < 0)
        {
            Errno e = ErrnoExtensions.Last();
            _prepared?.Discard();
            throw new VduseException("VDUSE_VQ_SETUP_KICKFD for queue " + _index + " failed: " + e.Describe());
        }

        if (_prepared != null)
        {
            _prepared.Run(RunOnThread);
        }
        else
        {
            _thread.Start();
        }
    }

    /// <summary>
    /// Asks the thread to drop its mappings of IOVAs [<paramref name="start"/>, <paramref name="last"/>]
    /// and re-translate its rings; returns the epoch to wait for. Ranges asked for before the thread
    /// got to them are merged.
    /// </summary>
    public int RequestRemap(ulong start, ulong last)
    {
        lock (_remapLock)
        {
            _remapStart = Math.Min(_remapStart, start);
            _remapLast = Math.Max(_remapLast, last);
        }

        int epoch = Interlocked.Increment(ref _remapEpoch);
        EventFd.Signal(_wakeFd);
        return epoch;
    }

    /// <summary>True once the thread has handled remap request <paramref name="epoch"/> (or has exited).</summary>
    public bool RemapDone(int epoch) => Volatile.Read(ref _remapAcked) >= epoch || !_thread.IsAlive;

    /// <summary>Asks the thread to stop once its in-flight requests completed, without waiting: a device stops all its queues at once, then waits.</summary>
    public void RequestStop()
    {
        _stop = true;
        EventFd.Signal(_wakeFd);
    }

    /// <summary>Set once the thread no longer touches the rings, the journal or the device (its own clean-up may still run).</summary>
    public ManualResetEventSlim Parked { get; } = WaitEvent.Create();

    private LastArrival? _parkArrival;

    // Set by Release: a thread parked for a handover cleans up only then.
    private readonly ManualResetEventSlim _released = WaitEvent.Create();
    private int _parkArrived;

    /// <summary>
    /// A handover's pause: <paramref name="arrival"/> hears once that this queue is parked, from the
    /// queue's thread as it parks, or from the caller when it has parked already.
    /// </summary>
    internal void ArriveWhenParked(LastArrival arrival)
    {
        // Exchange (a full fence) before the IsSet read; the thread sets Parked before it reads
        // this: one of the two sees the other, and ArrivePark lets only one of them arrive.
        _ = Interlocked.Exchange(ref _parkArrival, arrival);
        if (Parked.IsSet)
        {
            ArrivePark();
        }
    }

    private void ArrivePark()
    {
        if (Volatile.Read(ref _parkArrival) is { } arrival && Interlocked.Exchange(ref _parkArrived, 1) == 0)
        {
            arrival.Arrive();
        }
    }

    /// <summary>
    /// A handover's stop: the thread's requests in flight complete and its ring position is final when
    /// this returns; the thread's clean-up (its ring and mappings) goes on meanwhile. <see cref="Release"/> ends it.
    /// </summary>
    public void Park()
    {
        RequestStop();
        while (!Parked.Wait(100) && _thread.IsAlive)
        {
            // a thread that ended without getting to its loop never sets it
        }
    }

    /// <summary>
    /// After <see cref="Park"/>: waits for the thread and closes its eventfds. The kick eventfd stays
    /// assigned: the successor (or this daemon's next worker) assigned its own in its place.
    /// </summary>
    public void Release()
    {
        _released.Set();
        _thread.Join();
        _released.Dispose();

        _kickFd.Dispose();
        _wakeFd.Dispose();
    }

    /// <summary>Stops the thread once its in-flight requests completed, waits for it, releases the kick eventfd.</summary>
    public void Stop()
    {
        RequestStop();
        _thread.Join();

        vduse_vq_eventfd kick = new() { index = _index, fd = vduse_vq_eventfd.VDUSE_EVENTFD_DEASSIGN };
        _ = LibC.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_SETUP_KICKFD, &kick);
        _kickFd.Dispose();
        _wakeFd.Dispose();
    }

    /// <summary>Set once the thread has its ring (and has resubmitted what a predecessor left), or has given up.</summary>
    public ManualResetEventSlim RingReady { get; } = WaitEvent.Create();

    /// <summary>A takeover's progress, told when the ring serves again (set before <see cref="Start"/>).</summary>
    internal TakeOverProgress? Progress { get; set; }

    // Only the worker's thread calls this: once with the ring serving, or from the clean-up if it never did.
    private void SignalRingReady()
    {
        if (RingReady.IsSet)
        {
            return;
        }

        RingReady.Set(); // publishes ReadyAt
        Progress?.QueueRunning(ReadyAt);
    }

    /// <summary>When the ring served again (a Stopwatch timestamp, 0 until then): a takeover's pause ends at the last queue's.</summary>
    public long ReadyAt { get; private set; }

    /// <summary>Requests a predecessor left in flight that this worker resubmitted.</summary>
    public int Recovered { get; private set; }

    /// <summary>The CPU the thread is pinned to, or -1.</summary>
    public int Cpu => _dataPlane.CpuFor(_index);

    private BlkQueue<IotlbMemory>? CreateQueue(IotlbCache cache, IoUring uring, BlkSlotTable? slots)
    {
        var memory = new IotlbMemory(cache);
        DeviceQueue<IotlbMemory> ring = Packed
            ? new PackedQueue<IotlbMemory>(memory, (ushort)_info.num)
            : new SplitQueue<IotlbMemory>(memory, (ushort)_info.num);
        ring.Indirect = (_features & (1UL << VirtioConstants.VIRTIO_RING_F_INDIRECT_DESC)) != 0;
        ring.EventIdx = (_features & (1UL << VirtioConstants.VIRTIO_RING_F_EVENT_IDX)) != 0;
        ring.Journal = _journal;
        var rings = new RingAddresses(_info.desc_addr, _info.driver_addr, _info.device_addr);
        string? error = _start switch
        {
            QueueStart.Resume => ring.Resume(rings),
            QueueStart.Adopt => ring.Adopt(rings),
            _ => ring.Start(rings, KernelRingState.Position(_info, Packed)),
        };
        var queue = new BlkQueue<IotlbMemory>(ring, _executor, uring, slots);
        _ring = ring;
        Recovered = ring.RecoveredPending;
        if (error != null)
        {
            Log.Write(LogLevel.Error, _device, "queue " + _index + " cannot start: " + error);
            queue.Dispose();
            return null;
        }

        return queue;
    }

    /// <summary>VIRTIO_F_RING_PACKED was negotiated.</summary>
    public bool Packed => (_features & (1UL << VirtioConstants.VIRTIO_F_RING_PACKED)) != 0;

    /// <summary>The packed ring's state for GET_VQ_STATE (read racily, like <see cref="LastAvailIndex"/>).</summary>
    public vduse_vq_state_packed PackedState => _ring is { } r ? KernelRingState.Packed(r.Position) : _info.state.packed;

    private IDeviceQueue? _ring;

    /// <summary>The ring size for a queue of <paramref name="queueSize"/> entries: room for a read of every kick and wake besides each request.</summary>
    public static uint UringEntries(uint queueSize) => Math.Max(64u, Math.Min(4096u, 2 * queueSize));

    private void Run()
    {
        PinCurrentThread(_device, _index, Cpu);
        RunOnThread(null, null);
    }

    /// <summary>The thread's body once set up: with <paramref name="prepared"/> and <paramref name="slots"/>, a ring and request slots made ahead on this thread.</summary>
    private void RunOnThread(IoUring? prepared, BlkSlotTable? slots)
    {
        if (_start != QueueStart.Fresh)
        {
            StartupClock.Mark(_device, "queue " + _index + " thread at work");
        }

        var cache = new IotlbCache(new VduseIotlbMapper(_deviceFd));
        IoUring? uring = prepared;
        BlkQueue<IotlbMemory>? queue = null;
        try
        {
            // Created on this thread: SINGLE_ISSUER binds the ring to its creator.
            uring ??= new IoUring(UringEntries(_info.num), _dataPlane.RingOptions());
            queue = CreateQueue(cache, uring, slots);
            slots = null; // the queue's now, or disposed with it
            if (queue == null)
            {
                return;
            }

            if (_start != QueueStart.Fresh)
            {
                StartupClock.Mark(_device, "queue " + _index + " rings mapped and resumed");
            }

            Stats = queue.Stats;
            if (_start != QueueStart.Fresh)
            {
                // The predecessor may have published completions without the interrupt, and kicks
                // sent while nobody listened are gone: interrupt once, and the first pass looks at
                // the avail ring without waiting for a kick.
                uint index = _index;
                _ = LibC.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_INJECT_IRQ, &index);
            }

            // Before the log line: whoever waits for the ring (a takeover's "ready") need not wait for stderr.
            ReadyAt = System.Diagnostics.Stopwatch.GetTimestamp();
            SignalRingReady();
            if (_start != QueueStart.Fresh)
            {
                StartupClock.Mark(_device, "queue " + _index + " running again");
                Log.Write(LogLevel.Info, _device, "queue " + _index + " taken over: " + Recovered + " request(s) in flight resubmitted");
            }

            Serve(queue, uring, cache);
        }
        catch (Exception e)
        {
            Log.Write(LogLevel.Error, _device, "queue " + _index + " stopped: " + e.Message);
        }
        finally
        {
            // First: a handover waits for this, not for the clean-up below (and the last queue to
            // park passes the device on from here).
            Parked.Set();
            ArrivePark();
            SignalRingReady();
            if (Volatile.Read(ref _parkArrival) != null)
            {
                // A handover's pause: the clean-up (unmapping, the ring's teardown) would compete, on
                // this thread's CPU, with the successor's queue thread pinned there; it waits until
                // the successor serves (or failed).
                _released.Wait();
            }

            queue?.Dispose();
            slots?.Dispose();
            uring?.Dispose();
            cache.Clear();
        }
    }
}
