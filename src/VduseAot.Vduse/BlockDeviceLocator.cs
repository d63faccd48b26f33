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

    /// <summary>The vdX under the vdpa device <paramref name="name"/>, or null (no device, no virtio device, or no disk yet).</summary>
    private static string? Find(string name)
    {
        // DirectoryEntries, not System.IO's enumerators: a takeover looks here before it says ready.
        string root = VdpaDevices + "/" + name;
        foreach (string virtio in DirectoryEntries.Subdirectories(root))
        {
            if (!virtio.StartsWith("virtio", System.StringComparison.Ordinal))
            {
                continue;
            }

            foreach (string disk in DirectoryEntries.Subdirectories(root + "/" + virtio + "/block"))
            {
                return disk;
            }
        }

        return null;
    }
}
