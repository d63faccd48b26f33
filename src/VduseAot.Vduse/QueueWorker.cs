using System.Threading;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Vduse;

/// <summary>
/// The thread that serves one virtqueue between DRIVER_OK and reset: waits on the kick eventfd, runs
/// every available request, publishes the used ring once per batch and injects one interrupt per batch.
/// It owns its IOTLB cache and ring state; the control thread talks to it only through
/// <see cref="Stop"/>, <see cref="RequestRemap"/> and the wake eventfd.
/// </summary>
public sealed unsafe class QueueWorker
{
    private readonly string _device;
    private readonly int _deviceFd;
    private readonly uint _index;
    private readonly vduse_vq_info _info;
    private readonly BlkExecutor _executor;
    private readonly int _kickFd;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private volatile bool _stop;
    private int _remapEpoch;
    private int _remapAcked;
    private int _lastAvail;

    /// <summary>Creates (does not start) the worker for queue <paramref name="info"/>.index.</summary>
    public QueueWorker(string device, int deviceFd, in vduse_vq_info info, BlkExecutor executor)
    {
        _device = device;
        _deviceFd = deviceFd;
        _index = info.index;
        _info = info;
        _executor = executor;
        _lastAvail = info.state.split.avail_index;
        _kickFd = EventFd.Create();
        _wakeFd = EventFd.Create();
        _thread = new Thread(Run) { IsBackground = true, Name = "vq" + info.index.ToString(System.Globalization.CultureInfo.InvariantCulture) };
    }

    /// <summary>Next avail index, as last published by the worker (for GET_VQ_STATE).</summary>
    public ushort LastAvailIndex => (ushort)Volatile.Read(ref _lastAvail);

    /// <summary>Counters of the queue (read racily by the control thread for stats).</summary>
    public BlkQueueStats? Stats { get; private set; }

    /// <summary>Registers the kick eventfd with the kernel and starts the thread.</summary>
    public void Start()
    {
        vduse_vq_eventfd kick = new() { index = _index, fd = _kickFd };
        if (Libc.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_SETUP_KICKFD, &kick) < 0)
        {
            throw new VduseException("VDUSE_VQ_SETUP_KICKFD for queue " + _index + " failed: " + ErrnoExtensions.Last().Describe());
        }

        _thread.Start();
    }

    /// <summary>Asks the thread to drop its IOTLB mappings and re-translate its rings; returns the epoch to wait for.</summary>
    public int RequestRemap()
    {
        int epoch = Interlocked.Increment(ref _remapEpoch);
        EventFd.Signal(_wakeFd);
        return epoch;
    }

    /// <summary>True once the thread has handled remap request <paramref name="epoch"/> (or has exited).</summary>
    public bool RemapDone(int epoch) => Volatile.Read(ref _remapAcked) >= epoch || !_thread.IsAlive;

    /// <summary>Stops the thread after its current batch and waits for it; the kick eventfd is released.</summary>
    public void Stop()
    {
        _stop = true;
        EventFd.Signal(_wakeFd);
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        vduse_vq_eventfd kick = new() { index = _index, fd = vduse_vq_eventfd.VDUSE_EVENTFD_DEASSIGN };
        _ = Libc.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_SETUP_KICKFD, &kick);
        _ = Libc.close(_kickFd);
        _ = Libc.close(_wakeFd);
    }

    private void Run()
    {
        var cache = new IotlbCache(_deviceFd);
        try
        {
            var ring = new SplitQueue<IotlbMemory>(new IotlbMemory(cache), (ushort)_info.num);
            string? error = ring.Start(_info.desc_addr, _info.driver_addr, _info.device_addr, _info.state.split.avail_index);
            if (error != null)
            {
                Log.Write(LogLevel.Error, _device, "queue " + _index + " cannot start: " + error);
                return;
            }

            var queue = new BlkQueue<IotlbMemory>(ring, _executor);
            Stats = queue.Stats;
            Serve(queue, cache);
        }
        finally
        {
            cache.Clear();
        }
    }

    private void Serve(BlkQueue<IotlbMemory> queue, IotlbCache cache)
    {
        SplitQueue<IotlbMemory> ring = queue.Ring;
        uint index = _index;
        pollfd* fds = stackalloc pollfd[2];
        fds[0] = new pollfd { fd = _kickFd, events = Libc.POLLIN };
        fds[1] = new pollfd { fd = _wakeFd, events = Libc.POLLIN };
        bool reportedBroken = false;
        while (!_stop)
        {
            int done = queue.Process(ring.Size);
            Volatile.Write(ref _lastAvail, ring.LastAvailIndex);
            if (done > 0)
            {
                if (ring.DriverWantsInterrupt())
                {
                    _ = Libc.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_INJECT_IRQ, &index);
                }

                continue;
            }

            if (ring.BrokenReason != null && !reportedBroken)
            {
                reportedBroken = true;
                Log.Write(LogLevel.Error, _device, "queue " + _index + " stopped: " + ring.BrokenReason + "; it resumes after the driver resets the device");
            }

            // Nothing available: sleep until the driver kicks or the control thread wakes us. A kick
            // that raced with the empty check above left the eventfd non-zero, so poll returns at once.
            int n = Libc.poll(fds, 2, -1);
            if (n < 0)
            {
                continue;
            }

            EventFd.Drain(_kickFd);
            if (EventFd.Drain(_wakeFd))
            {
                Remap(ring, cache);
            }
        }
    }

    private void Remap(SplitQueue<IotlbMemory> ring, IotlbCache cache)
    {
        int epoch = Volatile.Read(ref _remapEpoch);
        if (epoch == Volatile.Read(ref _remapAcked))
        {
            return;
        }

        // The used ring was published at the end of the last batch, so restarting from the shared
        // indexes loses nothing; only the host pointers change.
        cache.Clear();
        string? error = ring.Start(_info.desc_addr, _info.driver_addr, _info.device_addr, ring.LastAvailIndex);
        if (error != null)
        {
            Log.Write(LogLevel.Error, _device, "queue " + _index + " lost its rings after an IOTLB update: " + error);
            _stop = true;
        }

        Volatile.Write(ref _remapAcked, epoch);
    }
}
