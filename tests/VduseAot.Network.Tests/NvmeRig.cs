using System;
using VduseAot.Network.NvmeTcp;

namespace VduseAot.Network.Tests;

/// <summary>A fake NVMe/TCP controller, an <see cref="NvmeTcpBackend"/> on it, and one queue (see <see cref="BackendRig"/>).</summary>
internal sealed class NvmeRig : BackendRig
{
    public NvmeRig(ulong size = 4 << 20, FakeNvmeBehaviour? behaviour = null, bool headerDigest = false, bool dataDigest = false,
        int reconnectTimeoutSeconds = 30, ushort queueSize = 256, uint keepAliveMs = 15_000)
        : base("vduse-nvme-")
    {
        Target = new FakeNvmeTarget(System.IO.Path.Combine(Dir, "nvme.sock"), size, behaviour);
        Options = new NvmeTcpOptions(Target.Endpoint, "nqn.2026-12.test:disk", 1, "nqn.2026-12.test:host", Guid.NewGuid(), headerDigest, dataDigest, keepAliveMs);
        Backend = NvmeTcpBackend.Open(Options, readOnly: false, 512, 1, queueSize, reconnectTimeoutSeconds, Log, Log);
        StartQueue(Backend, queueSize);
    }

    public FakeNvmeTarget Target { get; }

    public NvmeTcpOptions Options { get; }

    public NvmeTcpBackend Backend { get; }

    protected override void CloseBackendAndServer()
    {
        Backend.Dispose();
        Target.Dispose();
    }
}
