using System;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// The daemon's answers on its admin socket: info (for `list`), stats, metrics, resize and stop. Bad
/// arguments get an error reply (unknown verbs never reach it: <see cref="AdminServer"/> refuses
/// them); the daemon carries on.
/// </summary>
public sealed class DaemonAdmin(IAdminTarget target) : IAdminHandler
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private int _stopping;

    /// <inheritdoc />
    public bool Handle(AdminVerb verb, JsonElement request, Utf8JsonWriter reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (Volatile.Read(ref _stopping) != 0 && verb != AdminVerb.Info)
        {
            throw new VduseException(target.Name + " is stopping");
        }

        switch (verb)
        {
            case AdminVerb.Info:
                WriteInfo(reply);
                return false;
            case AdminVerb.Stats:
                WriteStats(reply);
                return false;
            case AdminVerb.Metrics:
                reply.WriteString(AdminProtocol.Text, Metrics());
                return false;
            case AdminVerb.Resize:
                Resize(request, reply);
                return false;
            case AdminVerb.Stop:
                // Only the first stop starts the teardown; the connection stays open until the end.
                Volatile.Write(ref _stopping, 1);
                target.RequestStop(IsTrue(request, AdminProtocol.Keep));
                return true;
            case AdminVerb.Handover:
                throw new VduseException(target.Name + ": this daemon does not hand over its device");
            default:
                throw new ArgumentOutOfRangeException(nameof(verb), verb, "not an admin verb");
        }
    }

    /// <summary>Who drives the device: the host's virtio_blk, or vhost_vdpa for a VM or a userspace driver.</summary>
    private string Mode => target.BlockDevice switch
    {
        null => "detached",
        string d when d.StartsWith("/dev/vhost-vdpa-", StringComparison.Ordinal) => "vhost-vdpa",
        _ => "virtio-blk",
    };

    private double UptimeSeconds => Math.Round(Stopwatch.GetElapsedTime(_started).TotalSeconds, 3);

    private static bool IsTrue(JsonElement request, string field) =>
        request.ValueKind == JsonValueKind.Object && request.TryGetProperty(field, out JsonElement v) && v.ValueKind == JsonValueKind.True;

    private void WriteInfo(Utf8JsonWriter w)
    {
        w.WriteString(AdminProtocol.Name, target.Name);
        w.WriteString(AdminProtocol.Backend, target.BackendDescription);
        if (target.BlockDevice is string dev)
        {
            w.WriteString(AdminProtocol.Device, dev);
        }
        else
        {
            w.WriteNull(AdminProtocol.Device);
        }

        w.WriteString(AdminProtocol.Mode, Mode);
        w.WriteNumber(AdminProtocol.CapacityBytes, target.CapacityBytes);
        w.WriteNumber(AdminProtocol.Pid, Environment.ProcessId);
        w.WriteNumber(AdminProtocol.UptimeSeconds, UptimeSeconds);
    }

    private void WriteStats(Utf8JsonWriter w)
    {
        BlkQueueStats[] queues = target.QueueStats();
        var total = new BlkQueueStats();
        foreach (BlkQueueStats q in queues)
        {
            total.Add(q);
        }

        w.WriteString(AdminProtocol.Name, target.Name);
        w.WriteString(AdminProtocol.Mode, Mode);
        w.WriteNumber(AdminProtocol.UptimeSeconds, UptimeSeconds);
        w.WriteStartArray(AdminProtocol.Queues);
        foreach (BlkQueueStats q in queues)
        {
            StatsJson.WriteQueue(w, q);
        }

        w.WriteEndArray();
        w.WritePropertyName(AdminProtocol.Total);
        StatsJson.WriteQueue(w, total);
        w.WritePropertyName(AdminProtocol.Process);
        StatsJson.WriteProcess(w, ProcessAccounting.Measure(), total.Requests);
        ConnectionStatus[] connections = target.Connections();
        if (connections.Length > 0)
        {
            w.WriteStartArray(AdminProtocol.Connections);
            foreach (ConnectionStatus c in connections)
            {
                StatsJson.WriteConnection(w, c);
            }

            w.WriteEndArray();
        }
    }

    /// <summary>
    /// The Prometheus exposition of the device now, for the admin socket's "metrics" verb and the
    /// --metrics-listen endpoint (each on its own thread; the counters are racy copies).
    /// </summary>
    public string Metrics() => PrometheusMetrics.Format(
        new MetricsSnapshot(target.Name, UptimeSeconds, target.CapacityBytes, target.QueueStats(), ProcessAccounting.Measure(), target.Connections()));

    private void Resize(JsonElement request, Utf8JsonWriter w)
    {
        if (!request.TryGetProperty(AdminProtocol.Size, out JsonElement size) || size.ValueKind != JsonValueKind.Number || !size.TryGetUInt64(out ulong bytes))
        {
            throw new VduseException("resize needs \"size\": a number of bytes");
        }

        ulong old = target.Resize(bytes, IsTrue(request, AdminProtocol.Force));
        w.WriteNumber(AdminProtocol.OldBytes, old);
        w.WriteNumber(AdminProtocol.NewBytes, bytes);
    }
}
