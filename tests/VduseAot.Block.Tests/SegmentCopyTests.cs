using System;
using VduseAot.Virtio;
using Xunit;

namespace VduseAot.Block.Tests;

public sealed unsafe class SegmentCopyTests
{
    [Fact]
    public void Gather_slice_and_at_treat_segments_as_one_byte_stream()
    {
        byte[] a = [0, 1, 2], b = [3, 4], c = [5, 6, 7, 8];
        fixed (byte* pa = a, pb = b, pc = c)
        {
            IoSegment[] segs = [new(pa, 3), new(pb, 2), new(pc, 4)];

            Span<byte> dst = stackalloc byte[5];
            Assert.True(SegmentCopy.Gather(segs, 2, dst));
            Assert.Equal(new byte[] { 2, 3, 4, 5, 6 }, dst.ToArray());
            Assert.True(SegmentCopy.Gather(segs, 4, dst));
            Assert.Equal(new byte[] { 4, 5, 6, 7, 8 }, dst.ToArray());
            Assert.False(SegmentCopy.Gather(segs, 5, dst)); // only 4 bytes left

            var outSegs = new IoSegment[4];
            int n = SegmentCopy.Slice(segs, 1, 6, outSegs);
            Assert.Equal(3, n);
            Assert.True(outSegs[0].Host == pa + 1 && outSegs[0].Length == 2);
            Assert.True(outSegs[1].Host == pb && outSegs[1].Length == 2);
            Assert.True(outSegs[2].Host == pc && outSegs[2].Length == 2);
            Assert.Equal(-1, SegmentCopy.Slice(segs, 1, 9, outSegs));          // past the end
            Assert.Equal(-1, SegmentCopy.Slice(segs, 0, 9, outSegs.AsSpan(0, 2))); // too many pieces
            Assert.Equal(0, SegmentCopy.Slice(segs, 3, 0, outSegs));

            Assert.True(SegmentCopy.At(segs, 0) == pa);
            Assert.True(SegmentCopy.At(segs, 3) == pb);
            Assert.True(SegmentCopy.At(segs, 8) == pc + 3);
            Assert.True(SegmentCopy.At(segs, 9) == null);
        }
    }
}
