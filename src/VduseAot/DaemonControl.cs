using System;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>What the control socket can see and do of a served device.</summary>
public interface IControlTarget
{
    /// <summary>The device name.</summary>
    string Name { get; }

    /// <summary>"ram 64 MiB", "file /srv/disk.img (...)".</summary>
    string BackendDescription { get; }

    /// <summary>/dev/vdX, or null before the attach (or with --no-attach).</summary>
    string? BlockDevice { get; }

    /// <summary>The capacity the driver is told.</summary>
    ulong CapacityBytes { get; }

    /// <summary>Per-queue counters since start.</summary>
    BlkQueueStats[] QueueStats();

    /// <summary>Changes the capacity; returns the previous one. Throws <see cref="VduseException"/>.</summary>
    ulong Resize(ulong bytes, bool force);

    /// <summary>Starts the teardown SIGTERM starts, or with <paramref name="keepDevice"/> the exit SIGUSR1 starts.</summary>
    void RequestStop(bool keepDevice);
}

/// <summary>
/// The daemon's answers on its control socket: info (for `list`), stats, resize and stop. Unknown
/// commands and bad arguments get an error reply; the daemon carries on.
/// </summary>
public sealed class DaemonControl(IControlTarget target) : IControlHandler
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private int _stopping;

    /// <inheritdoc />
    public bool Handle(string command, JsonElement request, Utf8JsonWriter reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (Volatile.Read(ref _stopping) != 0 && command != "info")
        {
            throw new VduseException(target.Name + " is stopping");
        }

        switch (command)
        {
            case "info":
                WriteInfo(reply);
                return false;
            case "stats":
                WriteStats(reply);
                return false;
            case "metrics":
                reply.WriteString("text", Metrics());
                return false;
            case "resize":
                Resize(request, reply);
                return false;
            case "stop":
                // Only the first stop starts the teardown; the connection stays open until the end.
                Volatile.Write(ref _stopping, 1);
                target.RequestStop(request.ValueKind == JsonValueKind.Object && request.TryGetProperty("keep", out JsonElement k) && k.ValueKind == JsonValueKind.True);
                return true;
            default:
                throw new VduseException("unknown command '" + command + "' (known: info, stats, metrics, resize, stop)");
        }
    }

    private double UptimeSeconds => Math.Round(Stopwatch.GetElapsedTime(_started).TotalSeconds, 3);

    private void WriteInfo(Utf8JsonWriter w)
    {
        w.WriteString("name", target.Name);
        w.WriteString("backend", target.BackendDescription);
        if (target.BlockDevice is string dev)
        {
            w.WriteString("device", dev);
        }
        else
        {
            w.WriteNull("device");
        }

        w.WriteNumber("capacity_bytes", target.CapacityBytes);
        w.WriteNumber("pid", Environment.ProcessId);
        w.WriteNumber("uptime_s", UptimeSeconds);
    }

    private void WriteStats(Utf8JsonWriter w)
    {
        BlkQueueStats[] queues = target.QueueStats();
        var total = new BlkQueueStats();
        foreach (BlkQueueStats q in queues)
        {
            total.Add(q);
        }

        w.WriteString("name", target.Name);
        w.WriteNumber("uptime_s", UptimeSeconds);
        w.WriteStartArray("queues");
        foreach (BlkQueueStats q in queues)
        {
            StatsJson.WriteQueue(w, q);
        }

        w.WriteEndArray();
        w.WritePropertyName("total");
        StatsJson.WriteQueue(w, total);
        w.WritePropertyName("process");
        StatsJson.WriteProcess(w, ProcessAccounting.Measure(), total.Requests);
    }

    /// <summary>
    /// The Prometheus exposition of the device now, for the control socket's "metrics" command and
    /// the --metrics-listen endpoint (each on its own thread; the counters are racy copies).
    /// </summary>
    public string Metrics() => PrometheusMetrics.Format(
        new MetricsSnapshot(target.Name, UptimeSeconds, target.CapacityBytes, target.QueueStats(), ProcessAccounting.Measure()));

    private void Resize(JsonElement request, Utf8JsonWriter w)
    {
        if (!request.TryGetProperty("size", out JsonElement size) || size.ValueKind != JsonValueKind.Number || !size.TryGetUInt64(out ulong bytes))
        {
            throw new VduseException("resize needs \"size\": a number of bytes");
        }

        bool force = request.TryGetProperty("force", out JsonElement f) && f.ValueKind == JsonValueKind.True;
        ulong old = target.Resize(bytes, force);
        w.WriteNumber("old_bytes", old);
        w.WriteNumber("new_bytes", bytes);
    }
}

/// <summary>The served <see cref="VduseBlkDevice"/> as the control socket sees it.</summary>
public sealed class ServedDevice(string name, VduseBlkDevice device, Action<bool> requestStop) : IControlTarget
{
    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public string BackendDescription => device.BackendDescription;

    /// <inheritdoc />
    public string? BlockDevice => device.BlockDevice;

    /// <inheritdoc />
    public ulong CapacityBytes => device.CapacityBytes;

    /// <inheritdoc />
    public BlkQueueStats[] QueueStats() => device.QueueStats();

    /// <inheritdoc />
    public ulong Resize(ulong bytes, bool force) => device.Resize(bytes, force);

    /// <inheritdoc />
    public void RequestStop(bool keepDevice)
    {
        Log.Write(LogLevel.Info, name, keepDevice ? "exit requested on the control socket, keeping the device" : "stop requested on the control socket");
        requestStop(keepDevice);
    }
}
