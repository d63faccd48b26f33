using System;
using System.Diagnostics;
using System.Globalization;
using VduseAot.Interop;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// Brings up an association with an NVMe/TCP controller: the admin queue (Connect to a dynamic
/// controller, CAP, CC.EN and CSTS.RDY within CAP.TO, Identify Controller and Namespace, Number of
/// Queues), and each I/O queue's own connection and Connect. Blocking, with deadlines; off the data
/// path. Errors throw <see cref="NetworkException"/> naming the controller and what it said.
/// </summary>
public static class NvmeTcpAdmin
{
    private const ushort AdminQueueEntries = 32;

    /// <summary>
    /// Connects the admin queue for <paramref name="options"/> and asks for <paramref name="ioQueues"/>
    /// I/O queues. Returns the admin socket and its exchange (the connector keeps them for Keep Alive)
    /// and the target.
    /// </summary>
    public static (OwnedFd Admin, NvmeTcpExchange Exchange, NvmeTcpTarget Target) Open(NvmeTcpOptions options, int ioQueues, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(options);
        string peer = options.Endpoint.ToString();
        (OwnedFd fd, NvmeTcpExchange x) = Dial(options, timeoutMs);
        try
        {
            ushort controller = Connect(x, options, 0, AdminQueueEntries, options.KeepAliveMs, NvmeProto.NVME_CNTLID_DYNAMIC, peer);
            ulong cap = PropertyGet(x, NvmeProto.NVME_REG_CAP, true);
            Enable(x, cap, peer);
            Span<byte> id = new byte[NvmeProto.IdentifyBytes];
            NvmeController ctrl = NvmeController.Parse(Identify(x, NvmeProto.NVME_ID_CNS_CTRL, 0, id, "Identify Controller"));
            if (ctrl.Sgls == 0)
            {
                throw new NetworkException(peer + ": the controller does not support SGLs, which NVMe/TCP requires");
            }

            NvmeNamespace ns = NvmeNamespace.Parse(Identify(x, NvmeProto.NVME_ID_CNS_NS, options.Nsid, id, "Identify Namespace"))
                ?? throw new NetworkException(peer + ": subsystem " + options.SubsystemNqn + " has no active namespace " + options.Nsid + ": check --nsid");
            if (ns.MetadataBytes != 0 || ns.BlockBytes is not (512 or 4096))
            {
                throw new NetworkException(peer + ": namespace " + options.Nsid + " is formatted with " + ns.BlockBytes + "-byte blocks and "
                    + ns.MetadataBytes + " metadata bytes: only 512 or 4096 without metadata are served");
            }

            int granted = SetQueueCount(x, ioQueues, peer);
            var target = new NvmeTcpTarget(controller, ctrl, ns, (int)(cap & 0xffff) + 1, 4096u << (int)((cap >> 48) & 0xf), granted, x.MaxH2CData);
            return (fd, x, target);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Opens I/O queue <paramref name="queueId"/> (1-based) of <paramref name="entries"/> entries on a connection of its own.</summary>
    public static (OwnedFd Socket, NvmeTcpExchange Exchange) OpenIoQueue(NvmeTcpOptions options, NvmeTcpTarget target, ushort queueId, ushort entries, int timeoutMs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(target);
        string peer = options.Endpoint.ToString();
        (OwnedFd fd, NvmeTcpExchange x) = Dial(options, timeoutMs);
        try
        {
            Connect(x, options, queueId, entries, 0, target.ControllerId, peer);
            SocketConnect.SetTimeouts(fd.Value, 0);
            return (fd, x);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>A connection to the controller with the initialize-connection exchange done (the digests agreed).</summary>
    private static (OwnedFd Socket, NvmeTcpExchange Exchange) Dial(NvmeTcpOptions options, int timeoutMs)
    {
        string peer = options.Endpoint.ToString();
        OwnedFd fd = SocketConnect.Connect(options.Endpoint, timeoutMs);
        try
        {
            var x = new NvmeTcpExchange(new BlockingSocket(fd.Value, peer), peer);
            x.Initialize(options.HeaderDigest, options.DataDigest);
            return (fd, x);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private static ushort Connect(NvmeTcpExchange x, NvmeTcpOptions o, ushort queueId, ushort entries, uint keepAliveMs, ushort controller, string peer)
    {
        Span<byte> sqe = stackalloc byte[NvmeProto.SqeBytes];
        Span<byte> data = stackalloc byte[NvmeProto.ConnectDataBytes];
        NvmeCommand.Connect(sqe, x.NextCommandId(), queueId, entries, keepAliveMs);
        NvmeCommand.ConnectData(data, o.HostId, controller, o.SubsystemNqn, o.HostNqn);
        string what = queueId == 0 ? "Connect (admin queue)" : "Connect (I/O queue " + queueId + ")";
        NvmeCompletion c = x.Execute(sqe, data, default, what);
        if (!c.Ok)
        {
            throw new NetworkException(peer + " rejected " + what + " to " + o.SubsystemNqn + " as " + o.HostNqn + ": " + c.Describe());
        }

        return (ushort)c.Result;
    }

    /// <summary>
    /// Keep Alive on the admin queue, then CSTS: throws <see cref="NetworkException"/> when the
    /// controller does not answer in time, refuses, or reports a fatal status (CSTS.CFS).
    /// </summary>
    public static void KeepAlive(NvmeTcpExchange admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        Span<byte> sqe = stackalloc byte[NvmeProto.SqeBytes];
        NvmeCommand.KeepAlive(sqe, admin.NextCommandId());
        Checked(admin.Execute(sqe, default, default, "Keep Alive"), "Keep Alive");
        if ((PropertyGet(admin, NvmeProto.NVME_REG_CSTS, false) & NvmeProto.NVME_CSTS_CFS) != 0)
        {
            throw new NetworkException("the controller reports a fatal status (CSTS.CFS)");
        }
    }

    private static ulong PropertyGet(NvmeTcpExchange x, uint offset, bool eightBytes)
    {
        Span<byte> sqe = stackalloc byte[NvmeProto.SqeBytes];
        NvmeCommand.PropertyGet(sqe, x.NextCommandId(), offset, eightBytes);
        string what = "Property Get 0x" + offset.ToString("x", CultureInfo.InvariantCulture);
        return Checked(x.Execute(sqe, default, default, what), what).Result;
    }

    /// <summary>CC.EN = 1 with 64/16-byte entries, then CSTS.RDY within CAP.TO (500 ms units).</summary>
    private static void Enable(NvmeTcpExchange x, ulong cap, string peer)
    {
        Span<byte> sqe = stackalloc byte[NvmeProto.SqeBytes];
        NvmeCommand.PropertySet(sqe, x.NextCommandId(), NvmeProto.NVME_REG_CC, NvmeProto.NVME_CC_ENABLE | NvmeProto.NVME_CC_IOSQES | NvmeProto.NVME_CC_IOCQES);
        Checked(x.Execute(sqe, default, default, "Property Set CC.EN"), "Property Set CC.EN");
        long timeoutMs = Math.Max(1, (long)((cap >> 24) & 0xff)) * 500;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            ulong csts = PropertyGet(x, NvmeProto.NVME_REG_CSTS, false);
            if ((csts & NvmeProto.NVME_CSTS_CFS) != 0)
            {
                throw new NetworkException(peer + ": the controller reports a fatal status (CSTS.CFS) while enabling");
            }

            if ((csts & NvmeProto.NVME_CSTS_RDY) != 0)
            {
                return;
            }

            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                throw new NetworkException(peer + ": the controller was not ready (CSTS.RDY) within CAP.TO, " + timeoutMs + " ms");
            }

            System.Threading.Thread.Sleep(5); // start-up only: the controller is coming up
        }
    }

    private static ReadOnlySpan<byte> Identify(NvmeTcpExchange x, byte cns, uint nsid, Span<byte> into, string what)
    {
        Span<byte> sqe = stackalloc byte[NvmeProto.SqeBytes];
        into.Clear();
        NvmeCommand.Identify(sqe, x.NextCommandId(), cns, nsid);
        Checked(x.Execute(sqe, default, into, what), what);
        return into;
    }

    private static int SetQueueCount(NvmeTcpExchange x, int queues, string peer)
    {
        Span<byte> sqe = stackalloc byte[NvmeProto.SqeBytes];
        NvmeCommand.SetQueueCount(sqe, x.NextCommandId(), queues);
        NvmeCompletion c = Checked(x.Execute(sqe, default, default, "Set Features (Number of Queues)"), "Set Features (Number of Queues)");
        int granted = (int)Math.Min(c.Result & 0xffff, (c.Result >> 16) & 0xffff) + 1;
        if (granted < queues)
        {
            throw new NetworkException(peer + ": the controller grants " + granted + " I/O queue(s), not " + queues + ": serve it with --queues " + granted);
        }

        return granted;
    }

    private static NvmeCompletion Checked(NvmeCompletion c, string what) =>
        c.Ok ? c : throw new NetworkException(what + " failed: " + c.Describe());
}
