using System;
using System.Buffers.Binary;
using VduseAot.Block;
using VduseAot.Interop;

namespace VduseAot.Network.NvmeTcp;

/// <content>
/// What goes out: first the H2CData the controller asked for (R2T), which unblocks commands already
/// at the controller, then command capsules, at most the queue's depth outstanding. Headers are
/// written into the slot's area; data is gathered straight from the guest's buffers, with zero
/// padding where the controller wants data aligned (CPDA), and digests when agreed.
/// </content>
internal sealed unsafe partial class NvmeTcpQueueIo
{
    /// <inheritdoc />
    protected override bool HasSendWork => _transferCount > 0 || (QueuedCount > 0 && _outstanding < _depth);

    /// <inheritdoc />
    protected override bool BatchHeadersStable => _batchHeadersStable;

    /// <inheritdoc />
    protected override void BuildBatch()
    {
        _batch++;
        _batchHeadersStable = true;
        while (_transferCount > 0 && AddH2CData(_transfers[_transferHead]))
        {
        }

        while (QueuedCount > 0 && _outstanding < _depth && AddCapsule(PeekQueued()))
        {
        }
    }

    /// <summary>Adds the next H2CData PDU of slot <paramref name="index"/>'s R2T; false when it must wait for the next batch.</summary>
    private bool AddH2CData(ushort index)
    {
        ref NvmeIoCommand c = ref _commands[index];
        if (c.HeaderBatch == _batch)
        {
            return false; // its one header buffer is in this batch already
        }

        BlkSlot slot = Finisher.Slot(index);
        uint length = Math.Min(c.SendEnd - c.SendFrom, _maxH2CData);
        ulong position = c.Offset - c.Base + c.SendFrom;
        int segments = SegmentsCovering(slot, position, length);
        int header = NvmeTcpProto.DataHeaderBytes + (_headerDigest ? NvmeTcpProto.DigestBytes : 0);
        int dataOffset = Align(header, _dataAlignment);
        if (1 + (dataOffset > header ? 1 : 0) + segments + (_dataDigest ? 1 : 0) > SendIovRoom)
        {
            return false;
        }

        bool last = c.SendFrom + length == c.SendEnd;
        byte* h = SlotArea(index) + H2CAt;
        var pdu = new Span<byte>(h, NvmeTcpProto.DataHeaderBytes);
        new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_h2c_data, (byte)(Flags(true) | (last ? NvmeTcpProto.NVME_TCP_F_DATA_LAST : 0)),
            NvmeTcpProto.DataHeaderBytes, (byte)dataOffset, (uint)(dataOffset + length + (_dataDigest ? NvmeTcpProto.DigestBytes : 0))).Write(pdu);
        BinaryPrimitives.WriteUInt16LittleEndian(pdu[8..], index);
        BinaryPrimitives.WriteUInt16LittleEndian(pdu[10..], c.TransferTag);
        BinaryPrimitives.WriteUInt32LittleEndian(pdu[12..], c.SendFrom);
        BinaryPrimitives.WriteUInt32LittleEndian(pdu[16..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(pdu[20..], 0);
        AddHeader(h, NvmeTcpProto.DataHeaderBytes, dataOffset);
        AddData(slot, position, length, SlotArea(index) + H2CDigestAt);
        c.HeaderBatch = _batch;
        c.SendFrom += length;

        // A spliced send leaves this header's memory in the socket until the controller reads it: only
        // the command's last PDU may go that way, as no later one of it will overwrite the header.
        _batchHeadersStable &= c.SendFrom == c.Length;
        if (last)
        {
            c.Transferring = false;
            _transferHead = (_transferHead + 1) % _transfers.Length;
            _transferCount--;
        }

        return true;
    }

    /// <summary>Adds the capsule of slot <paramref name="index"/>'s next command; false when the gather list is full.</summary>
    private bool AddCapsule(ushort index)
    {
        ref NvmeIoCommand c = ref _commands[index];
        BlkSlot slot = Finisher.Slot(index);
        c.Length = c.Opcode == NvmeProto.nvme_cmd_flush ? 0 : NextLength(ref c);
        c.InCapsule = c.Opcode == NvmeProto.nvme_cmd_write && c.Length <= _inCapsuleBytes;
        uint dataBytes = c.InCapsule ? c.Length : c.Opcode == NvmeProto.nvme_cmd_dsm ? (uint)NvmeProto.DsmRangeBytes : 0;
        int header = NvmeTcpProto.CmdHeaderBytes + (_headerDigest ? NvmeTcpProto.DigestBytes : 0);
        int dataOffset = dataBytes > 0 ? Align(header, _dataAlignment) : 0;
        int segments = c.InCapsule ? SegmentsCovering(slot, c.Offset - c.Base, c.Length) : 1;
        if (1 + (dataBytes > 0 ? (dataOffset > header ? 1 : 0) + segments + (_dataDigest ? 1 : 0) : 0) > SendIovRoom)
        {
            return false;
        }

        byte* h = SlotArea(index) + CapsuleAt;
        WriteEntry(new Span<byte>(h + NvmeTcpProto.CommonHeaderBytes, NvmeProto.SqeBytes), index, ref c);
        uint length = dataBytes > 0 ? (uint)dataOffset + dataBytes + (_dataDigest ? NvmeTcpProto.DigestBytes : 0u) : (uint)header;
        new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_cmd, Flags(dataBytes > 0), NvmeTcpProto.CmdHeaderBytes, (byte)dataOffset, length)
            .Write(new Span<byte>(h, NvmeTcpProto.CommonHeaderBytes));
        AddHeader(h, NvmeTcpProto.CmdHeaderBytes, dataBytes > 0 ? dataOffset : header);
        if (c.InCapsule)
        {
            AddData(slot, c.Offset - c.Base, c.Length, SlotArea(index) + CapsuleDigestAt);
        }
        else if (dataBytes > 0)
        {
            AddOwnData(SlotArea(index) + RangeAt, dataBytes, SlotArea(index) + CapsuleDigestAt);
        }

        c.Moved = 0;
        c.Transferring = false;
        PopQueued();
        _outstanding++;
        return true;
    }

    /// <summary>The submission entry of <paramref name="c"/>'s command out now, with command id <paramref name="index"/>.</summary>
    private void WriteEntry(Span<byte> sqe, ushort index, ref NvmeIoCommand c)
    {
        NvmeCommand.Start(sqe, c.Opcode, index, _nsid);
        ulong lba = c.Offset >> _blockShift;
        uint blocks = c.Length >> _blockShift;
        switch (c.Opcode)
        {
            case NvmeProto.nvme_cmd_read:
            case NvmeProto.nvme_cmd_write:
                NvmeCommand.Sgl(sqe, c.InCapsule ? NvmeProto.NVME_SGL_FMT_DATA_DESC_OFFSET : NvmeProto.NVME_TRANSPORT_SGL_DATA_DESC, c.Length);
                Lba(sqe, lba, blocks - 1);
                break;
            case NvmeProto.nvme_cmd_write_zeroes:
                Lba(sqe, lba, (blocks - 1) | (c.Unmap ? NvmeProto.NVME_WZ_DEAC : 0));
                break;
            case NvmeProto.nvme_cmd_dsm:
                NvmeCommand.Sgl(sqe, NvmeProto.NVME_SGL_FMT_DATA_DESC_OFFSET, NvmeProto.DsmRangeBytes);
                NvmeCommand.Cdw(sqe, 10, 0); // one range (0-based)
                NvmeCommand.Cdw(sqe, 11, NvmeProto.NVME_DSMGMT_AD);
                var range = new Span<byte>(SlotArea(index) + RangeAt, NvmeProto.DsmRangeBytes);
                BinaryPrimitives.WriteUInt32LittleEndian(range, 0); // context attributes
                BinaryPrimitives.WriteUInt32LittleEndian(range[4..], blocks);
                BinaryPrimitives.WriteUInt64LittleEndian(range[8..], lba);
                break;
            default:
                break; // flush: the namespace alone
        }
    }

    private static void Lba(Span<byte> sqe, ulong lba, uint cdw12)
    {
        NvmeCommand.Cdw(sqe, 10, (uint)lba);
        NvmeCommand.Cdw(sqe, 11, (uint)(lba >> 32));
        NvmeCommand.Cdw(sqe, 12, cdw12);
    }

    /// <summary>PDU flags for the digests agreed (the data digest only on a PDU with data).</summary>
    private byte Flags(bool withData) =>
        (byte)((_headerDigest ? NvmeTcpProto.NVME_TCP_F_HDGST : 0) | (_dataDigest && withData ? NvmeTcpProto.NVME_TCP_F_DDGST : 0));

    /// <summary>Adds a header of <paramref name="bytes"/> at <paramref name="h"/>, its digest, and zeroes up to <paramref name="dataOffset"/>.</summary>
    private void AddHeader(byte* h, int bytes, int dataOffset)
    {
        int total = bytes;
        if (_headerDigest)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(h + bytes, NvmeTcpProto.DigestBytes), Crc32C.Of(new ReadOnlySpan<byte>(h, bytes)));
            total += NvmeTcpProto.DigestBytes;
        }

        AddSendIov(h, (ulong)total);
        if (dataOffset > total)
        {
            AddSendIov(_zeroes, (ulong)(dataOffset - total));
        }
    }

    /// <summary>Adds the slot's data bytes [<paramref name="position"/>, +<paramref name="length"/>), then their digest (written at <paramref name="digest"/>) when agreed.</summary>
    private void AddData(BlkSlot slot, ulong position, uint length, byte* digest)
    {
        int first = SendIovCount;
        AddSendSegments(slot, position, length);
        if (_dataDigest)
        {
            uint crc = Crc32C.Seed;
            for (int i = first; i < SendIovCount; i++)
            {
                crc = Crc32C.Update(crc, new ReadOnlySpan<byte>(SendIov[i].iov_base, (int)(ulong)SendIov[i].iov_len));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(digest, NvmeTcpProto.DigestBytes), Crc32C.Finish(crc));
            AddSendIov(digest, NvmeTcpProto.DigestBytes);
        }
    }

    /// <summary>Adds <paramref name="length"/> bytes of our own at <paramref name="data"/> (a DSM range), then their digest when agreed.</summary>
    private void AddOwnData(byte* data, uint length, byte* digest)
    {
        AddSendIov(data, length);
        if (_dataDigest)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(new Span<byte>(digest, NvmeTcpProto.DigestBytes), Crc32C.Of(new ReadOnlySpan<byte>(data, (int)length)));
            AddSendIov(digest, NvmeTcpProto.DigestBytes);
        }
    }

    private static int Align(int value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
