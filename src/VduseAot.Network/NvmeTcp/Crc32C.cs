using System;
using System.Buffers.Binary;
using System.Numerics;

namespace VduseAot.Network.NvmeTcp;

/// <summary>
/// CRC32C (Castagnoli), the NVMe/TCP header and data digest: initial value and final xor all ones,
/// stored little-endian. Uses the CPU's CRC32 instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/>.
/// </summary>
public static class Crc32C
{
    /// <summary>The running value before the first byte.</summary>
    public const uint Seed = 0xffffffff;

    /// <summary>Folds <paramref name="data"/> into running value <paramref name="crc"/> (start from <see cref="Seed"/>).</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    /// <summary>The digest of a running value: what goes on the wire.</summary>
    public static uint Finish(uint crc) => ~crc;

    /// <summary>The digest of <paramref name="data"/> in one piece.</summary>
    public static uint Of(ReadOnlySpan<byte> data) => Finish(Update(Seed, data));
}
