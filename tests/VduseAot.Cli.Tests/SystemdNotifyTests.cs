using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace VduseAot.Cli.Tests;

public sealed class SystemdNotifyTests
{
    private static string Receive(Socket listener)
    {
        listener.ReceiveTimeout = 5000;
        byte[] buffer = new byte[512];
        int n = listener.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public void Ready_and_stopping_reach_a_path_socket()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("vduse-notify-");
        try
        {
            string path = Path.Combine(dir.FullName, "notify");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            var notify = new SystemdNotify(path, "d");
            notify.Ready("serving d on /dev/vda");
            Assert.Equal("READY=1\nSTATUS=serving d on /dev/vda\n", Receive(listener));
            notify.Stopping("tearing down d");
            Assert.Equal("STOPPING=1\nSTATUS=tearing down d\n", Receive(listener));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void An_at_sign_names_the_abstract_namespace()
    {
        string name = "vduse-blk-test-" + Guid.NewGuid().ToString("N");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + name));
        Assert.True(new SystemdNotify("@" + name, "d").Send("READY=1\n"));
        Assert.Equal("READY=1\n", Receive(listener));
    }

    [Fact]
    public void Without_notify_socket_nothing_is_sent_and_a_dead_socket_is_only_a_warning()
    {
        Assert.False(new SystemdNotify(null, "d").Send("READY=1\n"));
        Assert.False(new SystemdNotify("", "d").Send("READY=1\n"));
        Assert.False(new SystemdNotify("/nonexistent/notify", "d").Send("READY=1\n"));
    }
}
