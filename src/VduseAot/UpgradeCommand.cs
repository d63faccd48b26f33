using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// `vduse-blk upgrade NAME [--binary PATH]`: starts the new binary as `serve --handover` with the
/// running daemon's own command line, working directory and environment (so its logging, state
/// directory, socket and $NOTIFY_SOCKET are the same), relays what it says until it serves, and
/// returns. The new daemon prepares everything before it asks for the device; one that fails
/// before then leaves the running daemon as it was, and one that fails after leaves it the device
/// back.
/// </summary>
public static class UpgradeCommand
{
    /// <summary>How long the new daemon may take to serve.</summary>
    public const int ServeTimeoutMs = 120_000;

    /// <summary>The successor's flag; a daemon started by an upgrade has it in its command line, which the next upgrade reuses.</summary>
    public const string HandoverFlag = "--handover";

    /// <summary>Runs the upgrade and returns the exit status.</summary>
    public static int Run(AdminOptions options, TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        int oldPid = RunningPid(options);
        string binary = options.Binary ?? Environment.ProcessPath ?? throw new VduseException("cannot tell which binary this is: give --binary PATH");
        if (!File.Exists(binary))
        {
            throw new VduseException("--binary " + binary + " does not exist");
        }

        ProcessStartInfo start = SuccessorStart(binary, oldPid);
        using Process successor = Process.Start(start) ?? throw new VduseException("cannot start " + binary);
        successor.StandardInput.Close();
        Thread relay = Relay(successor.StandardError);
        string? ready = AwaitServing(successor, options.Name);

        // Its stderr ends with its stdout (it takes over its predecessor's then): every line it wrote gets out.
        relay.Join(5000);
        if (ready == null)
        {
            bool exited = successor.WaitForExit(5000);
            string how = exited ? "exited with status " + successor.ExitCode : "did not serve within " + (ServeTimeoutMs / 1000) + " s and was killed";
            if (!exited)
            {
                successor.Kill();
            }

            throw new VduseException("upgrade of " + options.Name + " failed: the new daemon (pid " + successor.Id + ", " + binary + ") " + how + "; "
                + (Alive(oldPid) ? "pid " + oldPid + " serves " + options.Name + " as before" : "pid " + oldPid + " is gone too: serve " + options.Name + " again to take the device over"));
        }

        stdout.WriteLine("upgraded " + options.Name + " pid " + successor.Id);
        return 0;
    }

    /// <summary>Copies the new daemon's messages to our stderr until it closes its end.</summary>
    private static Thread Relay(StreamReader stderr)
    {
        var relay = new Thread(() =>
        {
            while (stderr.ReadLine() is string line)
            {
                Console.Error.WriteLine(line);
            }
        }) { IsBackground = true, Name = "upgrade-stderr" };
        relay.Start();
        return relay;
    }

    /// <summary>The pid of the daemon serving the device, from its control socket (which also proves one does).</summary>
    private static int RunningPid(AdminOptions options)
    {
        using AdminClient client = AdminClient.Connect(new StateDirectory(options.StateDir), options.Name);
        using JsonDocument info = client.Request(AdminVerb.Info);
        return info.RootElement.GetProperty(AdminProtocol.Pid).GetInt32();
    }

    private static ProcessStartInfo SuccessorStart(string binary, int oldPid)
    {
        string proc = "/proc/" + oldPid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        List<string> argv = NulSeparated(ReadProc(proc + "/cmdline"));
        if (argv.Count < 2 || argv[1] != "serve")
        {
            throw new VduseException("pid " + oldPid + " was not started as `vduse-blk serve` (" + string.Join(' ', argv) + "): cannot repeat its command line");
        }

        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = new DirectoryInfo(proc + "/cwd").LinkTarget ?? "/",
        };
        foreach (string a in argv.GetRange(1, argv.Count - 1))
        {
            if (a != HandoverFlag)
            {
                start.ArgumentList.Add(a);
            }
        }

        start.ArgumentList.Add(HandoverFlag);
        start.Environment.Clear();
        foreach (string pair in NulSeparated(ReadProc(proc + "/environ")))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                start.Environment[pair[..eq]] = pair[(eq + 1)..];
            }
        }

        return start;
    }

    /// <summary>
    /// The successor's ready (or created) line, read from its stdout, once that closes too (it does
    /// when the daemon told its predecessor it serves); null if it ended or timed out without one.
    /// </summary>
    private static string? AwaitServing(Process successor, string name)
    {
        string? ready = null;
        var reader = new Thread(() =>
        {
            while (successor.StandardOutput.ReadLine() is string line)
            {
                if (line.StartsWith("ready " + name + " ", StringComparison.Ordinal) || line.StartsWith("created " + name + " ", StringComparison.Ordinal))
                {
                    Volatile.Write(ref ready, line);
                }
            }
        }) { IsBackground = true, Name = "upgrade-stdout" };
        reader.Start();
        reader.Join(ServeTimeoutMs);
        return reader.IsAlive ? null : Volatile.Read(ref ready);
    }

    private static byte[] ReadProc(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VduseException("cannot read " + path + " of the running daemon: " + e.Message + " (run upgrade as the daemon's user, root)", e);
        }
    }

    /// <summary>The NUL-terminated strings of a /proc file (an empty argument stays: it is one).</summary>
    private static List<string> NulSeparated(byte[] bytes)
    {
        var items = new List<string>(Encoding.UTF8.GetString(bytes).Split('\0'));
        if (items.Count > 0 && items[^1].Length == 0)
        {
            items.RemoveAt(items.Count - 1);
        }

        return items;
    }

    private static bool Alive(int pid) => Directory.Exists("/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
