using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using VduseAot.Network.NvmeTcp;

namespace VduseAot.Network.Tests;

/// <content>
/// Namespace 1 behind the I/O queues: reads (C2HData in pieces, with SUCCESS or a response), writes in
/// the capsule or through R2T and H2CData, Flush, Dataset Management and Write Zeroes, and the faults
/// the behaviour asks for (reordered responses, drops, garbage, errors, bad digests, unknown ids).
/// A dropped I/O connection (DropAtIo) ends its controller, as Linux's target does on a queue's error.
/// </content>
internal sealed partial class FakeNvmeTarget
{
    private readonly HashSet<ushort> _live = new();
    private int _nextController = 0x20;
    private int _ioCount;

    /// <summary>Namespace 1's bytes.</summary>
    public byte[] Disk { get; }

    public int Reads;
    public int InCapsuleWrites;
    public int R2TWrites;
    public int Flushes;

    /// <summary>Dataset Management and Write Zeroes ranges: (LBA, blocks, deallocate).</summary>
    public List<(ulong Lba, uint Blocks, bool Deallocate)> Zeroed { get; } = new();

    private ushort NewController()
    {
        lock (_live)
        {
            ushort id = (ushort)Interlocked.Increment(ref _nextController);
            _live.Add(id);
            return id;
        }
    }

    private bool Live(ushort controller)
    {
        lock (_live)
        {
            return _live.Contains(controller);
        }
    }

    private void Kill(ushort controller)
    {
        lock (_live)
        {
            _live.Remove(controller);
        }
    }

    private sealed partial class Connection
    {
        private readonly List<List<byte[]>> _held = new();
        private readonly Queue<(byte[] Sqe, byte[] Data)> _stashed = new(); // capsules that came while H2CData was awaited
        private List<byte[]>? _holding;
        private ushort _queue;
        private ushort _controller;

        /// <summary>The connection ended: an admin queue takes its controller with it (an I/O queue's id can be connected again).</summary>
        public void End()
        {
            if (_controller != 0 && _queue == 0)
            {
                t.Kill(_controller);
            }
        }

        private void Send(byte[] pdu)
        {
            if (_holding != null)
            {
                _holding.Add(pdu);
            }
            else
            {
                s.Send(pdu);
            }
        }

        private void ExecuteIo(byte[] sqe, byte[] data)
        {
            int n = Interlocked.Increment(ref t._ioCount);
            ushort cid = BinaryPrimitives.ReadUInt16LittleEndian(sqe.AsSpan(2));
            if (Array.IndexOf(t._b.DropAtIo, n) >= 0)
            {
                t.Kill(_controller);
                s.Shutdown(SocketShutdown.Both);
                throw new EndOfStreamException();
            }

            if (n == t._b.GarbageAtIo)
            {
                s.Send(new byte[32]); // type 0x00 (an ICReq) with zero lengths
                return;
            }

            if (n == t._b.UnknownIdAtIo)
            {
                Respond((ushort)(cid ^ 0x4000), 0, 0);
                return;
            }

            if (n == t._b.BadLengthAtIo || n == t._b.BadHeaderDigestAtIo)
            {
                byte[] rsp = new byte[24 + (_hdgst ? 4 : 0)];
                uint length = (uint)rsp.Length + (n == t._b.BadLengthAtIo ? 8u : 0);
                new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_rsp, _hdgst ? NvmeTcpProto.NVME_TCP_F_HDGST : (byte)0, 24, 0, length).Write(rsp);
                new NvmeCompletion(0, 0, cid, 0).Write(rsp.AsSpan(8));
                if (_hdgst)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(rsp.AsSpan(24), Crc32C.Of(rsp.AsSpan(0, 24)) ^ (n == t._b.BadHeaderDigestAtIo ? 1u : 0));
                }

                s.Send(rsp);
                return;
            }

            if (n == t._b.TerminateAtIo)
            {
                byte[] term = new byte[24];
                new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_c2h_term, 0, 24, 0, 24).Write(term);
                BinaryPrimitives.WriteUInt16LittleEndian(term.AsSpan(8), 0x01); // invalid PDU header field
                s.Send(term);
                t.Kill(_controller);
                throw new EndOfStreamException();
            }

            bool r2t = sqe[0] == NvmeProto.nvme_cmd_write && data.Length == 0;
            if (!t._b.Reorder || r2t)
            {
                Release();
                Io(sqe, cid, data, n);
                return;
            }

            _holding = new();
            Io(sqe, cid, data, n);
            _held.Add(_holding);
            _holding = null;
            if (s.Available == 0 || _held.Count >= 8)
            {
                Release();
            }
        }

        /// <summary>Sends what was held, the last command's answer first.</summary>
        private void Release()
        {
            for (int i = _held.Count - 1; i >= 0; i--)
            {
                foreach (byte[] pdu in _held[i])
                {
                    s.Send(pdu);
                }
            }

            _held.Clear();
        }

        private void Io(byte[] sqe, ushort cid, byte[] data, int n)
        {
            uint block = t._b.BlockBytes;
            ulong lba = BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(40)) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(44)) << 32);
            uint cdw12 = BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(48));
            uint blocks = (cdw12 & 0xffff) + 1;
            int bytes = (int)(blocks * block);
            switch (sqe[0])
            {
                case NvmeProto.nvme_cmd_read:
                case NvmeProto.nvme_cmd_write:
                    if (!Transfer(sqe, cid, data, lba, bytes, n))
                    {
                        Respond(cid, 0, 0x80); // LBA out of range
                    }

                    return;
                case NvmeProto.nvme_cmd_flush:
                    Interlocked.Increment(ref t.Flushes);
                    Respond(cid, 0, 0);
                    return;
                case NvmeProto.nvme_cmd_write_zeroes:
                    Zero(cid, lba, blocks, (cdw12 & NvmeProto.NVME_WZ_DEAC) != 0);
                    return;
                case NvmeProto.nvme_cmd_dsm when data.Length == 16 && BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(44)) == NvmeProto.NVME_DSMGMT_AD:
                    Zero(cid, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(8)), BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(4)), true);
                    return;
                default:
                    t.Error("unexpected I/O command opcode " + sqe[0] + " with " + data.Length + " data bytes");
                    Respond(cid, 0, 0x01);
                    return;
            }
        }

        private bool Transfer(byte[] sqe, ushort cid, byte[] data, ulong lba, int bytes, int n)
        {
            uint sglLength = BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(32));
            byte sglType = sqe[39];
            bool inCapsule = data.Length > 0;
            byte wantType = inCapsule ? NvmeProto.NVME_SGL_FMT_DATA_DESC_OFFSET : NvmeProto.NVME_TRANSPORT_SGL_DATA_DESC;
            if (sglLength != bytes || sglType != wantType || (inCapsule && data.Length != bytes) || (t._b.Mdts != 0 && bytes > 4096 << t._b.Mdts))
            {
                t.Error("command " + cid + ": SGL type 0x" + sglType.ToString("x2") + " length " + sglLength + " for " + bytes + " bytes (" + data.Length + " in the capsule)");
            }

            ulong offset = lba * t._b.BlockBytes;
            if (offset + (ulong)bytes > t._size)
            {
                return false;
            }

            if (sqe[0] == NvmeProto.nvme_cmd_read)
            {
                Read(cid, lba, (int)offset, bytes, n);
                return true;
            }

            if (inCapsule)
            {
                Interlocked.Increment(ref t.InCapsuleWrites);
            }
            else
            {
                Interlocked.Increment(ref t.R2TWrites);
                data = ReceiveWrite(cid, bytes);
            }

            lock (t.Disk)
            {
                data.CopyTo(t.Disk, (int)offset);
            }

            Respond(cid, 0, 0);
            return true;
        }

        private void Read(ushort cid, ulong lba, int offset, int bytes, int n)
        {
            Interlocked.Increment(ref t.Reads);
            if (lba == t._b.FailReadLba)
            {
                Respond(cid, 0, (2 << 8) | 0x81); // media error: unrecovered read error
                return;
            }

            byte[] data;
            lock (t.Disk)
            {
                data = t.Disk.AsSpan(offset, bytes).ToArray();
            }

            int pieces = Math.Min(t._b.DataPdus, bytes / 512);
            int each = bytes / pieces;
            for (int i = 0; i < pieces; i++)
            {
                bool last = i == pieces - 1;
                SendData(cid, data.AsSpan(i * each, last ? bytes - (i * each) : each), i * each, last, corrupt: false, corruptData: n == t._b.BadDataDigestAtIo);
            }

            if (!t._b.SuccessFlag)
            {
                Respond(cid, 0, 0);
            }
        }

        /// <summary>Asks for the write's data in R2Ts and takes the H2CData PDUs that answer them.</summary>
        private byte[] ReceiveWrite(ushort cid, int bytes)
        {
            byte[] data = new byte[bytes];
            ushort ttag = (ushort)(cid ^ 0x5a5a);
            int offset = 0;
            while (offset < bytes)
            {
                int length = t._b.R2TBytes == 0 ? bytes - offset : Math.Min((int)t._b.R2TBytes, bytes - offset);
                byte[] r2t = new byte[24 + (_hdgst ? 4 : 0)];
                new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_r2t, _hdgst ? NvmeTcpProto.NVME_TCP_F_HDGST : (byte)0, 24, 0, (uint)r2t.Length).Write(r2t);
                BinaryPrimitives.WriteUInt16LittleEndian(r2t.AsSpan(8), cid);
                BinaryPrimitives.WriteUInt16LittleEndian(r2t.AsSpan(10), ttag);
                BinaryPrimitives.WriteUInt32LittleEndian(r2t.AsSpan(12), (uint)offset);
                BinaryPrimitives.WriteUInt32LittleEndian(r2t.AsSpan(16), (uint)length);
                if (_hdgst)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(r2t.AsSpan(24), Crc32C.Of(r2t.AsSpan(0, 24)));
                }

                s.Send(r2t);
                int end = offset + length;
                while (offset < end)
                {
                    offset += ReceiveH2CData(cid, ttag, offset, end, data);
                }
            }

            return data;
        }

        private int ReceiveH2CData(ushort cid, ushort ttag, int offset, int end, byte[] into)
        {
            byte[] ch = Read(8);
            NvmeTcpPdu pdu = NvmeTcpPdu.Read(ch);
            if (pdu.Type == NvmeTcpProto.nvme_tcp_cmd)
            {
                _stashed.Enqueue(ReadCapsule(ch)); // the host pipelines: later commands may come before the data
                return 0;
            }

            if (pdu.Type != NvmeTcpProto.nvme_tcp_h2c_data || pdu.HeaderLength != 24 || pdu.HasHeaderDigest != _hdgst || pdu.HasDataDigest != _ddgst)
            {
                t.Error("expected H2CData, got type " + pdu.Type + " hlen " + pdu.HeaderLength + " flags " + pdu.Flags);
                throw new EndOfStreamException();
            }

            byte[] rest = Read((int)pdu.Length - 8);
            byte[] header = [.. ch, .. rest.AsSpan(0, 16)];
            ushort gotCid = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(8));
            ushort gotTag = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(10));
            int datao = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(12));
            int datal = (int)BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16));
            bool last = (pdu.Flags & NvmeTcpProto.NVME_TCP_F_DATA_LAST) != 0;
            int align = (t._b.Cpda + 1) * 4;
            if (_hdgst && BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(16)) != Crc32C.Of(header))
            {
                t.Error("H2CData with a bad header digest");
            }

            if (gotCid != cid || gotTag != ttag || datao != offset || datal <= 0 || datao + datal > end || datal > t._b.MaxH2CData
                || last != (datao + datal == end) || pdu.DataOffset % align != 0 || datal != pdu.DataBytes)
            {
                t.Error("H2CData cid " + gotCid + " ttag " + gotTag + " at " + datao + "+" + datal + (last ? " LAST" : "") + " pdo " + pdu.DataOffset
                    + " (want cid " + cid + " ttag " + ttag + " at " + offset + " up to " + end + ")");
                throw new EndOfStreamException();
            }

            ReadOnlySpan<byte> data = rest.AsSpan(pdu.DataOffset - 8, datal);
            if (_ddgst && BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(pdu.DataOffset - 8 + datal)) != Crc32C.Of(data))
            {
                t.Error("H2CData with a bad data digest");
            }

            data.CopyTo(into.AsSpan(datao));
            return datal;
        }

        private void Zero(ushort cid, ulong lba, uint blocks, bool deallocate)
        {
            ulong offset = lba * t._b.BlockBytes;
            ulong bytes = (ulong)blocks * t._b.BlockBytes;
            if (offset + bytes > t._size)
            {
                Respond(cid, 0, 0x80);
                return;
            }

            lock (t.Disk)
            {
                Array.Clear(t.Disk, (int)offset, (int)bytes);
                t.Zeroed.Add((lba, blocks, deallocate));
            }

            Respond(cid, 0, 0);
        }
    }
}
