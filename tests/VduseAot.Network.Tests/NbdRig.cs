using VduseAot.Network.Nbd;
using Xunit;

namespace VduseAot.Network.Tests;

/// <summary>A fake NBD server, an <see cref="NbdBackend"/> on it, and one queue (see <see cref="BackendRig"/>).</summary>
internal sealed class NbdRig : BackendRig
{
    public NbdRig(ulong size = 4 << 20, FakeNbdBehaviour? behaviour = null, int reconnectTimeoutSeconds = 30, ushort queueSize = 256)
        : base("vduse-nbd-")
    {
        Server = new FakeNbdServer(System.IO.Path.Combine(Dir, "nbd.sock"), size, behaviour);
        Backend = NbdBackend.Open(Server.Uri, readOnly: false, 512, 1, queueSize, reconnectTimeoutSeconds, Log, out string? reason);
        Assert.Null(reason);
        StartQueue(Backend, queueSize);
    }

    public FakeNbdServer Server { get; }

    public NbdBackend Backend { get; }

    protected override void CloseBackendAndServer()
    {
        Backend.Dispose();
        Server.Dispose();
    }
}
