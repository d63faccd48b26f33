using System;
using System.Buffers.Binary;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// The "vdpa" generic-netlink family, spoken directly (what `vdpa dev add/del` does): attaches a VDUSE
/// device to the vDPA bus so virtio_vdpa and virtio_blk bind to it, and detaches it again.
/// </summary>
public sealed unsafe class VdpaNetlink : IDisposable
{
    private readonly OwnedFd _fd;
    private readonly ushort _family;
    private uint _sequence;

    /// <summary>Opens a generic-netlink socket and resolves the vdpa family.</summary>
    public VdpaNetlink()
    {
        _fd = OwnedFd.FromResult(LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, Netlink.NETLINK_GENERIC))
            ?? throw new VduseException("cannot open a generic netlink socket: " + ErrnoExtensions.Last().Describe());

        try
        {
            sockaddr_nl addr = new() { nl_family = (ushort)(int)LibC.AF_NETLINK };
            if (LibC.bind(_fd.Value, (sockaddr*)&addr, (uint)sizeof(sockaddr_nl)) < 0)
            {
                throw new VduseException("cannot bind the netlink socket: " + ErrnoExtensions.Last().Describe());
            }

            // A kernel that does not answer within the control-message timeout is broken; do not hang forever.
            long* timeout = stackalloc long[2];
            timeout[0] = 60;
            timeout[1] = 0;
            _ = LibC.setsockopt(_fd.Value, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeout, 16);
            _family = ResolveFamily();
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    /// <summary>VDPA_CMD_DEV_NEW on the "vduse" management device: binds the drivers (blocks while they probe).</summary>
    public void AddDevice(string name)
    {
        var msg = new NetlinkMessage(_family, Netlink.VDPA_CMD_DEV_NEW, Netlink.VDPA_GENL_VERSION, ++_sequence)
            .String(Netlink.VDPA_ATTR_MGMTDEV_DEV_NAME, "vduse")
            .String(Netlink.VDPA_ATTR_DEV_NAME, name);
        Errno e = Transact(msg, null);
        if (e != Errno.OK)
        {
            string hint = e switch
            {
                Errno.EEXIST => "a vdpa device named '" + name + "' already exists (remove it with `vdpa dev del " + name + "`)",
                Errno.ENODEV or Errno.ENOENT => "the 'vduse' vdpa management device is missing: load the vduse module (modprobe vduse)",
                Errno.EPERM or Errno.EACCES => "attaching needs CAP_NET_ADMIN: run as root",
                _ => "see the kernel log (dmesg) for the driver's reason",
            };
            throw new VduseException("attaching '" + name + "' to the vDPA bus failed: " + e.Describe() + "; " + hint);
        }
    }

    /// <summary>VDPA_CMD_DEV_DEL: unbinds the drivers and removes the vdpa device. Returns the errno.</summary>
    public Errno DeleteDevice(string name)
    {
        var msg = new NetlinkMessage(_family, Netlink.VDPA_CMD_DEV_DEL, Netlink.VDPA_GENL_VERSION, ++_sequence)
            .String(Netlink.VDPA_ATTR_DEV_NAME, name);
        return Transact(msg, null);
    }

    private ushort ResolveFamily()
    {
        var msg = new NetlinkMessage(Netlink.GENL_ID_CTRL, Netlink.CTRL_CMD_GETFAMILY, 1, ++_sequence)
            .String(Netlink.CTRL_ATTR_FAMILY_NAME, Netlink.VDPA_GENL_NAME);
        ushort family = 0;
        Errno e = Transact(msg, reply => family = FindFamilyId(reply));
        if (e == Errno.ENOENT)
        {
            throw new VduseException("the kernel has no 'vdpa' netlink family: load the vdpa module (modprobe vdpa)");
        }

        if (e != Errno.OK || family == 0)
        {
            throw new VduseException("resolving the vdpa netlink family failed: " + e.Describe());
        }

        return family;
    }

    private static ushort FindFamilyId(ReadOnlySpan<byte> message)
    {
        // message = nlmsghdr (16) + genlmsghdr (4) + attributes.
        int at = 20;
        while (at + 4 <= message.Length)
        {
            ushort len = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(at));
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(at + 2));
            if (len < 4)
            {
                break;
            }

            if ((type & 0x3fff) == Netlink.CTRL_ATTR_FAMILY_ID && len >= 6)
            {
                return BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(at + 4));
            }

            at += NetlinkMessage.Align(len);
        }

        return 0;
    }

    /// <summary>Sends <paramref name="msg"/> and reads until its ACK/error; replies go to <paramref name="onReply"/>.</summary>
    private Errno Transact(NetlinkMessage msg, Action<ReadOnlySpan<byte>>? onReply)
    {
        ReadOnlySpan<byte> bytes = msg.Bytes();
        uint sequence = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(8));
        fixed (byte* p = bytes)
        {
            if (LibC.send(_fd.Value, p, bytes.Length, 0) < 0)
            {
                return ErrnoExtensions.Last();
            }
        }

        byte[] buffer = new byte[16384];
        while (true)
        {
            long n;
            fixed (byte* p = buffer)
            {
                n = LibC.recv(_fd.Value, p, buffer.Length, 0);
            }

            if (n < 0)
            {
                Errno e = ErrnoExtensions.Last();
                if (e == Errno.EINTR)
                {
                    continue;
                }

                return e;
            }

            int at = 0;
            while (at + 16 <= n)
            {
                ReadOnlySpan<byte> m = buffer.AsSpan(at, (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(at)), (uint)(n - at)));
                if (m.Length < 16)
                {
                    break;
                }

                ushort type = BinaryPrimitives.ReadUInt16LittleEndian(m.Slice(4));
                uint seq = BinaryPrimitives.ReadUInt32LittleEndian(m.Slice(8));
                if (seq == sequence)
                {
                    if (type == Netlink.NLMSG_ERROR)
                    {
                        int error = m.Length >= 20 ? BinaryPrimitives.ReadInt32LittleEndian(m.Slice(16)) : -(int)Errno.EIO;
                        return (Errno)(-error);
                    }

                    if (type != Netlink.NLMSG_DONE)
                    {
                        onReply?.Invoke(m);
                    }
                }

                at += NetlinkMessage.Align(m.Length);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
