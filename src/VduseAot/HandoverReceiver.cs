using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// A live upgrade's successor side of the handover (`serve --handover`, started by `upgrade`): asks
/// the daemon on the control socket for the device, keeps the descriptors it passes (the device,
/// the control and metrics listeners, its stdout and stderr), and tells it once the queues run.
/// </summary>
public sealed unsafe class HandoverReceiver : IDisposable
{
    // The daemon pauses first, which waits for its requests in flight (a network backend's may wait on a reconnect).
    private const int ReplyTimeoutMs = 60000;
    private const int MaxReplyBytes = 4096;

    private readonly StateDirectory _stateDir;
    private readonly string _name;
    private readonly Dictionary<string, OwnedFd> _fds = new(StringComparer.Ordinal);
    private OwnedFd? _socket;

    /// <summary>For device <paramref name="name"/> in <paramref name="stateDir"/>; connects on <see cref="Request"/>.</summary>
    public HandoverReceiver(StateDirectory stateDir, string name)
    {
        _stateDir = stateDir;
        _name = name;
    }

    /// <summary>The daemon that handed over.</summary>
    public int FromPid { get; private set; }

    /// <summary>When it stopped serving (a Stopwatch timestamp; 0 if it did not say).</summary>
    public long PausedAt { get; private set; }

    /// <summary>
    /// Logs how long no queue served: from the predecessor's pause to <paramref name="servingAt"/>,
    /// when the last queue ran again (a Stopwatch timestamp; 0: now).
    /// </summary>
    public void ReportPause(long servingAt)
    {
        if (PausedAt != 0)
        {
            double ms = System.Diagnostics.Stopwatch.GetElapsedTime(PausedAt, servingAt != 0 ? servingAt : System.Diagnostics.Stopwatch.GetTimestamp()).TotalMilliseconds;
            Log.Write(LogLevel.Info, _name, "serving " + ms.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)
                + " ms after pid " + FromPid + " paused (the handover's pause)");
        }
    }

    /// <summary>
    /// Connects, asks, and returns the device descriptor; the running daemon has stopped serving
    /// when this returns. Throws <see cref="VduseException"/> with the daemon's refusal (it serves on).
    /// </summary>
    public OwnedFd Request()
    {
        string path = _stateDir.SocketPath(_name);
        _socket = Connect(path);
        byte[] request = AdminProtocol.Request(AdminVerb.Handover, w => w.WriteNumber(AdminProtocol.Pid, Environment.ProcessId));
        SendLine(request);
        (byte[] line, List<int> fds) = ReceiveLine(path);
        using JsonDocument reply = JsonDocument.Parse(line);
        JsonElement root = reply.RootElement;
        if (!root.TryGetProperty(AdminProtocol.Ok, out JsonElement ok) || ok.ValueKind != JsonValueKind.True)
        {
            CloseAll(fds);
            string why = root.TryGetProperty(AdminProtocol.Error, out JsonElement e) ? e.GetString() ?? "" : Encoding.UTF8.GetString(line);
            throw new VduseException("the daemon serving " + _name + " refused the handover: " + why);
        }

        FromPid = root.TryGetProperty(AdminProtocol.Pid, out JsonElement pid) && pid.TryGetInt32(out int p) ? p : 0;
        PausedAt = root.TryGetProperty(AdminProtocol.PausedAt, out JsonElement at) && at.TryGetInt64(out long t) ? t : 0;
        int i = 0;
        foreach (JsonElement n in root.GetProperty(AdminProtocol.Fds).EnumerateArray())
        {
            if (i < fds.Count)
            {
                _fds[n.GetString() ?? ""] = new OwnedFd(fds[i++]);
            }
        }

        CloseAll(fds.GetRange(i, fds.Count - i));
        return Take(AdminProtocol.DeviceFd) ?? throw new VduseException("the daemon serving " + _name + " handed over no device descriptor");
    }

    /// <summary>The passed descriptor named <paramref name="name"/> (now the caller's), or null.</summary>
    public OwnedFd? Take(string name) => _fds.Remove(name, out OwnedFd? fd) ? fd : null;

    /// <summary>The old daemon was told that this one serves.</summary>
    public bool Confirmed { get; private set; }

    /// <summary>Tells the old daemon that this one serves: it exits.</summary>
    public void Confirm()
    {
        Confirmed = true;
        SendLine(AdminProtocol.Line(w => w.WriteBoolean(AdminProtocol.Resumed, true)));
        _socket?.Dispose();
        _socket = null;
    }

    /// <summary>
    /// Logs and output go where the old daemon's went (a journal stream, a file): its stdout and
    /// stderr replace ours, which were `upgrade`'s pipes (their end tells it the handover is over).
    /// </summary>
    public void AdoptOutput()
    {
        foreach ((string name, int target) in new[] { (AdminProtocol.StdoutFd, 1), (AdminProtocol.StderrFd, 2) })
        {
            using OwnedFd? fd = Take(name);
            if (fd != null && LibC.dup2(fd.Value, target) < 0)
            {
                Log.Write(LogLevel.Warn, _name, "cannot take over the old daemon's " + name + ": " + ErrnoExtensions.Last().Describe());
            }
        }
    }

    private static OwnedFd Connect(string path)
    {
        OwnedFd fd = UnixListenSocket.Connect(path, out Errno e)
            ?? throw new VduseException("cannot reach the daemon serving the device on " + path + ": " + e.Describe() + " (is it running? --state-dir?)");
        long* timeout = stackalloc long[2] { ReplyTimeoutMs / 1000, 0 }; // struct timeval: seconds, microseconds
        _ = LibC.setsockopt(fd.Value, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeout, 2 * sizeof(long));
        return fd;
    }

    private void SendLine(byte[] line)
    {
        byte[] framed = LineReader.Frame(line);
        long sent;
        do
        {
            sent = _socket == null ? -1 : Sys.SendWithFds(_socket.Value, framed, []);
        }
        while (sent < 0 && ErrnoExtensions.Last() == Errno.EINTR);
        if (sent != framed.Length)
        {
            throw new VduseException("the control socket of " + _name + " failed during the handover: " + ErrnoExtensions.Last().Describe());
        }
    }

    /// <summary>The reply line and every descriptor that came with it (recvmsg throughout: a plain read would drop them).</summary>
    private (byte[] Line, List<int> Fds) ReceiveLine(string path)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var fds = new List<int>();
        Span<byte> chunk = stackalloc byte[MaxReplyBytes];
        Span<int> received = stackalloc int[Sys.MaxPassedFds];
        while (buffer.WrittenSpan.IndexOf((byte)'\n') < 0)
        {
            long n = Sys.ReceiveWithFds(_socket!.Value, chunk, received, out int count);
            for (int i = 0; i < count; i++)
            {
                fds.Add(received[i]);
            }

            if (n < 0 && ErrnoExtensions.Last() == Errno.EINTR)
            {
                continue; // the runtime's own signals (a GC suspending threads) interrupt the wait
            }

            if (n <= 0 || buffer.WrittenCount > MaxReplyBytes)
            {
                CloseAll(fds);
                throw new VduseException("the daemon on " + path + " did not answer the handover"
                    + (n < 0 ? ": " + ErrnoExtensions.Last().Describe() : " (it closed the connection)"));
            }

            buffer.Write(chunk[..(int)n]);
        }

        int newline = buffer.WrittenSpan.IndexOf((byte)'\n');
        return (buffer.WrittenSpan[..newline].ToArray(), fds);
    }

    private static void CloseAll(List<int> fds)
    {
        foreach (int fd in fds)
        {
            _ = LibC.close(fd);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _socket?.Dispose();
        foreach (OwnedFd fd in _fds.Values)
        {
            fd.Dispose();
        }

        _fds.Clear();
    }
}
