using System;
using System.IO;
using System.Runtime.InteropServices;
using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The state file's header: a fixed on-disk format a successor binary must read.</summary>
public sealed class StateFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vduse-state-");

    private static readonly DeviceIdentity Identity = new()
    {
        Features = 0x1_3000_0e54,
        Queues = 2,
        QueueSize = 256,
        LogicalBlockSize = 4096,
        CapacityBytes = 64UL << 20,
        ReadOnly = true,
        Backend = "file /srv/disk é.img",
    };

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData(nameof(StateFileHeader.Magic), 0)]
    [InlineData(nameof(StateFileHeader.Version), 8)]
    [InlineData(nameof(StateFileHeader.Queues), 12)]
    [InlineData(nameof(StateFileHeader.QueueSize), 16)]
    [InlineData(nameof(StateFileHeader.LogicalBlockSize), 20)]
    [InlineData(nameof(StateFileHeader.Features), 24)]
    [InlineData(nameof(StateFileHeader.CapacityBytes), 32)]
    [InlineData(nameof(StateFileHeader.Status), 40)]
    [InlineData(nameof(StateFileHeader.OwnerPid), 44)]
    [InlineData(nameof(StateFileHeader.ReadOnly), 48)]
    [InlineData(nameof(StateFileHeader.Backend), 128)]
    public void Version_1_offsets_do_not_move(string field, int offset)
    {
        Assert.Equal(offset, (int)Marshal.OffsetOf<StateFileHeader>(field));
        Assert.Equal(4096, Marshal.SizeOf<StateFileHeader>());
    }

    [Fact]
    public void A_created_file_reads_back_the_same_identity_status_and_owner()
    {
        string path = new StateDirectory(_dir.FullName).StateFilePath("d0");
        using (StateFile created = StateFile.Create(path, Identity))
        {
            created.Status = 0x0f;
            created.OwnerPid = 4242;
            created.RecordCapacity(96UL << 20);
        }

        using StateFile? opened = StateFile.Open(path, out string? problem);
        Assert.Null(problem);
        Assert.NotNull(opened);
        Assert.Equal(Identity with { CapacityBytes = 96UL << 20 }, opened.Identity);
        Assert.Equal(0x0f, opened.Status);
        Assert.Equal(4242, opened.OwnerPid);
    }

    [Theory]
    [InlineData(0, "is not a vduse-blk state file")]
    [InlineData(8, "has format version 2, this vduse-blk reads version 1")]
    public void A_foreign_or_newer_file_is_refused_with_the_reason(int offset, string expected)
    {
        string path = new StateDirectory(_dir.FullName).StateFilePath("d1");
        StateFile.Create(path, Identity).Dispose();
        using (FileStream f = File.OpenWrite(path))
        {
            f.Position = offset;
            f.WriteByte(offset == 0 ? (byte)'X' : (byte)2);
        }

        Assert.Null(StateFile.Open(path, out string? problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}
