using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace VduseAot.Testing;

/// <summary>A virtio-blk request laid out in guest memory: where its header, data and status live.</summary>
public sealed record BlkRequestLayout(ushort Head, ulong HeaderIova, ulong DataIova, uint DataLength, ulong StatusIova);

/// <summary>Builds virtio-blk requests the way Linux's virtio_blk does: header, data buffers, status byte.</summary>
public sealed class BlkRequestBuilder
{
    private readonly GuestRam _ram;
    private readonly SplitDriver _driver;

    /// <summary>Builds requests into <paramref name="driver"/>'s queue in <paramref name="ram"/>.</summary>
    public BlkRequestBuilder(GuestRam ram, SplitDriver driver)
    {
        _ram = ram;
        _driver = driver;
    }

    /// <summary>
    /// Adds one request of <paramref name="type"/> at <paramref name="sector"/> with <paramref name="dataLength"/>
    /// data bytes split into <paramref name="pieces"/> descriptors. The status byte is preset to 0xff.
    /// </summary>
    public BlkRequestLayout Add(uint type, ulong sector, uint dataLength, int pieces = 1, ulong? dataIova = null)
    {
        ulong header = _ram.Alloc(16, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(_ram.Span(header, 4), type);
        BinaryPrimitives.WriteUInt32LittleEndian(_ram.Span(header + 4, 4), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(_ram.Span(header + 8, 8), sector);
        ulong data = dataLength == 0 ? 0 : dataIova ?? _ram.Alloc(dataLength, 512);
        ulong status = _ram.Alloc(1, 1);
        _ram.Span(status, 1)[0] = 0xff;
        bool deviceWrites = type != VduseAot.Interop.VirtioBlk.VIRTIO_BLK_T_OUT;
        var bufs = new List<Buf> { new(header, 16, false) };
        if (dataLength > 0)
        {
            uint piece = dataLength / (uint)pieces;
            for (int i = 0; i < pieces; i++)
            {
                uint len = i == pieces - 1 ? dataLength - (piece * (uint)(pieces - 1)) : piece;
                bufs.Add(new Buf(data + (piece * (uint)i), len, deviceWrites));
            }
        }

        bufs.Add(new Buf(status, 1, true));
        ushort head = _driver.AddChain(bufs.ToArray());
        return new BlkRequestLayout(head, header, data, dataLength, status);
    }

    /// <summary>
    /// Adds a DISCARD or WRITE_ZEROES request: the header, then <paramref name="ranges"/> as 16-byte
    /// struct virtio_blk_discard_write_zeroes {le64 sector, le32 num_sectors, le32 flags} in device-readable
    /// buffers split into <paramref name="pieces"/> descriptors, then the status byte (preset to 0xff).
    /// </summary>
    public BlkRequestLayout AddZeroing(uint type, IReadOnlyList<(ulong Sector, uint Sectors, uint Flags)> ranges, int pieces = 1)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        byte[] payload = new byte[16 * ranges.Count];
        for (int i = 0; i < ranges.Count; i++)
        {
            Span<byte> r = payload.AsSpan(16 * i, 16);
            BinaryPrimitives.WriteUInt64LittleEndian(r, ranges[i].Sector);
            BinaryPrimitives.WriteUInt32LittleEndian(r.Slice(8), ranges[i].Sectors);
            BinaryPrimitives.WriteUInt32LittleEndian(r.Slice(12), ranges[i].Flags);
        }

        return AddReadable(type, 0, payload, pieces);
    }

    /// <summary>
    /// Adds a request of <paramref name="type"/> whose data is <paramref name="payload"/> in device-readable
    /// buffers split into <paramref name="pieces"/> descriptors (none when empty), then the status byte.
    /// </summary>
    public BlkRequestLayout AddReadable(uint type, ulong sector, ReadOnlySpan<byte> payload, int pieces = 1)
    {
        ulong header = _ram.Alloc(16, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(_ram.Span(header, 4), type);
        BinaryPrimitives.WriteUInt32LittleEndian(_ram.Span(header + 4, 4), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(_ram.Span(header + 8, 8), sector);
        uint dataLength = (uint)payload.Length;
        ulong data = dataLength == 0 ? 0 : _ram.Alloc(dataLength, 16);
        if (dataLength > 0)
        {
            payload.CopyTo(_ram.Span(data, payload.Length));
        }

        ulong status = _ram.Alloc(1, 1);
        _ram.Span(status, 1)[0] = 0xff;
        var bufs = new List<Buf> { new(header, 16, false) };
        if (dataLength > 0)
        {
            uint piece = dataLength / (uint)pieces;
            for (int i = 0; i < pieces; i++)
            {
                uint len = i == pieces - 1 ? dataLength - (piece * (uint)(pieces - 1)) : piece;
                bufs.Add(new Buf(data + (piece * (uint)i), len, false));
            }
        }

        bufs.Add(new Buf(status, 1, true));
        ushort head = _driver.AddChain(bufs.ToArray());
        return new BlkRequestLayout(head, header, data, dataLength, status);
    }

    /// <summary>The status byte the device wrote.</summary>
    public byte Status(BlkRequestLayout r) => _ram.Span(r.StatusIova, 1)[0];

    /// <summary>The request's data bytes.</summary>
    public Span<byte> Data(BlkRequestLayout r) => _ram.Span(r.DataIova, (int)r.DataLength);
}
