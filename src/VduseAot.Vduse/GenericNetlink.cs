using System;
using System.Buffers.Binary;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// A generic-netlink socket bound to the kernel: resolves a family by name and runs one request at a
/// time to its ACK or error. The families built on it (vdpa, taskstats) only say what to send and
/// what their errors mean.
/// </summary>
internal sealed unsafe class GenericNetlink : IDisposable
{
    private readonly OwnedFd _fd;
    private uint _sequence;

    private GenericNetlink(OwnedFd fd) => _fd = fd;

    /// <summary>Opens and binds the socket; null with the errno in <paramref name="error"/> when that fails.</summary>
    public static GenericNetlink? Open(out Errno error, out string step)
    {
        step = "open a generic netlink socket";
        OwnedFd? fd = OwnedFd.FromResult(LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, Netlink.NETLINK_GENERIC));
        if (fd == null)
        {
            error = ErrnoExtensions.Last();
            return null;
        }

        sockaddr_nl addr = new() { nl_family = (ushort)(int)LibC.AF_NETLINK };
        if (LibC.bind(fd.Value, (sockaddr*)&addr, (uint)sizeof(sockaddr_nl)) < 0)
        {
            error = ErrnoExtensions.Last();
            step = "bind the netlink socket";
            fd.Dispose();
            return null;
        }

        // A kernel that does not answer within the control-message timeout is broken; do not hang forever.
        long* timeout = stackalloc long[2];
        timeout[0] = 60;
        timeout[1] = 0;
        _ = LibC.setsockopt(fd.Value, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeout, 16);
        error = Errno.OK;
        return new GenericNetlink(fd);
    }

    /// <summary>A request to <paramref name="family"/> with the next sequence number.</summary>
    public NetlinkMessage Request(ushort family, byte command, byte version) => new(family, command, version, ++_sequence);

    /// <summary>The id of family <paramref name="name"/>: ENOENT when the kernel has none of that name.</summary>
    public Errno ResolveFamily(string name, out ushort family)
    {
        ushort id = 0;
        Errno e = Transact(Request(Netlink.GENL_ID_CTRL, Netlink.CTRL_CMD_GETFAMILY, 1).String(Netlink.CTRL_ATTR_FAMILY_NAME, name),
            reply => id = Attribute(reply, 20, reply.Length, Netlink.CTRL_ATTR_FAMILY_ID, out int at, out int len) && len >= 2
                ? BinaryPrimitives.ReadUInt16LittleEndian(reply.Slice(at)) : (ushort)0);
        family = id;
        return e == Errno.OK && id == 0 ? Errno.EIO : e; // an answer without the id
    }

    /// <summary>
    /// Finds attribute <paramref name="type"/> among those in <paramref name="message"/>[<paramref name="from"/>,
    /// <paramref name="end"/>): where its payload starts and how long it is.
    /// </summary>
    public static bool Attribute(ReadOnlySpan<byte> message, int from, int end, ushort type, out int payload, out int length)
    {
        int at = from;
        while (at + 4 <= end)
        {
            ushort len = BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(at));
            if (len < 4 || at + len > end)
            {
                break;
            }

            if ((BinaryPrimitives.ReadUInt16LittleEndian(message.Slice(at + 2)) & 0x3fff) == type)
            {
                payload = at + 4;
                length = len - 4;
                return true;
            }

            at += NetlinkMessage.Align(len);
        }

        payload = length = 0;
        return false;
    }

    /// <summary>Sends <paramref name="msg"/> and reads until its ACK/error; replies go to <paramref name="onReply"/>.</summary>
    public Errno Transact(NetlinkMessage msg, Action<ReadOnlySpan<byte>>? onReply)
    {
        ArgumentNullException.ThrowIfNull(msg);
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
