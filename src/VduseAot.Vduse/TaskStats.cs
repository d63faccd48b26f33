using System;
using System.Buffers.Binary;
using System.Diagnostics;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// The kernel's per-task accounting ("TASKSTATS" generic netlink), for the one figure /proc does not
/// give to better than 10 ms: how long a process has existed, to the microsecond (ac_etime).
/// </summary>
public static class TaskStats
{
    /// <summary>
    /// Microseconds since task <paramref name="pid"/> was forked, as the kernel counted them just after
    /// <paramref name="askedAt"/> (a Stopwatch timestamp); null where the kernel has no taskstats or
    /// refuses the query.
    /// </summary>
    public static ulong? ElapsedUs(int pid, out long askedAt)
    {
        askedAt = 0;
        using GenericNetlink? netlink = GenericNetlink.Open(out _, out _);
        if (netlink == null || netlink.ResolveFamily(Netlink.TASKSTATS_GENL_NAME, out ushort family) != Errno.OK)
        {
            return null;
        }

        ulong? elapsed = null;
        NetlinkMessage query = netlink.Request(family, Netlink.TASKSTATS_CMD_GET, Netlink.TASKSTATS_GENL_VERSION)
            .U32(Netlink.TASKSTATS_CMD_ATTR_PID, (uint)pid);
        askedAt = Stopwatch.GetTimestamp();
        Errno e = netlink.Transact(query, reply => elapsed = ElapsedUs(reply));
        return e == Errno.OK ? elapsed : null;
    }

    /// <summary>ac_etime of one reply message (nlmsghdr, genlmsghdr, the AGGR_PID nest), or null when it is not there.</summary>
    public static ulong? ElapsedUs(ReadOnlySpan<byte> reply) =>
        GenericNetlink.Attribute(reply, 20, reply.Length, Netlink.TASKSTATS_TYPE_AGGR_PID, out int nest, out int nestLength)
        && GenericNetlink.Attribute(reply, nest, nest + nestLength, Netlink.TASKSTATS_TYPE_STATS, out int stats, out int statsLength)
        && statsLength >= Netlink.TASKSTATS_AC_ETIME_OFFSET + 8
            ? BinaryPrimitives.ReadUInt64LittleEndian(reply.Slice(stats + Netlink.TASKSTATS_AC_ETIME_OFFSET))
            : null;
}
