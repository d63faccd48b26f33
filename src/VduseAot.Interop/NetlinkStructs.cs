using System.Runtime.InteropServices;

// Ours: Tmds.LibC has no netlink, generic netlink or vdpa structs.

namespace VduseAot.Interop;

/// <summary>struct nlmsghdr (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlmsghdr
{
    /// <summary>Length including this header.</summary>
    public uint nlmsg_len;
    /// <summary>Message type (the genl family id for generic netlink).</summary>
    public ushort nlmsg_type;
    /// <summary>NLM_F_*.</summary>
    public ushort nlmsg_flags;
    /// <summary>Sequence number.</summary>
    public uint nlmsg_seq;
    /// <summary>Sender port id.</summary>
    public uint nlmsg_pid;
}

/// <summary>struct genlmsghdr (linux/genetlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct genlmsghdr
{
    /// <summary>Command.</summary>
    public byte cmd;
    /// <summary>Family version.</summary>
    public byte version;
    /// <summary>Reserved.</summary>
    public ushort reserved;
}

/// <summary>struct nlattr (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlattr
{
    /// <summary>Length including this header, excluding padding.</summary>
    public ushort nla_len;
    /// <summary>Attribute type.</summary>
    public ushort nla_type;
}

/// <summary>struct nlmsgerr (linux/netlink.h), the payload of NLMSG_ERROR.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlmsgerr
{
    /// <summary>Negative errno, or 0 for an ACK.</summary>
    public int error;
    /// <summary>The request's header.</summary>
    public nlmsghdr msg;
}

/// <summary>struct sockaddr_nl (linux/netlink.h).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct sockaddr_nl
{
    /// <summary>AF_NETLINK.</summary>
    public ushort nl_family;
    /// <summary>Zero.</summary>
    public ushort nl_pad;
    /// <summary>Port id (0 = kernel).</summary>
    public uint nl_pid;
    /// <summary>Multicast groups.</summary>
    public uint nl_groups;
}
