using System;
using System.Buffers.Binary;
using System.Globalization;
using Tmds.Linux;
using VduseAot.Block;
using VduseAot.Interop;

namespace VduseAot.Network.NvmeTcp;

/// <content>
/// What comes in: response capsules, C2HData (possibly several PDUs per read, in order, the last
/// maybe with SUCCESS and no response), R2T, and the controller's termination request. Every header
/// is checked (type, lengths, digest, a command id that is outstanding, offsets within its command);
/// anything wrong drops the connection, whose commands are sent again on the next association.
/// </content>
internal sealed unsafe partial class NvmeTcpQueueIo
{
    // The C2HData payload being received.
    private ushort _payloadIndex;
    private uint _payloadBytes;
    private bool _payloadSuccess;

    /// <inheritdoc />
    protected override Parse ParseOne()
    {
        if (RxHave < NvmeTcpProto.CommonHeaderBytes)
        {
            return Parse.NeedMore;
        }

        byte* p = Rx + RxStart;
        NvmeTcpPdu pdu = NvmeTcpPdu.Read(new ReadOnlySpan<byte>(p, NvmeTcpProto.CommonHeaderBytes));
        if (pdu.Malformed(_headerDigest, _dataDigest) is string bad)
        {
            return Broken("a malformed PDU (" + bad + ")");
        }

        int header = pdu.HeaderAndDigestBytes;
        if (RxHave < header)
        {
            return Parse.NeedMore;
        }

        var h = new ReadOnlySpan<byte>(p, pdu.HeaderLength);
        if (pdu.HasHeaderDigest && BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(p + pdu.HeaderLength, NvmeTcpProto.DigestBytes)) != Crc32C.Of(h))
        {
            return Broken("a PDU whose header digest is wrong");
        }

        return pdu.Type switch
        {
            NvmeTcpProto.nvme_tcp_rsp => Response(h, header),
            NvmeTcpProto.nvme_tcp_c2h_data => Data(pdu, h, header),
            NvmeTcpProto.nvme_tcp_r2t => ReadyToTransfer(h, header),
            NvmeTcpProto.nvme_tcp_c2h_term => Broken("a termination request (C2HTermReq, fatal error status 0x"
                + BinaryPrimitives.ReadUInt16LittleEndian(h[8..]).ToString("x", CultureInfo.InvariantCulture) + ")"),
            _ => Broken("an ICResp after the connection was initialized"),
        };
    }

    /// <summary>True when <paramref name="id"/> names a command sent on this connection and not answered.</summary>
    private bool Outstanding(ushort id) => id < _commands.Length && Tracks[id].State == CommandState.Sent;

    private Parse Response(ReadOnlySpan<byte> h, int header)
    {
        NvmeCompletion cqe = NvmeCompletion.Read(h[NvmeTcpProto.CommonHeaderBytes..]);
        ushort index = cqe.CommandId;
        if (!Outstanding(index))
        {
            return Broken("a response for command id " + index + ", which is not outstanding");
        }

        ref NvmeIoCommand c = ref _commands[index];
        RxStart += header;
        if (!cqe.Ok)
        {
            ServerFailed(index);
            _backend.LogDebug(Peer + ": command " + index + " (opcode 0x" + c.Opcode.ToString("x2", CultureInfo.InvariantCulture) + ") failed: " + cqe.Describe());
        }
        else if (c.Opcode is NvmeProto.nvme_cmd_read or NvmeProto.nvme_cmd_write && !c.InCapsule && c.Moved != c.Length)
        {
            return Broken("a successful response to a " + (c.Opcode == NvmeProto.nvme_cmd_read ? "read" : "write") + " that moved "
                + c.Moved + " of its " + c.Length + " bytes");
        }

        CommandDone(index);
        return Connected ? Parse.Consumed : Parse.Broken;
    }

    private Parse Data(NvmeTcpPdu pdu, ReadOnlySpan<byte> h, int header)
    {
        ushort index = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
        if (!Outstanding(index) || _commands[index].Opcode != NvmeProto.nvme_cmd_read)
        {
            return Broken("C2HData for command id " + index + ", which is not an outstanding read");
        }

        ref NvmeIoCommand c = ref _commands[index];
        bool last = (pdu.Flags & NvmeTcpProto.NVME_TCP_F_DATA_LAST) != 0;
        bool success = (pdu.Flags & NvmeTcpProto.NVME_TCP_F_DATA_SUCCESS) != 0;
        if (length != pdu.DataBytes || offset != c.Moved || length > c.Length - c.Moved || (success && (!last || offset + length != c.Length)))
        {
            return Broken("C2HData of " + length + " bytes at " + offset + (success ? " with SUCCESS" : "") + " for a read of " + c.Length
                + " bytes that has " + c.Moved);
        }

        RxStart += header;
        int n = 0;
        int pad = pdu.DataOffset - header;
        if (pad > 0)
        {
            RxIov[n].iov_base = _rxPad;
            RxIov[n++].iov_len = (size_t)(ulong)pad;
        }

        n += GatherSegments(Finisher.Slot(index), c.Offset - c.Base + offset, length, RxIov + n);
        if (_dataDigest)
        {
            RxIov[n].iov_base = _rxDigest;
            RxIov[n++].iov_len = NvmeTcpProto.DigestBytes;
        }

        _payloadIndex = index;
        _payloadBytes = length;
        _payloadSuccess = success;
        return ReceivePayload(n);
    }

    /// <inheritdoc />
    protected override void PayloadDone()
    {
        ref NvmeIoCommand c = ref _commands[_payloadIndex];
        if (_dataDigest)
        {
            int n = GatherSegments(Finisher.Slot(_payloadIndex), c.Offset - c.Base + c.Moved, _payloadBytes, RxIov);
            uint crc = Crc32C.Seed;
            for (int i = 0; i < n; i++)
            {
                crc = Crc32C.Update(crc, new ReadOnlySpan<byte>(RxIov[i].iov_base, (int)(ulong)RxIov[i].iov_len));
            }

            if (Crc32C.Finish(crc) != BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(_rxDigest, NvmeTcpProto.DigestBytes)))
            {
                _ = Broken("C2HData whose data digest is wrong");
                return;
            }
        }

        c.Moved += _payloadBytes;
        if (_payloadSuccess)
        {
            CommandDone(_payloadIndex);
        }
    }

    private Parse ReadyToTransfer(ReadOnlySpan<byte> h, int header)
    {
        ushort index = BinaryPrimitives.ReadUInt16LittleEndian(h[8..]);
        ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(h[10..]);
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
        if (!Outstanding(index) || _commands[index].Opcode != NvmeProto.nvme_cmd_write || _commands[index].InCapsule || _commands[index].Transferring)
        {
            return Broken("an R2T for command id " + index + ", which is not a write waiting for one");
        }

        ref NvmeIoCommand c = ref _commands[index];
        if (length == 0 || offset != c.Moved || length > c.Length - c.Moved)
        {
            return Broken("an R2T for " + length + " bytes at " + offset + " of a write of " + c.Length + " bytes that has sent " + c.Moved);
        }

        RxStart += header;
        c.Moved += length;
        c.SendFrom = offset;
        c.SendEnd = offset + length;
        c.TransferTag = tag;
        c.Transferring = true;
        _transfers[(_transferHead + _transferCount) % _transfers.Length] = index;
        _transferCount++;
        return Parse.Consumed;
    }
}
