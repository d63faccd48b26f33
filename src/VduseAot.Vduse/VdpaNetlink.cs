using System;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// The "vdpa" generic-netlink family, spoken directly (what `vdpa dev add/del` does): attaches a VDUSE
/// device to the vDPA bus so virtio_vdpa and virtio_blk bind to it, and detaches it again.
/// </summary>
public sealed class VdpaNetlink : IDisposable
{
    private readonly GenericNetlink _netlink;
    private readonly ushort _family;

    /// <summary>Opens a generic-netlink socket and resolves the vdpa family.</summary>
    public VdpaNetlink()
    {
        _netlink = GenericNetlink.Open(out Errno error, out string step)
            ?? throw new VduseException("cannot " + step + ": " + error.Describe());
        try
        {
            Errno e = _netlink.ResolveFamily(Netlink.VDPA_GENL_NAME, out _family);
            if (e == Errno.ENOENT)
            {
                throw new VduseException("the kernel has no 'vdpa' netlink family: load the vdpa module (modprobe vdpa)");
            }

            if (e != Errno.OK)
            {
                throw new VduseException("resolving the vdpa netlink family failed: " + e.Describe());
            }
        }
        catch
        {
            _netlink.Dispose();
            throw;
        }
    }

    /// <summary>VDPA_CMD_DEV_NEW on the "vduse" management device: binds the drivers (blocks while they probe).</summary>
    public void AddDevice(string name)
    {
        NetlinkMessage msg = _netlink.Request(_family, Netlink.VDPA_CMD_DEV_NEW, Netlink.VDPA_GENL_VERSION)
            .String(Netlink.VDPA_ATTR_MGMTDEV_DEV_NAME, "vduse")
            .String(Netlink.VDPA_ATTR_DEV_NAME, name);
        Errno e = _netlink.Transact(msg, null);
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
    public Errno DeleteDevice(string name) =>
        _netlink.Transact(_netlink.Request(_family, Netlink.VDPA_CMD_DEV_DEL, Netlink.VDPA_GENL_VERSION).String(Netlink.VDPA_ATTR_DEV_NAME, name), null);

    /// <inheritdoc />
    public void Dispose() => _netlink.Dispose();
}
