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
    private const int StackBytes = 256 * 1024;

    private readonly string _device;
    private readonly int _deviceFd;
    private readonly uint _index;
    private readonly vduse_vq_info _info;
    private readonly BlkExecutor _executor;
    private readonly DataPlaneOptions _dataPlane;
    private readonly ulong _features;
    private readonly OwnedFd _kickFd;
    private readonly OwnedFd _wakeFd;
    private readonly Thread _thread;
    private volatile bool _stop;
    private int _remapEpoch;
    private readonly object _remapLock = new();
    private ulong _remapStart = ulong.MaxValue;
    private ulong _remapLast;
    private int _remapAcked;
    private int _lastAvail;
    private readonly RingJournal? _journal;
    private readonly QueueStart _start;

    /// <summary>Creates (does not start) the worker for queue <paramref name="info"/>.index.</summary>
    public QueueWorker(string device, int deviceFd, in vduse_vq_info info, ulong features, BlkExecutor executor, DataPlaneOptions dataPlane,
        RingJournal? journal = null, QueueStart start = QueueStart.Fresh)
    {
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
        _thread = new Thread(Run, StackBytes) { IsBackground = true, Name = "vq" + info.index.ToString(System.Globalization.CultureInfo.InvariantCulture) };
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
            throw new VduseException("VDUSE_VQ_SETUP_KICKFD for queue " + _index + " failed: " + ErrnoExtensions.Last().Describe());
        }

        _thread.Start();
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

    /// <summary>Stops the thread once its in-flight requests completed, waits for it, releases the kick eventfd.</summary>
    public void Stop()
    {
        _stop = true;
        EventFd.Signal(_wakeFd);
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        vduse_vq_eventfd kick = new() { index = _index, fd = vduse_vq_eventfd.VDUSE_EVENTFD_DEASSIGN };
        _ = LibC.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_SETUP_KICKFD, &kick);
        _kickFd.Dispose();
        _wakeFd.Dispose();
    }

    /// <summary>Set once the thread has its ring (and has resubmitted what a predecessor left), or has given up.</summary>
    public ManualResetEventSlim RingReady { get; } = new();

    /// <summary>Requests a predecessor left in flight that this worker resubmitted.</summary>
    public int Recovered { get; private set; }

    /// <summary>The CPU the thread is pinned to, or -1.</summary>
    public int Cpu => _dataPlane.CpuFor(_index);

    private BlkQueue<IotlbMemory>? CreateQueue(IotlbCache cache, IoUring uring)
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
        var queue = new BlkQueue<IotlbMemory>(ring, _executor, uring);
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

    private void Run()
    {
        CpuAffinity.NameCurrentThread("vq" + _index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        int cpu = Cpu;
        if (cpu >= 0 && CpuAffinity.PinCurrentThread(cpu) is Errno pinError && pinError != Errno.OK)
        {
            Log.Write(LogLevel.Warn, _device, "queue " + _index + " cannot be pinned to CPU " + cpu + ": " + pinError.Describe());
        }

        var cache = new IotlbCache(new VduseIotlbMapper(_deviceFd));
        IoUring? uring = null;
        BlkQueue<IotlbMemory>? queue = null;
        try
        {
            // Created on this thread: SINGLE_ISSUER binds the ring to its creator.
            uint entries = Math.Max(64u, Math.Min(4096u, 2 * _info.num));
            uring = new IoUring(entries, _dataPlane.RingOptions());
            queue = CreateQueue(cache, uring);
            if (queue == null)
            {
                return;
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
            RingReady.Set();
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
            RingReady.Set();
            queue?.Dispose();
            uring?.Dispose();
            cache.Clear();
        }
    }
}
