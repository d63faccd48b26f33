using System;
using System.Collections.Generic;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>The serving daemon as a live upgrade's source: the device pauses, goes, or serves again.</summary>
internal sealed class DaemonHandover(VduseBlkDevice device, MetricsServer? metrics, Action<bool> requestStop) : IHandoverSource
{
    /// <inheritdoc />
    public void Pause(Action<IReadOnlyList<(string Name, int Fd)>, long> pass) =>
        device.PauseForHandover((deviceFd, pausedAt) =>
        {
            var fds = new List<(string, int)> { (AdminProtocol.DeviceFd, deviceFd) };
            if (metrics != null)
            {
                fds.Add((AdminProtocol.MetricsFd, metrics.ListenFd));
            }

            pass(fds, pausedAt);
        });

    /// <inheritdoc />
    public void Complete(int pid)
    {
        device.HandedOver(pid);
        metrics?.Abandon();
        requestStop(true);
    }

    /// <inheritdoc />
    public void Resume() => device.ResumeAfterHandover();
}
