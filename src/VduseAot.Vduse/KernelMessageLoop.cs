using System;
using System.Diagnostics;
using System.Threading;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// The kernel message thread (vduse-kernel): answers the kernel's messages on /dev/vduse/$NAME
/// (GET_VQ_STATE, SET_STATUS, UPDATE_IOTLB) promptly, and starts and stops the queue workers. It never
/// does block I/O: the kernel marks the device broken when a message waits 30 s.
/// </summary>
internal sealed unsafe partial class KernelMessageLoop
{
    private readonly string _name;
    private readonly int _deviceFd;
    private readonly ushort _queues;
    private readonly ulong _offeredFeatures;
    private readonly BlkExecutor _executor;
    private readonly DataPlaneOptions _dataPlane;
    private readonly OwnedFd _stopFd;
    private readonly DetachedThread _thread;
    private readonly QueueWorker?[] _workers;
    private readonly ushort[] _lastAvail;

    // Queues whose worker started and whose interrupt affinity is not set yet.
    private readonly bool[] _unsteered;
    private byte _status;
    private ulong _features;
    private int _waitingQueues;
    private int _waitPolls;
    private readonly StateFile? _state;
    private QueueStart _takeOver;
    private PreparedQueues? _prepared;

    /// <summary>
    /// A kernel message thread for the device open on <paramref name="deviceFd"/>. With <paramref name="takeOver"/>
    /// other than Fresh the device is already running under the driver: the thread first restarts the
    /// queues from <paramref name="state"/> (the status a predecessor acknowledged and its journals).
    /// <paramref name="offeredFeatures"/>: what the device was created with; a driver that accepts
    /// more is refused FEATURES_OK and DRIVER_OK. The queues taken over run on <paramref name="prepared"/>'s
    /// threads (the loop releases the rest once they run).
    /// </summary>
    public KernelMessageLoop(string name, int deviceFd, ushort queues, ulong offeredFeatures, BlkExecutor executor, DataPlaneOptions dataPlane,
        StateFile? state = null, QueueStart takeOver = QueueStart.Fresh, ManualResetEventSlim? ended = null, BlkQueueStats? finished = null,
        PreparedQueues? prepared = null)
    {
        _prepared = prepared;
        Ended = ended ?? WaitEvent.Create();
        Finished = finished ?? new BlkQueueStats();
        _offeredFeatures = offeredFeatures;
        _state = state;
        _takeOver = takeOver;
        _dataPlane = dataPlane;
        _name = name;
        _deviceFd = deviceFd;
        _queues = queues;
        _executor = executor;
        _workers = new QueueWorker?[queues];
        _lastAvail = new ushort[queues];
        _unsteered = new bool[queues];
        _stopFd = EventFd.Create();
        _thread = new DetachedThread(name, "vduse-kernel", Run);
    }

    /// <summary>Set when the thread died; the daemon exits with it.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Signalled once the queues of a device taken over are started (at once for a new device); <see cref="Progress"/> says when they run.</summary>
    public ManualResetEventSlim TakeOverDone { get; } = WaitEvent.Create();

    /// <summary>When the last queue taken over served again (a Stopwatch timestamp; 0 when none was).</summary>
    public long QueuesRunningAt => _progress?.QueuesRunningAt ?? 0;

    /// <summary>The queues resumed under a live driver, set before <see cref="Start"/> returns; null when none were.</summary>
    public TakeOverProgress? Progress => _progress;

    private TakeOverProgress? _progress;

    /// <summary>
    /// Signalled when the thread ends, for the main thread's wait; not by <see cref="Pause"/>. A device
    /// passes one event to each loop it runs, so the main thread's one wait sees whichever loop ends.
    /// </summary>
    public ManualResetEventSlim Ended { get; }

    /// <summary>Counters of every queue run that has ended (a reset or the stop folds them in).</summary>
    public BlkQueueStats Finished { get; }

    /// <summary>
    /// Starts answering the kernel. A device taken over with its driver live first gets its queues
    /// running again on the caller's thread (the guest's I/O waits for them, and a hop to this
    /// thread and back would add two wake-ups to that wait); a failure there ends the loop before
    /// it starts, as one on its thread would.
    /// </summary>
    public void Start()
    {
        try
        {
            if (_takeOver != QueueStart.Fresh && _state != null && (_state.Status & VirtioConstants.VIRTIO_CONFIG_S_DRIVER_OK) != 0)
            {
                ResumeRunningQueues();
            }
        }
        catch (Exception e)
        {
            Failure = e;
            Log.Write(LogLevel.Error, _name, "control thread failed: " + e.Message);
            TakeOverDone.Set();
            Ended.Set();
            return;
        }
        finally
        {
            // The queues not running by now (all of a device not live under its driver) start later on threads of their own.
            _prepared?.Dispose();
            _prepared = null;
        }

        _takeOver = QueueStart.Fresh;
        TakeOverDone.Set(); // publishes the queues taken over to the thread, which waited for it
        if (!_threadStarted)
        {
            _threadStarted = true;
            _thread.Start();
        }
    }

    // Set by the caller's thread, in Start, which alone starts the thread.
    private bool _threadStarted;

    private const int QueuesFirstTimeoutMs = 5000;

    /// <summary>
    /// A live upgrade's successor: <see cref="Start"/> starts the message thread only once the queues
    /// taken over serve (its caller waits for them next anyway); a crash's successor has start-up
    /// work of its own to do meanwhile.
    /// </summary>
    public bool ThreadAfterQueues { get; init; }

    /// <summary>Stops the thread and every worker.</summary>
    public void Stop()
    {
        StopThread();
        StopWorkers();
        _stopFd.Dispose();
    }

    /// <summary>Stops the message thread between two messages and waits for it; the queues serve on.</summary>
    private void StopThread()
    {
        EventFd.Signal(_stopFd);
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    /// <summary>
    /// Stops like <see cref="Stop"/> but as a pause, not an end: <see cref="Ended"/> stays unsignalled,
    /// because the device goes on (in another process after a handover, or in a new loop here).
    /// Every message read was answered: the thread stops between messages. <paramref name="whenParked"/>
    /// runs with the pause's start (when the queues were told to stop, a Stopwatch timestamp) once
    /// every queue has parked, on the thread of the last to park (no thread wakes another between the
    /// last queue stopping and what comes next), before this returns. It must not throw: an exception
    /// is logged and dropped, the queue thread's clean-up going on.
    /// </summary>
    /// <returns>The parked workers, whose threads may still be cleaning up: <see cref="QueueWorker.Release"/> each.</returns>
    public QueueWorker[] Pause(Action<long> whenParked)
    {
        // The messages stop first, the queues serving on meanwhile: only from here does the guest wait.
        _pausing = true;
        StopThread();
        long pausedAt = Stopwatch.GetTimestamp();

        // The last queue to park runs whenParked on its own thread; this one is the party that
        // holds it back until every queue was told.
        var parkedAll = new LastArrival(1);
        parkedAll.SetAction(() =>
        {
            try
            {
                whenParked(pausedAt);
            }
            catch (Exception e)
            {
                Log.Write(LogLevel.Error, _name, "after the queues parked: " + e.Message);
            }
        });

        foreach (QueueWorker? w in _workers)
        {
            if (w != null)
            {
                parkedAll.Add();
                w.ArriveWhenParked(parkedAll);
            }
        }

        RequestStopAll();
        parkedAll.Arrive();
        var parked = new System.Collections.Generic.List<QueueWorker>();
        for (int i = 0; i < _workers.Length; i++)
        {
            if (_workers[i] is { } w)
            {
                w.Park();
                _lastAvail[i] = w.LastAvailIndex;
                Retire(i, w);
                parked.Add(w);
            }
        }

        parkedAll.Done.Wait(); // every queue parked by now: the last one is running it, or ran it
        _stopFd.Dispose();
        return [.. parked];
    }

    private volatile bool _pausing;

    private void Run()
    {
        try
        {
            // A takeover starts this thread while its queues resume: it answers nothing before they run.
            TakeOverDone.Wait();
            if (Failure != null)
            {
                return;
            }

            _progress?.QueuesRunning.Wait(5000);

            // The queues taken over have their interrupts steered here, off the takeover's path.
            SteerInterrupts();
            DrainMessages();
        }
        catch (Exception e)
        {
            Failure = e;
            Log.Write(LogLevel.Error, _name, "control thread failed: " + e.Message);
        }
        finally
        {
            TakeOverDone.Set();
            if (!_pausing || Failure != null)
            {
                Ended.Set();
            }
        }
    }

    /// <summary>
    /// The driver is live under a device taken over: serve its rings before answering the messages
    /// queued meanwhile (those may wait on requests in flight, e.g. a reset draining the block layer).
    /// </summary>
    private void ResumeRunningQueues()
    {
        _status = _state!.Status;
        Log.Write(LogLevel.Info, _name, "taking over a running device (status 0x" + _status.ToString("x2", System.Globalization.CultureInfo.InvariantCulture) + ")");
        _progress = new TakeOverProgress(_name);
        try
        {
            if (!StartWorkers())
            {
                throw new VduseException("the running device's queues could not be taken over");
            }
        }
        finally
        {
            _progress.AllStarted();
        }

        // Nothing waits for the rings here: the last one to serve ends the takeover (TakeOverProgress).
        // The thread is a DetachedThread: Thread.Start, which returns once the new thread has run, took
        // ~25 ms (p50, TCG) here with the guest's I/O keeping every vCPU busy.
        if (ThreadAfterQueues)
        {
            // Its start (a clone, a stack) would hold up the queue pinned to this CPU; the queues
            // come first, as the caller waits for them next anyway.
            _progress.QueuesRunning.Wait(QueuesFirstTimeoutMs);
        }

        _threadStarted = true;
        _thread.Start();
    }

    /// <summary>Waits for the kernel's messages (or the stop eventfd) and answers each one, until stopped.</summary>
    private void DrainMessages()
    {
        pollfd* fds = stackalloc pollfd[2];
        fds[0] = new pollfd { fd = _deviceFd, events = LibC.POLLIN };
        fds[1] = new pollfd { fd = _stopFd.Value, events = LibC.POLLIN };
        while (true)
        {
            fds[0].revents = 0;
            fds[1].revents = 0;
            // While the driver has queues it has not enabled yet, look again: every 100 ms for two
            // seconds, then every second (a driver with fewer CPUs than queues never enables some).
            int timeout = _waitingQueues == 0 ? -1 : _waitPolls < 20 ? 100 : 1000;
            int ready = Sys.poll(fds, 2, timeout);
            if (ready == 0)
            {
                _waitPolls++;
                StartReadyQueues();
                SteerInterrupts();
                continue;
            }

            if (ready < 0)
            {
                Errno e = ErrnoExtensions.Last();
                if (e == Errno.EINTR)
                {
                    continue;
                }

                throw new VduseException("poll on the device failed: " + e.Describe());
            }

            if (fds[1].revents != 0)
            {
                return;
            }

            AnswerPending();
        }
    }

    /// <summary>Reads and answers every message the device has queued (the fd is non-blocking: EAGAIN ends it).</summary>
    private void AnswerPending()
    {
        vduse_dev_request request;
        while (true)
        {
            long n = LibC.read(_deviceFd, &request, sizeof(vduse_dev_request));
            if (n < 0)
            {
                Errno e = ErrnoExtensions.Last();
                if (e == Errno.EAGAIN)
                {
                    return;
                }

                if (e == Errno.EINTR)
                {
                    continue;
                }

                throw new VduseException("reading a control message failed: " + e.Describe());
            }

            if (n != sizeof(vduse_dev_request))
            {
                throw new VduseException("short control message (" + n + " bytes)");
            }

            Answer(in request);
        }
    }

    private void Answer(in vduse_dev_request request)
    {
        vduse_dev_response response = default;
        response.request_id = request.request_id;
        response.result = vduse_dev_response.VDUSE_REQ_RESULT_OK;
        switch (request.type)
        {
            case VduseUapi.VDUSE_GET_VQ_STATE:
                uint index = request.payload.vq_state.index;
                response.payload.vq_state.index = index;
                if (index < _queues)
                {
                    QueueWorker? w = _workers[index];
                    if (w != null && w.Packed)
                    {
                        response.payload.vq_state.state.packed = w.PackedState;
                    }
                    else
                    {
                        response.payload.vq_state.state.split.avail_index = w != null ? w.LastAvailIndex : _lastAvail[index];
                    }
                }
                else
                {
                    response.result = vduse_dev_response.VDUSE_REQ_RESULT_FAILED;
                }

                break;
            case VduseUapi.VDUSE_SET_STATUS:
                if (!SetStatus(request.payload.status))
                {
                    response.result = vduse_dev_response.VDUSE_REQ_RESULT_FAILED;
                }
                else if (_state != null)
                {
                    // Recorded once handled and before the answer: a successor that finds the message
                    // again (unanswered messages are requeued when we die) handles it idempotently.
                    _state.Status = request.payload.status;
                }

                break;
            case VduseUapi.VDUSE_UPDATE_IOTLB:
                Log.Write(LogLevel.Debug, _name, "IOTLB update 0x" + request.payload.iova.start.ToString("x", System.Globalization.CultureInfo.InvariantCulture)
                    + "-0x" + request.payload.iova.last.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                RemapWorkers(request.payload.iova.start, request.payload.iova.last);
                break;
            default:
                Log.Write(LogLevel.Warn, _name, "unknown control message type " + request.type);
                response.result = vduse_dev_response.VDUSE_REQ_RESULT_FAILED;
                break;
        }

        if (LibC.write(_deviceFd, &response, sizeof(vduse_dev_response)) != sizeof(vduse_dev_response))
        {
            Log.Write(LogLevel.Warn, _name, "answering control message " + request.request_id + " failed: " + ErrnoExtensions.Last().Describe());
        }
    }

    /// <summary>Steers the interrupts of every queue started since the last call (see <see cref="SetInterruptAffinity"/>).</summary>
    private void SteerInterrupts()
    {
        for (uint i = 0; i < _queues; i++)
        {
            if (_unsteered[i] && _workers[i] is { } w)
            {
                _unsteered[i] = false;
                SetInterruptAffinity(i, w.Cpu);
            }
        }
    }

    /// <summary>
    /// Steers the queue's interrupt injection to the CPU its thread runs on (sysfs irq_cb_affinity,
    /// Linux 6.8+), so completion handling stays on one CPU. Best effort: older kernels lack the file.
    /// </summary>
    private void SetInterruptAffinity(uint queue, int cpu)
    {
        string path = "/sys/class/vduse/" + _name + "/vq" + queue + "/irq_cb_affinity";
        if (cpu < 0)
        {
            return;
        }

        // open/write, not System.IO: its first use costs milliseconds of a takeover's start-up.
        Errno e = SysfsAttribute.Write(path, CpuAffinity.MaskText(cpu));
        if (e != Errno.OK && e != Errno.ENOENT)
        {
            Log.Write(LogLevel.Warn, _name, "setting " + path + " to CPU " + cpu + " failed: " + e.Describe());
        }
    }

    // All at once: a reset, a handover or an exit waits for the slowest queue, not for their sum.
    private void RequestStopAll()
    {
        foreach (QueueWorker? w in _workers)
        {
            w?.RequestStop();
        }
    }

    private void StopWorkers()
    {
        RequestStopAll();
        for (int i = 0; i < _workers.Length; i++)
        {
            QueueWorker? w = _workers[i];
            if (w != null)
            {
                w.Stop();
                _lastAvail[i] = w.LastAvailIndex;
                Retire(i, w);
            }
        }
    }

    /// <summary>Every worker drops its mappings of IOVAs [<paramref name="start"/>, <paramref name="last"/>] and re-translates its rings.</summary>
    private void RemapWorkers(ulong start, ulong last)
    {
        Span<int> epochs = stackalloc int[_workers.Length];
        for (int i = 0; i < _workers.Length; i++)
        {
            epochs[i] = _workers[i]?.RequestRemap(start, last) ?? 0;
        }

        // Answer only once no worker holds a mapping of the old range, or after a bounded wait
        // (a worker stuck in backend I/O must not make the kernel give up on the whole device).
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < _workers.Length; i++)
        {
            QueueWorker? w = _workers[i];
            while (w != null && !w.RemapDone(epochs[i]) && clock.ElapsedMilliseconds < 5000)
            {
                Thread.Sleep(1);
            }
        }
    }
}
