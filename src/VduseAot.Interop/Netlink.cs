// Ours: Tmds.LibC has no netlink, generic netlink or vdpa constants (AF_NETLINK is its).

namespace VduseAot.Interop;

/// <summary>Netlink, generic netlink, vdpa and taskstats constants (linux/netlink.h, genetlink.h, vdpa.h, taskstats.h).</summary>
public static class Netlink
{
    /// <summary>NETLINK_GENERIC.</summary>
    public const int NETLINK_GENERIC = 16;
    /// <summary>NLM_F_REQUEST.</summary>
    public const ushort NLM_F_REQUEST = 0x1;
    /// <summary>NLM_F_ACK.</summary>
    public const ushort NLM_F_ACK = 0x4;
    /// <summary>NLMSG_ERROR.</summary>
    public const ushort NLMSG_ERROR = 0x2;
    /// <summary>NLMSG_DONE.</summary>
    public const ushort NLMSG_DONE = 0x3;
    /// <summary>NLMSG_ALIGNTO / NLA_ALIGNTO.</summary>
    public const int NLMSG_ALIGNTO = 4;

    /// <summary>GENL_ID_CTRL: the nlctrl family.</summary>
    public const ushort GENL_ID_CTRL = 0x10;
    /// <summary>CTRL_CMD_GETFAMILY.</summary>
    public const byte CTRL_CMD_GETFAMILY = 3;
    /// <summary>CTRL_ATTR_FAMILY_ID (u16).</summary>
    public const ushort CTRL_ATTR_FAMILY_ID = 1;
    /// <summary>CTRL_ATTR_FAMILY_NAME (string).</summary>
    public const ushort CTRL_ATTR_FAMILY_NAME = 2;

    /// <summary>VDPA_GENL_NAME.</summary>
    public const string VDPA_GENL_NAME = "vdpa";
    /// <summary>VDPA_GENL_VERSION.</summary>
    public const byte VDPA_GENL_VERSION = 1;
    /// <summary>VDPA_CMD_DEV_NEW.</summary>
    public const byte VDPA_CMD_DEV_NEW = 3;
    /// <summary>VDPA_CMD_DEV_DEL.</summary>
    public const byte VDPA_CMD_DEV_DEL = 4;
    /// <summary>VDPA_CMD_DEV_GET.</summary>
    public const byte VDPA_CMD_DEV_GET = 5;
    /// <summary>VDPA_ATTR_MGMTDEV_BUS_NAME (string).</summary>
    public const ushort VDPA_ATTR_MGMTDEV_BUS_NAME = 1;
    /// <summary>VDPA_ATTR_MGMTDEV_DEV_NAME (string).</summary>
    public const ushort VDPA_ATTR_MGMTDEV_DEV_NAME = 2;
    /// <summary>VDPA_ATTR_DEV_NAME (string).</summary>
    public const ushort VDPA_ATTR_DEV_NAME = 4;

    /// <summary>TASKSTATS_GENL_NAME.</summary>
    public const string TASKSTATS_GENL_NAME = "TASKSTATS";
    /// <summary>TASKSTATS_GENL_VERSION.</summary>
    public const byte TASKSTATS_GENL_VERSION = 1;
    /// <summary>TASKSTATS_CMD_GET.</summary>
    public const byte TASKSTATS_CMD_GET = 1;
    /// <summary>TASKSTATS_CMD_ATTR_PID (u32): the task asked about.</summary>
    public const ushort TASKSTATS_CMD_ATTR_PID = 1;
    /// <summary>TASKSTATS_TYPE_STATS: struct taskstats, inside TASKSTATS_TYPE_AGGR_PID.</summary>
    public const ushort TASKSTATS_TYPE_STATS = 3;
    /// <summary>TASKSTATS_TYPE_AGGR_PID: the nest a per-task reply comes in.</summary>
    public const ushort TASKSTATS_TYPE_AGGR_PID = 4;
    /// <summary>offsetof(struct taskstats, ac_etime): microseconds since the task was forked (u64; the field's place is fixed since version 1).</summary>
    public const int TASKSTATS_AC_ETIME_OFFSET = 144;
}
