using System.Diagnostics;
using System.IO;
using System.Threading;

namespace VduseAot.Vduse;

/// <summary>
/// Finds the device node a vdpa device's driver made, through sysfs: the /dev/vdX of virtio_blk, or
/// the /dev/vhost-vdpa-N of vhost_vdpa.
/// </summary>
public static class BlockDeviceLocator
{
    /// <summary>Sysfs directory of vdpa devices.</summary>
    public const string VdpaDevices = "/sys/bus/vdpa/devices";

    /// <summary>True when a vdpa device of that name exists.</summary>
    public static bool VdpaDeviceExists(string name) => Directory.Exists(Path.Combine(VdpaDevices, name));

    /// <summary>Waits up to <paramref name="timeoutMs"/> for /sys/bus/vdpa/devices/NAME/virtio*/block/vdX and its /dev node.</summary>
    public static string? Wait(string name, int timeoutMs) => WaitForNode(() => Find(name), timeoutMs);

    /// <summary>Waits up to <paramref name="timeoutMs"/> for /sys/bus/vdpa/devices/NAME/vhost-vdpa-N and its /dev node.</summary>
    public static string? WaitVhost(string name, int timeoutMs) => WaitForNode(() => FindVhost(name), timeoutMs);

    /// <summary>
    /// The node the vdpa device <paramref name="name"/> has now (its /dev/vdX, else its
    /// /dev/vhost-vdpa-N), or null: one look, no waiting.
    /// </summary>
    public static string? Present(string name) => DevicePath(Find(name) ?? FindVhost(name));

    /// <summary>/dev/<paramref name="node"/> when that node exists, else null.</summary>
    private static string? DevicePath(string? node) => node != null && File.Exists("/dev/" + node) ? "/dev/" + node : null;

    /// <summary>Polls <paramref name="find"/> (a name under /dev) until that node exists; null after <paramref name="timeoutMs"/>.</summary>
    private static string? WaitForNode(System.Func<string?> find, int timeoutMs)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < timeoutMs)
        {
            if (DevicePath(find()) is string path)
            {
                return path;
            }

            Thread.Sleep(20);
        }

        return null;
    }

    /// <summary>The vhost-vdpa-N under the vdpa device <paramref name="name"/>, or null.</summary>
    private static string? FindVhost(string name)
    {
        foreach (string dir in DirectoryEntries.Subdirectories(VdpaDevices + "/" + name))
        {
            if (dir.StartsWith("vhost-vdpa-", System.StringComparison.Ordinal))
            {
                return dir;
            }
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
