using System;

namespace VduseAot.Network.Tests;

/// <summary>
/// What the export must hold, sector by sector, updated as requests complete. A write that failed may
/// have left any mix of old and new data (a large one goes in pieces), so its sectors become unknown
/// until written again; reads and the final check compare known sectors only.
/// </summary>
internal sealed class DiskModel
{
    public const int Sector = 512;

    private readonly byte[] _bytes;
    private readonly bool[] _unknown;

    public DiskModel(byte[] initial)
    {
        _bytes = (byte[])initial.Clone();
        _unknown = new bool[initial.Length / Sector];
    }

    public int Sectors => _unknown.Length;

    public void Write(ulong sector, ReadOnlySpan<byte> data)
    {
        data.CopyTo(_bytes.AsSpan((int)sector * Sector));
        _unknown.AsSpan((int)sector, data.Length / Sector).Clear();
    }

    public void Zero(ulong sector, uint sectors)
    {
        // Trims too: NBD leaves trimmed data undefined, but the fake server zeroes it, which lets the test
        // see that a trim reached exactly its range.
        _bytes.AsSpan((int)sector * Sector, (int)sectors * Sector).Clear();
        _unknown.AsSpan((int)sector, (int)sectors).Clear();
    }

    public void Forget(ulong sector, uint sectors) => _unknown.AsSpan((int)sector, (int)sectors).Fill(true);

    /// <summary>The first sector from <paramref name="sector"/> on where <paramref name="actual"/> differs from a known one; -1 if none.</summary>
    public long FirstMismatch(ulong sector, ReadOnlySpan<byte> actual)
    {
        for (int i = 0; i < actual.Length / Sector; i++)
        {
            int s = (int)sector + i;
            if (!_unknown[s] && !actual.Slice(i * Sector, Sector).SequenceEqual(_bytes.AsSpan(s * Sector, Sector)))
            {
                return s;
            }
        }

        return -1;
    }
}
