using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using VduseAot.Block;
using VduseAot.Interop;
using Xunit;

namespace VduseAot.Block.Tests;

/// <summary>
/// <see cref="RamBackend"/> over an <see cref="IMemoryImage"/> that can grow and give pages back (what
/// a mapped tmpfs file does): discards and zeroing hand whole pages to the image and clear only the
/// partial pages at the edges; a resize goes through the image and changes the capacity after it.
/// </summary>
public sealed unsafe class MemoryImageTests
{
    private const ulong MiB = 1 << 20;

    [Theory]
    [InlineData(0UL, 8192UL, 0UL, 8192UL)]          // two whole pages, no edges
    [InlineData(512UL, 8192UL, 4096UL, 4096UL)]     // edges on both sides, one whole page inside
    [InlineData(4096UL, 1024UL, 0UL, 0UL)]          // inside one page: cleared, nothing released
    public void Zeroing_releases_whole_pages_and_clears_the_edges(ulong offset, ulong length, ulong releasedAt, ulong releasedBytes)
    {
        using var image = new FakeImage(MiB);
        var backend = new RamBackend(image, readOnly: false, "test");
        new Span<byte>(image.Data, (int)MiB).Fill(0xAB);
        using var rig = new BlkRig(backend: backend);
        var r = rig.Builder.AddZeroing(VirtioBlk.VIRTIO_BLK_T_DISCARD, [(offset / 512, (uint)(length / 512), 0u)]);
        rig.Run();
        Assert.Equal(VirtioBlk.VIRTIO_BLK_S_OK, rig.Builder.Status(r));
        var expected = new List<(ulong, ulong)>();
        if (releasedBytes != 0)
        {
            expected.Add((releasedAt, releasedBytes));
        }

        Assert.Equal(expected, image.Released);
        for (ulong i = 0; i < MiB; i++)
        {
            bool zeroed = i >= offset && i < offset + length;
            Assert.True(image.Data[i] == (zeroed ? 0 : 0xAB), "byte " + i);
        }
    }

    [Fact]
    public void Resize_goes_through_the_image_and_then_changes_the_capacity()
    {
        using var image = new FakeImage(4 * MiB) { Length = MiB };
        using var backend = new RamBackend(image, readOnly: false, "test");
        BlkResize.Apply(backend, 512, 2 * MiB, force: false);
        Assert.Equal(2 * MiB, image.Length);
        Assert.Equal(2 * MiB, backend.CapacityBytes);
        BackendException e = Assert.Throws<BackendException>(() => BlkResize.Apply(backend, 512, 8 * MiB, force: false));
        Assert.Contains("reserved", e.Message);
        Assert.Equal(2 * MiB, backend.CapacityBytes);
    }

    /// <summary>Process memory standing in for a mapped file: records releases (and zeroes them like MADV_REMOVE).</summary>
    private sealed class FakeImage : IMemoryImage
    {
        private readonly ulong _reserved;

        public FakeImage(ulong reserved)
        {
            _reserved = reserved;
            Data = (byte*)NativeMemory.AllocZeroed((nuint)reserved);
            Length = reserved;
        }

        public byte* Data { get; private set; }

        public ulong Length { get; set; }

        public List<(ulong, ulong)> Released { get; } = [];

        public bool Release(ulong offset, ulong length)
        {
            Released.Add((offset, length));
            NativeMemory.Clear(Data + offset, (nuint)length);
            return true;
        }

        public string? Resize(ulong length)
        {
            if (length > _reserved)
            {
                return "only " + _reserved + " bytes reserved";
            }

            Length = length;
            return null;
        }

        public string Describe() => "fake image";

        public void Dispose()
        {
            NativeMemory.Free(Data);
            Data = null;
        }
    }
}
