using System.Diagnostics;
using System.IO;
using System.Threading;

namespace VduseAot.Vduse;

/// <summary>Finds the /dev/vdX that virtio_blk made for a vdpa device, through sysfs.</summary>
public static class BlockDeviceLocator
{
    /// <summary>Sysfs directory of vdpa devices.</summary>
    public const string VdpaDevices = "/sys/bus/vdpa/devices";

    /// <summary>True when a vdpa device of that name exists.</summary>
    public static bool VdpaDeviceExists(string name) => Directory.Exists(Path.Combine(VdpaDevices, name));

    /// <summary>Waits up to <paramref name="timeoutMs"/> for /sys/bus/vdpa/devices/NAME/virtio*/block/vdX and its /dev node.</summary>
    public static string? Wait(string name, int timeoutMs)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < timeoutMs)
        {
            string? disk = Find(name);
            if (disk != null && File.Exists("/dev/" + disk))
            {
                return "/dev/" + disk;
            }

            Thread.Sleep(20);
        }

        return null;
    }

    private static string? Find(string name)
    {
        string root = Path.Combine(VdpaDevices, name);
        if (!Directory.Exists(root))
        {
            return null;
        }

        foreach (string virtio in Directory.EnumerateDirectories(root, "virtio*"))
        {
            string block = Path.Combine(virtio, "block");
            if (!Directory.Exists(block))
            {
                continue;
            }

            foreach (string disk in Directory.EnumerateDirectories(block))
            {
                return Path.GetFileName(disk);
            }
        }

        return null;
    }
}
