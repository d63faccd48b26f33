using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Tmds.Linux;
using VduseAot.Interop;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>
/// The live upgrade's exchange on a real control socket, both sides in this process: what the old
/// daemon passes arrives as the same open files, the control listener goes on answering in the
/// successor, and a successor that leaves without saying it serves gives the device back.
/// </summary>
public sealed unsafe class HandoverTests : IDisposable
{
    private readonly DirectoryInfo _parent = Directory.CreateTempSubdirectory("vduse-handover-");
    private readonly FakeAdminTarget _target = new();

    private StateDirectory State => new(Path.Combine(_parent.FullName, "state"));

    public void Dispose()
    {
        _target.Dispose();
        _parent.Delete(recursive: true);
    }

    /// <summary>An old daemon's side: a "device" (an eventfd) to pass, and what the exchange did.</summary>
    private sealed class FakeSource : IHandoverSource, IDisposable
    {
        public OwnedFd Device { get; } = EventFd.Create();

        public int CompletedBy { get; private set; }

        public int Resumed { get; private set; }

        public ManualResetEventSlim Done { get; } = new();

        /// <summary>Runs in Complete, as the daemon's main thread would start its teardown then.</summary>
        public Action? OnComplete { get; set; }

        public void Pause(Action<IReadOnlyList<(string Name, int Fd)>, long> pass)
        {
            // As the daemon does: from another thread (the last queue's), done before Pause returns.
            long pausedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            var queue = new Thread(() =>
            {
                PassedOn = Environment.CurrentManagedThreadId;
                pass([(AdminProtocol.DeviceFd, Device.Value)], pausedAt);
            });
            queue.Start();
            queue.Join();
        }

        public int PassedOn { get; private set; }

        public void Complete(int pid)
        {
            CompletedBy = pid;
            OnComplete?.Invoke();
            Done.Set();
        }

        public void Resume()
        {
            Resumed++;
            Done.Set();
        }

        public void Dispose()
        {
            Device.Dispose();
            Done.Dispose();
        }
    }

    private static ulong Read(int fd)
    {
        ulong v = 0;
        Assert.Equal(8, LibC.read(fd, &v, 8));
        return v;
    }

    [Fact]
    public void The_device_goes_to_the_successor_and_the_control_socket_answers_from_it_and_hands_over_again()
    {
        using var first = new FakeSource();
        using AdminServer old = AdminServer.Start(State, "d", new DaemonAdmin(_target));
        old.Handover = first;

        using var receiver = new HandoverReceiver(State, "d");
        using OwnedFd device = receiver.Request();
        EventFd.Signal(first.Device); // the passed descriptor is the same eventfd
        Assert.Equal(1UL, Read(device.Value));
        Assert.Equal(Environment.ProcessId, receiver.FromPid);
        Assert.NotEqual(0, first.PassedOn); // sent from the source's queue thread, not the server's
        Assert.InRange(receiver.PausedAt, 1, System.Diagnostics.Stopwatch.GetTimestamp()); // the source's moment, on the shared clock
        Assert.NotNull(receiver.Take(AdminProtocol.StdoutFd));
        Assert.NotNull(receiver.Take(AdminProtocol.StderrFd));
        OwnedFd control = receiver.Take(AdminProtocol.ControlFd)!;
        receiver.Confirm();
        Assert.True(first.Done.Wait(10000));
        Assert.Equal(Environment.ProcessId, first.CompletedBy);

        // The successor answers on the listener it was given, and hands it over in turn.
        using var second = new FakeSource();
        using AdminServer next = AdminServer.Adopt(control, State, "d", new DaemonAdmin(_target));
        next.Handover = second;
        next.BeginAnswering();
        old.Dispose(); // the old one lets go without shutting the shared listener down or removing the path
        Assert.True(File.Exists(next.Path));
        using var again = new HandoverReceiver(State, "d");
        using OwnedFd device2 = again.Request();
        EventFd.Signal(second.Device);
        Assert.Equal(1UL, Read(device2.Value));
        again.Confirm();
        Assert.True(second.Done.Wait(10000));
        Assert.Equal(0, second.Resumed);
    }

    [Fact]
    public void An_old_daemon_that_tears_down_the_moment_it_completes_leaves_the_successor_answering()
    {
        using var source = new FakeSource();
        AdminServer old = AdminServer.Start(State, "d", new DaemonAdmin(_target));
        old.Handover = source;

        // The daemon's main thread wakes on Complete and disposes the server while the control
        // thread is still returning from the exchange: give that teardown its head start.
        var teardown = new Thread(old.Dispose);
        source.OnComplete = () =>
        {
            teardown.Start();
            teardown.Join(500);
        };
        using var receiver = new HandoverReceiver(State, "d");
        using OwnedFd device = receiver.Request();
        OwnedFd control = receiver.Take(AdminProtocol.ControlFd)!;
        using AdminServer next = AdminServer.Adopt(control, State, "d", new DaemonAdmin(_target));
        next.BeginAnswering();
        receiver.Confirm();
        Assert.True(source.Done.Wait(10000));
        Assert.True(teardown.Join(10000));

        Assert.True(File.Exists(next.Path));
        var o = new StringWriter();
        Assert.Equal(0, AdminCommands.Run(AdminOptions.Parse("stats", ["d", "--state-dir", State.Path]), o));
    }

    [Fact]
    public void A_successor_that_leaves_without_saying_it_serves_gives_the_device_back()
    {
        using var source = new FakeSource();
        using AdminServer server = AdminServer.Start(State, "d", new DaemonAdmin(_target));
        server.Handover = source;
        using (var receiver = new HandoverReceiver(State, "d"))
        {
            using OwnedFd device = receiver.Request();
        }

        Assert.True(source.Done.Wait(10000));
        Assert.Equal(1, source.Resumed);
        Assert.Equal(0, source.CompletedBy);

        // Still the daemon's socket: it answers.
        var o = new StringWriter();
        Assert.Equal(0, AdminCommands.Run(AdminOptions.Parse("stats", ["d", "--state-dir", State.Path]), o));
    }

    [Fact]
    public void A_daemon_that_cannot_hand_over_refuses_with_its_reason_and_serves_on()
    {
        using AdminServer server = AdminServer.Start(State, "d", new DaemonAdmin(_target));
        using var receiver = new HandoverReceiver(State, "d");
        VduseException e = Assert.Throws<VduseException>(() => receiver.Request());
        Assert.Contains("refused the handover", e.Message);
        Assert.Contains("does not hand over", e.Message);
    }
}
