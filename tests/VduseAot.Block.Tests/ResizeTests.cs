using System.IO;
using Xunit;

namespace VduseAot.Block.Tests;

/// <summary>Capacity changes: the rules, and each backend's part.</summary>
public sealed class ResizeTests
{
    private const ulong MiB = 1UL << 20;

    [Theory]
    [InlineData(64 * MiB, 96 * MiB + 100, 512u, false, "not a positive multiple of the logical block size 512")]
    [InlineData(64 * MiB, 96 * MiB + 512, 4096u, false, "not a positive multiple of the logical block size 4096")]
    [InlineData(64 * MiB, 0UL, 512u, true, "not a positive multiple")]
    [InlineData(64 * MiB, 32 * MiB, 512u, false, "shrinking from 64 MiB to 32 MiB makes the data past the new end unreachable: add --force")]
    public void Refusals_say_why_in_one_line(ulong current, ulong requested, uint lbs, bool force, string expected)
    {
        string? error = BlkResize.Check(current, requested, lbs, force);
        Assert.NotNull(error);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("\n", error);
    }

    [Fact]
    public void Growing_and_forced_shrinking_are_allowed()
    {
        Assert.Null(BlkResize.Check(64 * MiB, 96 * MiB, 4096, force: false));
        Assert.Null(BlkResize.Check(64 * MiB, 32 * MiB, 512, force: true));
        Assert.Null(BlkResize.Check(64 * MiB, 64 * MiB, 512, force: false));
    }

    [Fact]
    public void Null_backend_only_changes_its_capacity()
    {
        using var backend = new NullBackend(64 * MiB, readOnly: false);
        Assert.Equal(64 * MiB, BlkResize.Apply(backend, 512, 96 * MiB, force: false));
        Assert.Equal(96 * MiB, backend.CapacityBytes);
        Assert.Throws<BackendException>(() => BlkResize.Apply(backend, 512, 32 * MiB, force: false));
        Assert.Equal(96 * MiB, backend.CapacityBytes);
        BlkResize.Apply(backend, 512, 32 * MiB, force: true);
        Assert.Equal(32 * MiB, backend.CapacityBytes);
    }

    [Fact]
    public void Ram_backend_in_process_memory_cannot_grow_but_can_shrink()
    {
        using var backend = new RamBackend(MiB, readOnly: false);
        BackendException e = Assert.Throws<BackendException>(() => BlkResize.Apply(backend, 512, 2 * MiB, force: false));
        Assert.Contains("cannot grow", e.Message);
        Assert.Equal(MiB, backend.CapacityBytes);
        BlkResize.Apply(backend, 512, MiB / 2, force: true);
        Assert.Equal(MiB / 2, backend.CapacityBytes);
    }

    [Fact]
    public void File_backend_grows_its_file_and_a_shrink_keeps_the_bytes()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("disk.img");
        using FileBackend backend = FileBackend.Open(path, 64 * MiB, direct: false, readOnly: false, 512, out _);
        BlkResize.Apply(backend, 512, 96 * MiB, force: false);
        Assert.Equal(96 * MiB, backend.CapacityBytes);
        Assert.Equal((long)(96 * MiB), new FileInfo(path).Length);
        BlkResize.Apply(backend, 512, 16 * MiB, force: true);
        Assert.Equal(16 * MiB, backend.CapacityBytes);
        Assert.Equal((long)(96 * MiB), new FileInfo(path).Length);
        BlkResize.Apply(backend, 512, 80 * MiB, force: false); // within the file: nothing to extend
        Assert.Equal((long)(96 * MiB), new FileInfo(path).Length);
    }

    [Fact]
    public void A_read_only_file_cannot_grow()
    {
        using var dir = new TempDir();
        string path = dir.PathOf("ro.img");
        File.WriteAllBytes(path, new byte[MiB]);
        using FileBackend backend = FileBackend.Open(path, null, direct: false, readOnly: true, 512, out _);
        BackendException e = Assert.Throws<BackendException>(() => backend.Resize(2 * MiB));
        Assert.Contains("read-only", e.Message);
        Assert.Equal(MiB, backend.CapacityBytes);
    }
}
