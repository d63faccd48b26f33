using System;
using System.IO;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>Directory listing with getdents64 (how a takeover finds its /dev/vdX in sysfs).</summary>
public class DirectoryEntriesTests
{
    [Fact]
    public void ListsSubdirectoriesOnlyWithoutDotEntries()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vduse-de-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "virtio3", "block", "vdb"));
        Directory.CreateDirectory(Path.Combine(dir, "power"));
        File.WriteAllText(Path.Combine(dir, "uevent"), "");
        try
        {
            string[] names = DirectoryEntries.Subdirectories(dir).ToArray();
            Array.Sort(names, StringComparer.Ordinal);
            Assert.Equal(new[] { "power", "virtio3" }, names);
            Assert.Equal(new[] { "vdb" }, DirectoryEntries.Subdirectories(Path.Combine(dir, "virtio3", "block")).ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ListsMoreEntriesThanOneBufferHolds()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vduse-de-" + Guid.NewGuid().ToString("N"));
        for (int i = 0; i < 300; i++)
        {
            Directory.CreateDirectory(Path.Combine(dir, "d" + i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture) + new string('x', 40)));
        }

        try
        {
            Assert.Equal(300, DirectoryEntries.Subdirectories(dir).Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AMissingDirectoryOrAFileHasNoEntries()
    {
        Assert.Empty(DirectoryEntries.Subdirectories("/nonexistent-vduse-dir"));
        Assert.Empty(DirectoryEntries.Subdirectories("/proc/self/stat"));
    }
}
