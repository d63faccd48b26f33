using System;
using System.Buffers;
using System.Text.Json;

namespace VduseAot;

/// <summary>
/// The admin socket's wire protocol in one place: line-delimited JSON, one request object per line
/// ({"cmd":VERB,...}) and one reply object per line ({"ok":true,...} or {"ok":false,"error":"..."}).
/// The names here are the protocol (README documents them): a daemon and a client of other versions
/// talk through them, so they never change.
/// </summary>
public static class AdminProtocol
{
    /// <summary>Request: the verb.</summary>
    public const string Command = "cmd";

    /// <summary>Request (resize): the new capacity in bytes.</summary>
    public const string Size = "size";

    /// <summary>Request (resize): allow shrinking.</summary>
    public const string Force = "force";

    /// <summary>Request (stop): leave the device for a successor.</summary>
    public const string Keep = "keep";

    /// <summary>Reply: true, or false with <see cref="Error"/>.</summary>
    public const string Ok = "ok";

    /// <summary>Reply: the one-line reason of a refusal.</summary>
    public const string Error = "error";

    /// <summary>Reply (info, stats): the device name.</summary>
    public const string Name = "name";

    /// <summary>Reply (info): what serves the bytes.</summary>
    public const string Backend = "backend";

    /// <summary>Reply (info): /dev/vdX, or null before the attach.</summary>
    public const string Device = "device";

    /// <summary>Info field: "virtio-blk" (the host's /dev/vdX), "vhost-vdpa" (serve --vhost) or "detached" (--no-attach).</summary>
    public const string Mode = "mode";

    /// <summary>Reply (info): the capacity in bytes.</summary>
    public const string CapacityBytes = "capacity_bytes";

    /// <summary>Reply (info): the daemon's process id.</summary>
    public const string Pid = "pid";

    /// <summary>Reply (info, stats): seconds since the daemon started.</summary>
    public const string UptimeSeconds = "uptime_s";

    /// <summary>Reply (stats): one object per queue.</summary>
    public const string Queues = "queues";

    /// <summary>Reply (stats): the queues summed.</summary>
    public const string Total = "total";

    /// <summary>Reply (stats): the process's cost.</summary>
    public const string Process = "process";

    /// <summary>Stats reply: the backend's network connections (present only when it has some).</summary>
    public const string Connections = "connections";

    /// <summary>Reply (handover): the names of the passed descriptors, in their order.</summary>
    public const string Fds = "fds";

    /// <summary>Reply (handover): when the daemon stopped serving, as a Stopwatch timestamp (CLOCK_MONOTONIC, shared by the processes).</summary>
    public const string PausedAt = "paused_at";

    /// <summary>Handover: the successor's line once its queues run: {"resumed":true}.</summary>
    public const string Resumed = "resumed";

    /// <summary>Handover descriptor: the VDUSE device, /dev/vduse/NAME.</summary>
    public const string DeviceFd = "device";

    /// <summary>Handover descriptor: the control socket's listener.</summary>
    public const string ControlFd = "control";

    /// <summary>Handover descriptor: the --metrics-listen listener.</summary>
    public const string MetricsFd = "metrics";

    /// <summary>Handover descriptor: the daemon's standard output.</summary>
    public const string StdoutFd = "stdout";

    /// <summary>Handover descriptor: the daemon's standard error (its log).</summary>
    public const string StderrFd = "stderr";

    /// <summary>Reply (metrics): the Prometheus text.</summary>
    public const string Text = "text";

    /// <summary>Reply (resize): the capacity before.</summary>
    public const string OldBytes = "old_bytes";

    /// <summary>Reply (resize): the capacity now.</summary>
    public const string NewBytes = "new_bytes";

    // The one mapping between the verbs and their wire names.
    private static readonly (AdminVerb Verb, string Wire)[] Verbs =
    [
        (AdminVerb.Info, "info"),
        (AdminVerb.Stats, "stats"),
        (AdminVerb.Metrics, "metrics"),
        (AdminVerb.Resize, "resize"),
        (AdminVerb.Stop, "stop"),
        (AdminVerb.Handover, "handover"),
    ];

    /// <summary>The wire name of <paramref name="verb"/>.</summary>
    public static string WireName(AdminVerb verb)
    {
        foreach ((AdminVerb v, string wire) in Verbs)
        {
            if (v == verb)
            {
                return wire;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(verb), verb, "not an admin verb");
    }

    /// <summary>The verb named <paramref name="wire"/> (case-sensitive); false for anything else.</summary>
    public static bool TryParseVerb(string? wire, out AdminVerb verb)
    {
        foreach ((AdminVerb v, string name) in Verbs)
        {
            if (string.Equals(name, wire, StringComparison.Ordinal))
            {
                verb = v;
                return true;
            }
        }

        verb = default;
        return false;
    }

    /// <summary>The error reply's text for a verb no daemon of this version knows.</summary>
    public static string UnknownCommand(string? wire)
    {
        string known = "";
        foreach ((_, string name) in Verbs)
        {
            known += (known.Length == 0 ? "" : ", ") + name;
        }

        return "unknown command '" + wire + "' (known: " + known + ")";
    }

    /// <summary>{"cmd":VERB, ...the arguments}.</summary>
    public static byte[] Request(AdminVerb verb, Action<Utf8JsonWriter>? arguments) => Line(w =>
    {
        w.WriteString(Command, WireName(verb));
        arguments?.Invoke(w);
    });

    /// <summary>{"ok":false,"error":"..."}.</summary>
    public static byte[] ErrorReply(string error) => Line(w =>
    {
        w.WriteBoolean(Ok, false);
        w.WriteString(Error, error);
    });

    /// <summary>One JSON object (without its newline) with the properties <paramref name="properties"/> writes.</summary>
    public static byte[] Line(Action<Utf8JsonWriter> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            properties(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
