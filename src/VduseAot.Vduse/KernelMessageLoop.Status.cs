using System;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Vduse;

/// <content>SET_STATUS: resets, the features the driver accepted, DRIVER_OK starting the queues.</content>
internal sealed unsafe partial class KernelMessageLoop
{
    private bool SetStatus(byte status)
    {
        byte old = _status;
        _status = status;
        Log.Write(LogLevel.Debug, _name, "status 0x" + status.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        if (status == 0)
        {
            // Reset: finish the current batches, drop the mappings, forget the negotiated state.
            StopWorkers();
            Array.Clear(_lastAvail);
            _waitingQueues = 0;
            return true;
        }

        // A refused FEATURES_OK or DRIVER_OK is not stored by the kernel either: the driver reads the
        // status back without the bit (spec 3.1.1) and the device stays as it was.
        byte negotiated = VirtioConstants.VIRTIO_CONFIG_S_FEATURES_OK | VirtioConstants.VIRTIO_CONFIG_S_DRIVER_OK;
        if ((status & negotiated & ~old) != 0 && !DriverFeaturesOffered())
        {
            _status = old;
            return false;
        }

        bool wasOk = (old & VirtioConstants.VIRTIO_CONFIG_S_DRIVER_OK) != 0;
        bool isOk = (status & VirtioConstants.VIRTIO_CONFIG_S_DRIVER_OK) != 0;
        if (isOk && !wasOk)
        {
            return StartWorkers();
        }

        return true;
    }

    /// <summary>False (logged) when the driver's features are not a subset of the offered ones, or cannot be read.</summary>
    private bool DriverFeaturesOffered()
    {
        ulong features = 0;
        if (LibC.ioctl(_deviceFd, VduseUapi.VDUSE_DEV_GET_FEATURES, &features) < 0)
        {
            Log.Write(LogLevel.Error, _name, "VDUSE_DEV_GET_FEATURES failed: " + ErrnoExtensions.Last().Describe());
            return false;
        }

        string? refusal = FeatureNegotiation.Refusal(_offeredFeatures, features);
        if (refusal != null)
        {
            Log.Write(LogLevel.Warn, _name, "refused the driver's features (FEATURES_OK or DRIVER_OK not kept): " + refusal);
            return false;
        }

        return true;
    }

    private bool StartWorkers()
    {
        ulong features = 0;
        if (LibC.ioctl(_deviceFd, VduseUapi.VDUSE_DEV_GET_FEATURES, &features) < 0)
        {
            Log.Write(LogLevel.Error, _name, "VDUSE_DEV_GET_FEATURES failed: " + ErrnoExtensions.Last().Describe());
            return false;
        }

        Log.Write(LogLevel.Info, _name, "driver ready, features 0x" + features.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        _features = features;
        _waitPolls = 0;
        bool started = StartReadyQueues();
        if (_takeOver == QueueStart.Fresh)
        {
            SteerInterrupts(); // a takeover steers them on the message thread, once its rings run
        }

        if (!started)
        {
            return false;
        }

        if (_waitingQueues > 0)
        {
            Log.Write(LogLevel.Info, _name, _waitingQueues + " queue(s) not enabled by the driver yet: they start when it enables them");
        }

        return true;
    }

    /// <summary>Starts a worker for every queue the driver has enabled and that has none; counts the rest.</summary>
    private bool StartReadyQueues()
    {
        _waitingQueues = 0;
        for (uint i = 0; i < _queues; i++)
        {
            if (_workers[i] != null)
            {
                continue;
            }

            vduse_vq_info info = new() { index = i };
            if (LibC.ioctl(_deviceFd, VduseUapi.VDUSE_VQ_GET_INFO, &info) < 0)
            {
                Log.Write(LogLevel.Error, _name, "VDUSE_VQ_GET_INFO " + i + " failed: " + ErrnoExtensions.Last().Describe());
                return false;
            }

            if (info.ready == 0)
            {
                _waitingQueues++;
                continue;
            }

            var worker = new QueueWorker(_name, _deviceFd, in info, _features, _executor, _dataPlane,
                _state?.Journal(i, (ushort)info.num), _takeOver, _prepared?.Take(i));
            if (_progress != null)
            {
                _progress.AddQueue();
                worker.Progress = _progress;
            }

            try
            {
                worker.Start();
            }
            catch (VduseException)
            {
                worker.Progress?.QueueRunning(0); // it never runs to say so
                throw;
            }

            _workers[i] = worker;
            _unsteered[i] = true;
        }

        return true;
    }
}
