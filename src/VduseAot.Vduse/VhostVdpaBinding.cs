using System.IO;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>
/// Hands a vDPA device to vhost_vdpa, so that a VM or a userspace driver (QEMU, libblkio) drives it
/// through /dev/vhost-vdpa-N instead of the host's virtio_blk. The bus gives a new device to whichever
/// driver probes first, so a device virtio_vdpa took is unbound and probed again with
/// driver_override set: crash-safe, unlike switching the bus's autoprobe off for everyone.
/// </summary>
public static class VhostVdpaBinding
{
    private const string Drivers = "/sys/bus/vdpa/drivers";

    /// <summary>Why vhost mode cannot work here (null: vhost_vdpa is loaded).</summary>
    public static string? Missing() => Directory.Exists(Path.Combine(Drivers, "vhost_vdpa")) ? null
        : "the vhost_vdpa module is not loaded: modprobe vhost_vdpa (serve --vhost hands the device to it)";

    /// <summary>Binds vDPA device <paramref name="name"/> to vhost_vdpa, whichever driver has it now.</summary>
    public static void Bind(string name)
    {
        string device = Path.Combine(BlockDeviceLocator.VdpaDevices, name);
        Write(Path.Combine(device, "driver_override"), "vhost_vdpa");
        string? current = Driver(name);
        if (current == "vhost_vdpa")
        {
            return;
        }

        if (current != null)
        {
            Write(Path.Combine(Drivers, current, "unbind"), name);
        }

        Write("/sys/bus/vdpa/drivers_probe", name);
    }

    private static void Write(string path, string text)
    {
        Errno e = SysfsAttribute.Write(path, text);
        if (e != Errno.OK)
        {
            throw new VduseException("writing '" + text + "' to " + path + " failed: " + e.Describe() + " (binding the device to vhost_vdpa)");
        }
    }

    /// <summary>The driver that has vDPA device <paramref name="name"/> (null: none).</summary>
    public static string? Driver(string name)
    {
        var link = new FileInfo(Path.Combine(BlockDeviceLocator.VdpaDevices, name, "driver"));
        return link.LinkTarget is string target ? Path.GetFileName(target) : null;
    }
}
