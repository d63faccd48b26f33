using System;
using Xunit;

namespace VduseAot.Block.Tests;

public sealed unsafe class BulkCopyTests
{
    // Every tail shape of the loops (around the 16/64-byte steps and the 256-byte threshold), a
    // page, and a large request; misaligned starts on either side.
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        int[] sizes = [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 300, 383, 384, 511, 1000, 4096, 4097, 131072, 131072 + 17];
        foreach (int size in sizes)
        {
            data.Add(size, 0, 0);
            data.Add(size, 3, 1);
            data.Add(size, 1, 7);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Copy_moves_exactly_the_range(int size, int sourceOffset, int destinationOffset)
    {
        CheckCopy(size, sourceOffset, destinationOffset, (s, d, n) => BulkCopy.Copy(s, d, n));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Zero_clears_exactly_the_range(int size, int offset, int unused)
    {
        _ = unused;
        CheckZero(size, offset, (d, n) => BulkCopy.Zero(d, n));
    }

    private delegate void CopyFn(byte* source, byte* destination, nuint length);

    private delegate void ZeroFn(byte* destination, nuint length);

    private static void CheckCopy(int size, int sourceOffset, int destinationOffset, CopyFn copy)
    {
        const int Guard = 160;
        byte[] source = new byte[size + sourceOffset + Guard];
        new Random(size * 31 + sourceOffset).NextBytes(source);
        byte[] destination = new byte[size + destinationOffset + Guard];
        destination.AsSpan().Fill(0xEE);

        fixed (byte* s = source, d = destination)
        {
            copy(s + sourceOffset, d + destinationOffset, (nuint)size);
        }

        Assert.True(source.AsSpan(sourceOffset, size).SequenceEqual(destination.AsSpan(destinationOffset, size)));
        Assert.All(destination[..destinationOffset], b => Assert.Equal(0xEE, b));
        Assert.All(destination[(destinationOffset + size)..], b => Assert.Equal(0xEE, b));
    }

    private static void CheckZero(int size, int offset, ZeroFn zero)
    {
        const int Guard = 160;
        byte[] buffer = new byte[size + offset + Guard];
        buffer.AsSpan().Fill(0xEE);

        fixed (byte* p = buffer)
        {
            zero(p + offset, (nuint)size);
        }

        Assert.All(buffer[..offset], b => Assert.Equal(0xEE, b));
        Assert.All(buffer.AsSpan(offset, size).ToArray(), b => Assert.Equal(0, b));
        Assert.All(buffer[(offset + size)..], b => Assert.Equal(0xEE, b));
    }
}
