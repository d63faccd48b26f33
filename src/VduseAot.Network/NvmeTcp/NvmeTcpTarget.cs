using System;

namespace VduseAot.Network.NvmeTcp;

/// <summary>How to reach a namespace over NVMe/TCP and who we are to the subsystem.</summary>
/// <param name="Endpoint">The controller's address (port 4420 by default).</param>
/// <param name="SubsystemNqn">The subsystem to connect to.</param>
/// <param name="Nsid">The namespace served.</param>
/// <param name="HostNqn">Our host NQN.</param>
/// <param name="HostId">Our host identifier (the UUID in a UUID-based host NQN).</param>
/// <param name="HeaderDigest">Ask for header digests.</param>
/// <param name="DataDigest">Ask for data digests.</param>
/// <param name="KeepAliveMs">KATO asked for on the admin queue.</param>
public sealed record NvmeTcpOptions(NetworkEndpoint Endpoint, string SubsystemNqn, uint Nsid, string HostNqn, Guid HostId,
    bool HeaderDigest = false, bool DataDigest = false, uint KeepAliveMs = 15_000);

/// <summary>What the admin queue learnt of the controller and namespace; every reconnection must agree.</summary>
/// <param name="ControllerId">The dynamic controller's CNTLID, which each I/O queue's Connect names.</param>
/// <param name="Controller">Identify Controller.</param>
/// <param name="Namespace">Identify Namespace of the namespace served.</param>
/// <param name="MaxQueueEntries">CAP.MQES + 1: the largest I/O queue.</param>
/// <param name="MinPageBytes">CAP.MPSMIN as bytes (the unit of MDTS).</param>
/// <param name="IoQueues">I/O queues the controller granted.</param>
/// <param name="MaxH2CData">MAXH2CDATA of the admin connection (each I/O connection gets its own, normally the same).</param>
public sealed record NvmeTcpTarget(ushort ControllerId, NvmeController Controller, NvmeNamespace Namespace, int MaxQueueEntries, uint MinPageBytes,
    int IoQueues, uint MaxH2CData)
{
    /// <summary>The most bytes one command may move (MDTS; 0: no limit).</summary>
    public ulong MaxTransferBytes => Controller.MaxTransferBytes(MinPageBytes);

    /// <summary>Dataset Management (deallocate) is supported: DISCARD can be offered.</summary>
    public bool CanDeallocate => (Controller.Oncs & NvmeProto.NVME_CTRL_ONCS_DSM) != 0;

    /// <summary>Write Zeroes is supported.</summary>
    public bool CanWriteZeroes => (Controller.Oncs & NvmeProto.NVME_CTRL_ONCS_WRITE_ZEROES) != 0;

    /// <summary>Why a device made for this target cannot go on with <paramref name="now"/> (null: it can).</summary>
    public string? Difference(NvmeTcpTarget now)
    {
        ArgumentNullException.ThrowIfNull(now);
        if (now.Namespace.Bytes != Namespace.Bytes || now.Namespace.BlockBytes != Namespace.BlockBytes)
        {
            return "the namespace changed from " + Namespace.Bytes + " bytes in " + Namespace.BlockBytes + "-byte blocks to "
                + now.Namespace.Bytes + " bytes in " + now.Namespace.BlockBytes + "-byte blocks";
        }

        if (now.Controller.InCapsuleBytes < Math.Min(Controller.InCapsuleBytes, 16u) || (CanDeallocate && !now.CanDeallocate) || (CanWriteZeroes && !now.CanWriteZeroes))
        {
            return "the controller no longer supports the commands the device offers (Dataset Management, Write Zeroes)";
        }

        return now.IoQueues < IoQueues ? "the controller grants " + now.IoQueues + " I/O queues, not " + IoQueues : null;
    }
}
