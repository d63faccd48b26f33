using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// `vduse-blk list | stats | resize | stop` (and `upgrade`, in <see cref="UpgradeCommand"/>): the operator's verbs, each one request on the device's
/// admin socket. Failures are <see cref="VduseException"/> (exit 1) with one line; usage mistakes
/// <see cref="UsageException"/> (exit 2).
/// </summary>
public static class AdminCommands
{
    /// <summary>How long `stop` waits for the daemon's teardown.</summary>
    public const int StopTimeoutMs = 120_000;

    /// <summary>Runs the verb and returns the exit status.</summary>
    public static int Run(AdminOptions options, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        return options.Verb switch
        {
            AdminCliVerb.List => List(options, stdout),
            AdminCliVerb.Stats => Stats(options, stdout),
            AdminCliVerb.Resize => Resize(options, stdout),
            AdminCliVerb.Stop => Stop(options, stdout),
            AdminCliVerb.Upgrade => UpgradeCommand.Run(options, stdout),
            _ => throw new UsageException("unknown command " + (int)options.Verb + " (try: vduse-blk --help)"),
        };
    }

    private static AdminClient Connect(AdminOptions options) => AdminClient.Connect(new StateDirectory(options.StateDir), options.Name);

    private static int Stats(AdminOptions options, TextWriter stdout)
    {
        using AdminClient client = Connect(options);
        using JsonDocument reply = client.Request(options.Prometheus ? AdminVerb.Metrics : AdminVerb.Stats);
        if (options.Prometheus)
        {
            // The daemon formats it, so this and its --metrics-listen endpoint cannot differ.
            stdout.Write(reply.RootElement.GetProperty(AdminProtocol.Text).GetString());
        }
        else
        {
            Print(stdout, reply, options.Json, StatsText.Write);
        }

        return 0;
    }

    private static int Resize(AdminOptions options, TextWriter stdout)
    {
        using AdminClient client = Connect(options);
        using JsonDocument reply = client.Request(AdminVerb.Resize, w =>
        {
            w.WriteNumber(AdminProtocol.Size, options.Size);
            w.WriteBoolean(AdminProtocol.Force, options.Force);
        });
        Print(stdout, reply, options.Json, (o, r) => o.WriteLine("resized " + options.Name + ": "
            + SizeText.Format(r.GetProperty(AdminProtocol.OldBytes).GetUInt64()) + " -> " + SizeText.Format(r.GetProperty(AdminProtocol.NewBytes).GetUInt64())));
        return 0;
    }

    private static int Stop(AdminOptions options, TextWriter stdout)
    {
        using AdminClient client = Connect(options);
        client.Request(AdminVerb.Stop, options.Keep ? w => w.WriteBoolean(AdminProtocol.Keep, true) : null).Dispose();
        if (!client.WaitClosed(StopTimeoutMs))
        {
            throw new VduseException(options.Name + " did not finish its teardown within " + (StopTimeoutMs / 1000) + " s (see its log)");
        }

        stdout.WriteLine((options.Keep ? "exited, device left: " : "stopped ") + options.Name);
        return 0;
    }

    /// <summary>Every device with a socket in the state directory, whether it answers or not.</summary>
    private static int List(AdminOptions options, TextWriter stdout)
    {
        var stateDir = new StateDirectory(options.StateDir);
        string[] names = stateDir.SocketNames();
        if (names.Length == 0)
        {
            throw new VduseException("no devices: no control sockets in " + options.StateDir + " (is vduse-blk serve running? --state-dir?)");
        }

        var rows = new List<(string Name, JsonDocument? Info, string? Error)>();
        foreach (string name in names)
        {
            try
            {
                using AdminClient client = AdminClient.Connect(stateDir, name, timeoutMs: 5000);
                rows.Add((name, client.Request(AdminVerb.Info), null));
            }
            catch (VduseException e)
            {
                rows.Add((name, null, e.Message));
            }
        }

        try
        {
            if (options.Json)
            {
                WriteListJson(stdout, rows);
            }
            else
            {
                stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0,-20} {1,-10} {2,10} {3}", "NAME", "DEVICE", "UPTIME", "BACKEND"));
                foreach ((string name, JsonDocument? info, string? error) in rows)
                {
                    stdout.WriteLine(info == null
                        ? string.Format(CultureInfo.InvariantCulture, "{0,-20} {1}", name, "(not answering: " + error + ")")
                        : string.Format(CultureInfo.InvariantCulture, "{0,-20} {1,-10} {2,10} {3}", name,
                            info.RootElement.GetProperty(AdminProtocol.Device).GetString() ?? "-",
                            Uptime(info.RootElement.GetProperty(AdminProtocol.UptimeSeconds).GetDouble()),
                            info.RootElement.GetProperty(AdminProtocol.Backend).GetString()));
                }
            }
        }
        finally
        {
            foreach ((_, JsonDocument? info, _) in rows)
            {
                info?.Dispose();
            }
        }

        return 0;
    }

    private static void WriteListJson(TextWriter stdout, List<(string Name, JsonDocument? Info, string? Error)> rows)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach ((string name, JsonDocument? info, string? error) in rows)
            {
                if (info != null)
                {
                    info.RootElement.WriteTo(w);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteBoolean(AdminProtocol.Ok, false);
                    w.WriteString(AdminProtocol.Name, name);
                    w.WriteString(AdminProtocol.Error, error);
                    w.WriteEndObject();
                }
            }

            w.WriteEndArray();
        }

        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>The reply as JSON (one line) or through <paramref name="text"/>.</summary>
    private static void Print(TextWriter stdout, JsonDocument reply, bool json, Action<TextWriter, JsonElement> text)
    {
        if (json)
        {
            stdout.WriteLine(reply.RootElement.GetRawText());
        }
        else
        {
            text(stdout, reply.RootElement);
        }
    }

    /// <summary>"12s", "5m12s", "1h02m", "3d04h".</summary>
    public static string Uptime(double seconds)
    {
        long s = (long)seconds;
        return s < 60 ? s + "s"
            : s < 3600 ? (s / 60) + "m" + (s % 60).ToString("00", CultureInfo.InvariantCulture) + "s"
            : s < 86400 ? (s / 3600) + "h" + (s / 60 % 60).ToString("00", CultureInfo.InvariantCulture) + "m"
            : (s / 86400) + "d" + (s / 3600 % 24).ToString("00", CultureInfo.InvariantCulture) + "h";
    }
}
