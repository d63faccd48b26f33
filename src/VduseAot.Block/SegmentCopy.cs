using System;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>Byte-stream views over segment lists: requests straddle descriptors at arbitrary offsets.</summary>
public static unsafe class SegmentCopy
{
    /// <summary>Copies <paramref name="destination"/>.Length bytes starting <paramref name="skip"/> bytes into the segments.</summary>
    public static bool Gather(ReadOnlySpan<IoSegment> segments, ulong skip, Span<byte> destination)
    {
        int done = 0;
        foreach (IoSegment s in segments)
        {
            if (done == destination.Length)
            {
                break;
            }

            if (skip >= s.Length)
            {
                skip -= s.Length;
                continue;
            }

            int n = (int)Math.Min(s.Length - skip, (ulong)(destination.Length - done));
            new ReadOnlySpan<byte>(s.Host + skip, n).CopyTo(destination.Slice(done));
            done += n;
            skip = 0;
        }

        return done == destination.Length;
    }

    /// <summary>
    /// Writes segments into <paramref name="destination"/> that cover bytes
    /// [skip, skip + take) of <paramref name="segments"/>. Returns the count, or -1 when the range is
    /// not fully inside the segments.
    /// </summary>
    public static int Slice(ReadOnlySpan<IoSegment> segments, ulong skip, ulong take, Span<IoSegment> destination)
    {
        int count = 0;
        foreach (IoSegment s in segments)
        {
            if (take == 0)
            {
                break;
            }

            if (skip >= s.Length)
            {
                skip -= s.Length;
                continue;
            }

            if (count == destination.Length)
            {
                return -1;
            }

            uint n = (uint)Math.Min(s.Length - skip, take);
            destination[count++] = new IoSegment(s.Host + skip, n);
            take -= n;
            skip = 0;
        }

        return take == 0 ? count : -1;
    }

    /// <summary>Address of byte <paramref name="offset"/> of the segments, or null past the end.</summary>
    public static byte* At(ReadOnlySpan<IoSegment> segments, ulong offset)
    {
        foreach (IoSegment s in segments)
        {
            if (offset < s.Length)
            {
                return s.Host + offset;
            }

            offset -= s.Length;
        }

        return null;
    }
}
