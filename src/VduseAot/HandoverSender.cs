using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>
/// The running daemon's side of a live upgrade, on its control socket's thread: pause, pass the
/// device with the control listener and the log streams (SCM_RIGHTS, in the reply line), wait for
/// the successor's {"resumed":true}. Without it (the successor died, hung or closed the
/// connection) the successor is made sure to be gone, so that only one process ever serves the
/// rings, and this daemon resumes from the state file.
/// </summary>
internal static class HandoverSender
{
    /// <summary>How long the successor may take from receiving the device to serving it.</summary>
    public const int ResumeTimeoutMs = 30000;

    /// <summary>
    /// Runs the exchange for the request on <paramref name="client"/>. <paramref name="handedOver"/>
    /// runs once handed over, before the source completes, which lets the process end: the caller
    /// must know the listener is shared by then.
    /// </summary>
    public static void Run(Socket client, LineReader reader, JsonElement request, IHandoverSource source, int controlListenFd, string name, Action handedOver)
    {
        int socket = (int)client.Handle;
        int peer = Sys.PeerPid(socket, out uint uid);
        if (peer <= 0 || (uid != 0 && uid != LibC.geteuid()))
        {
            LineReader.Send(client, AdminProtocol.ErrorReply("a handover goes only to a process of the daemon's user (peer uid " + uid + ")"));
            return;
        }

        if (request.TryGetProperty(AdminProtocol.Pid, out JsonElement pid) && (!pid.TryGetInt32(out int claimed) || claimed != peer))
        {
            LineReader.Send(client, AdminProtocol.ErrorReply("the handover request names pid " + pid + " but comes from pid " + peer));
            return;
        }

        // The pause's start is CLOCK_MONOTONIC, the same in both processes: the successor reports the
        // whole pause. The descriptors leave from the last queue thread to stop (see IHandoverSource).
        string? failure = "the daemon passed nothing";
        Log.Write(LogLevel.Info, name, "handing over to pid " + peer);
        Log.Hold(); // until the descriptors are sent: the pause is not spent writing logs
        try
        {
            source.Pause((passed, pausedAt) => failure = SendOrSayWhy(socket, passed, controlListenFd, pausedAt));
        }
        catch (VduseException e)
        {
            LineReader.Send(client, AdminProtocol.ErrorReply(e.Message));
            return;
        }
        finally
        {
            Log.Release();
        }

        failure ??= AwaitResumed(client, reader);
        if (failure == null)
        {
            handedOver();
            source.Complete(peer);
            return;
        }

        Log.Write(LogLevel.Warn, name, "the handover to pid " + peer + " failed: " + failure);
        EnsureGone(peer, name);
        source.Resume();
    }

    private static string? SendOrSayWhy(int socket, IReadOnlyList<(string Name, int Fd)> passed, int controlListenFd, long pausedAt)
    {
        try
        {
            return Send(socket, passed, controlListenFd, pausedAt);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return "passing the descriptors failed: " + e.Message; // on a queue thread: nothing may escape
        }
    }

    /// <summary>The reply line with the descriptors; null when sent, else why not.</summary>
    private static string? Send(int socket, IReadOnlyList<(string Name, int Fd)> passed, int controlListenFd, long pausedAt)
    {
        var names = new List<string>();
        Span<int> fds = stackalloc int[Sys.MaxPassedFds];
        int count = 0;
        foreach ((string n, int fd) in passed)
        {
            names.Add(n);
            fds[count++] = fd;
        }

        names.AddRange([AdminProtocol.ControlFd, AdminProtocol.StdoutFd, AdminProtocol.StderrFd]);
        fds[count++] = controlListenFd;
        fds[count++] = 1;
        fds[count++] = 2;
        byte[] line = AdminProtocol.Line(w =>
        {
            w.WriteBoolean(AdminProtocol.Ok, true);
            w.WriteNumber(AdminProtocol.Pid, Environment.ProcessId);
            w.WriteNumber(AdminProtocol.PausedAt, pausedAt);
            w.WriteStartArray(AdminProtocol.Fds);
            foreach (string n in names)
            {
                w.WriteStringValue(n);
            }

            w.WriteEndArray();
        });
        byte[] framed = LineReader.Frame(line);

        // One sendmsg: the descriptors ride on the line's first byte, so the successor's first recvmsg gets them.
        long sent;
        do
        {
            sent = Sys.SendWithFds(socket, framed, fds[..count]);
        }
        while (sent < 0 && ErrnoExtensions.Last() == Errno.EINTR);
        return sent == framed.Length ? null : "passing the descriptors failed: " + (sent < 0 ? ErrnoExtensions.Last().Describe() : "short send");
    }

    /// <summary>Null once the successor said it serves, else what it did instead.</summary>
    private static string? AwaitResumed(Socket client, LineReader reader)
    {
        client.ReceiveTimeout = ResumeTimeoutMs;
        try
        {
            byte[]? line = reader.ReadLine();
            if (line == null)
            {
                return "it closed the connection before it served";
            }

            using JsonDocument doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(AdminProtocol.Resumed, out JsonElement r)
                && r.ValueKind == JsonValueKind.True ? null : "it answered " + System.Text.Encoding.UTF8.GetString(line);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return "it did not say it serves within " + (ResumeTimeoutMs / 1000) + " s";
        }
        catch (Exception e) when (e is SocketException or JsonException or InvalidDataException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The successor may hold the device still (hung, or not yet exited): it is killed and waited
    /// for, so its queues cannot touch the rings once ours run again.
    /// </summary>
    private static void EnsureGone(int pid, string name)
    {
        if (pid == Environment.ProcessId)
        {
            return; // a connection from this process (a test): it let go of what it was passed
        }

        if (!Exited(pid))
        {
            Log.Write(LogLevel.Warn, name, "killing pid " + pid + ", which may hold the device");
            _ = LibC.kill(pid, LibC.SIGKILL);
        }

        for (int i = 0; i < 1000 && !Exited(pid); i++)
        {
            Thread.Sleep(10); // the failure path only: a successor that is dying releases the device within moments
        }

        Log.Write(LogLevel.Warn, name, "pid " + pid + " is gone: serving again");
    }

    /// <summary>Gone, or a zombie (its descriptors are closed by then).</summary>
    private static bool Exited(int pid)
    {
        string? stat = Sys.ReadText("/proc/" + pid + "/stat");
        if (stat is null)
        {
            return true;
        }

        int close = stat.LastIndexOf(')');
        return close < 0 || close + 2 >= stat.Length || stat[close + 2] is 'Z' or 'X';
    }
}
