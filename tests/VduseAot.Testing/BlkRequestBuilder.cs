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

    /// <summary>The status byte the device wrote.</summary>
    public byte Status(BlkRequestLayout r) => _ram.Span(r.StatusIova, 1)[0];

    /// <summary>The request's data bytes.</summary>
    public Span<byte> Data(BlkRequestLayout r) => _ram.Span(r.DataIova, (int)r.DataLength);
}
