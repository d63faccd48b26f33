using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using VduseAot.Network.NvmeTcp;

namespace VduseAot.Network.Tests;

/// <summary>What <see cref="FakeNvmeTarget"/> does besides answering correctly.</summary>
internal sealed record FakeNvmeBehaviour
{
    public string SubsystemNqn { get; init; } = "nqn.2026-12.test:disk";

    /// <summary>Agree to digests when asked (else answer the ICReq with them off).</summary>
    public bool GrantDigests { get; init; } = true;

    /// <summary>CPDA: the data alignment the target wants, in dwords minus one.</summary>
    public byte Cpda { get; init; }

    /// <summary>Send Identify data in this many C2HData PDUs.</summary>
    public int DataPdus { get; init; } = 1;

    /// <summary>End the data with the SUCCESS flag instead of a response capsule.</summary>
    public bool SuccessFlag { get; init; }

    /// <summary>I/O queues Set Features grants.</summary>
    public int GrantQueues { get; init; } = 8;

    /// <summary>Answer Identify Namespace with a corrupted header digest.</summary>
    public bool BadDigestOnIdentify { get; init; }

    /// <summary>Answer Identify Controller with a C2HTermReq.</summary>
    public bool TerminateOnIdentify { get; init; }

    /// <summary>Logical block size of namespace 1.</summary>
    public uint BlockBytes { get; init; } = 512;

    /// <summary>IOCCSZ beyond the entry: writes up to this go in the capsule.</summary>
    public uint InCapsuleBytes { get; init; } = 8192;

    /// <summary>MDTS (a power of two of 4 KiB pages; 0: no limit).</summary>
    public byte Mdts { get; init; } = 5;

    /// <summary>Ask for a write's data in R2Ts of at most this many bytes (0: one R2T).</summary>
    public uint R2TBytes { get; init; }

    /// <summary>MAXH2CDATA offered.</summary>
    public uint MaxH2CData { get; init; } = 128 << 10;

    /// <summary>Hold the responses of commands that came together and answer them in reverse order.</summary>
    public bool Reorder { get; init; }

    /// <summary>Drop the connection when the I/O command count (over all connections) reaches each of these.</summary>
    public int[] DropAtIo { get; init; } = [];

    /// <summary>Send garbage instead of answering when the I/O command count reaches this (0: never).</summary>
    public int GarbageAtIo { get; init; }

    /// <summary>Answer a read of this LBA with "unrecovered read error" (ulong.MaxValue: none).</summary>
    public ulong FailReadLba { get; init; } = ulong.MaxValue;

    /// <summary>Corrupt the data digest of the C2HData when the I/O command count reaches this (0: never).</summary>
    public int BadDataDigestAtIo { get; init; }

    /// <summary>Answer with a command id nobody sent when the I/O command count reaches this (0: never).</summary>
    public int UnknownIdAtIo { get; init; }

    /// <summary>Answer with a response capsule whose PDU length is wrong when the I/O command count reaches this (0: never).</summary>
    public int BadLengthAtIo { get; init; }

    /// <summary>Answer with a response whose header digest is wrong when the I/O command count reaches this (0: never).</summary>
    public int BadHeaderDigestAtIo { get; init; }

    /// <summary>Leave Keep Alive commands unanswered (a controller that hangs).</summary>
    public bool IgnoreKeepAlive { get; init; }

    /// <summary>Send a C2HTermReq and close when the I/O command count reaches this (0: never).</summary>
    public int TerminateAtIo { get; init; }
}

/// <summary>
/// An NVMe/TCP controller in the test process on a unix socket: ICResp, the admin commands a host
/// sends to bring up an association, and a namespace 1 of <c>size</c> bytes. It checks the digests
/// and layout of every PDU it gets (a wrong one is recorded in <see cref="Errors"/>).
/// </summary>
internal sealed partial class FakeNvmeTarget : IDisposable
{
    private readonly FakeUnixServer _server;
    private readonly FakeNvmeBehaviour _b;
    private readonly ulong _size;

    public FakeNvmeTarget(string path, ulong size, FakeNvmeBehaviour? behaviour = null)
    {
        SocketPath = path;
        _size = size;
        Disk = new byte[size];
        _b = behaviour ?? new FakeNvmeBehaviour();
        _server = new FakeUnixServer(path, "fake-nvme", (client, _) => Serve(client));
    }

    public string SocketPath { get; }

    public NetworkEndpoint Endpoint => NetworkEndpoint.ForUnix(SocketPath);

    public List<string> Errors { get; } = new();

    /// <summary>Connect commands seen: (queue id, host NQN, controller id asked for).</summary>
    public List<(ushort Queue, string HostNqn, ushort Controller)> Connects { get; } = new();

    /// <summary>CATTR of each Connect, in the order of <see cref="Connects"/>.</summary>
    public List<byte> ConnectAttributes { get; } = new();

    /// <summary>Keep Alive commands received.</summary>
    public int KeepAlives;

    private void Serve(Socket s)
    {
        var conn = new Connection(s, this);
        try
        {
            conn.Run();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or EndOfStreamException)
        {
        }
        finally
        {
            conn.End();
        }
    }

    private void Error(string message)
    {
        lock (Errors)
        {
            Errors.Add(message);
        }
    }

    public void Dispose() => _server.Dispose();

    /// <summary>One connection's state: digests agreed, CC.EN.</summary>
    private sealed partial class Connection(Socket s, FakeNvmeTarget t)
    {
        private bool _hdgst;
        private bool _ddgst;
        private bool _enabled;

        public void Run()
        {
            byte[] icreq = Read(128);
            if (icreq[0] != NvmeTcpProto.nvme_tcp_icreq || icreq[2] != 128 || BinaryPrimitives.ReadUInt32LittleEndian(icreq.AsSpan(4)) != 128)
            {
                t.Error("bad ICReq");
                return;
            }

            bool grant = t._b.GrantDigests;
            _hdgst = grant && (icreq[11] & 1) != 0;
            _ddgst = grant && (icreq[11] & 2) != 0;
            byte[] icresp = new byte[128];
            new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_icresp, 0, 128, 0, 128).Write(icresp);
            icresp[10] = t._b.Cpda;
            icresp[11] = (byte)((_hdgst ? 1 : 0) | (_ddgst ? 2 : 0));
            BinaryPrimitives.WriteUInt32LittleEndian(icresp.AsSpan(12), t._b.MaxH2CData);
            s.Send(icresp);
            while (true)
            {
                (byte[] sqe, byte[] data) = _stashed.Count > 0 ? _stashed.Dequeue() : ReadCapsule();
                if (_queue == 0)
                {
                    Execute(sqe, data);
                }
                else
                {
                    ExecuteIo(sqe, data);
                }
            }
        }

        private (byte[] Sqe, byte[] Data) ReadCapsule(byte[]? common = null)
        {
            byte[] ch = common ?? Read(8);
            NvmeTcpPdu pdu = NvmeTcpPdu.Read(ch);
            if (pdu.Type != NvmeTcpProto.nvme_tcp_cmd || pdu.HeaderLength != 72 || pdu.HasHeaderDigest != _hdgst)
            {
                t.Error("bad capsule header type " + pdu.Type + " hlen " + pdu.HeaderLength);
                throw new EndOfStreamException();
            }

            byte[] rest = Read((int)pdu.Length - 8);
            byte[] header = [.. ch, .. rest.AsSpan(0, 64)];
            if (_hdgst && BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(64)) != Crc32C.Of(header))
            {
                t.Error("bad header digest");
            }

            byte[] data = [];
            if (pdu.DataOffset != 0)
            {
                int align = (t._b.Cpda + 1) * 4;
                if (pdu.DataOffset % align != 0 || pdu.DataOffset < pdu.HeaderAndDigestBytes)
                {
                    t.Error("in-capsule data at " + pdu.DataOffset + " breaks CPDA alignment " + align);
                }

                int length = (int)pdu.DataBytes;
                data = rest.AsSpan(pdu.DataOffset - 8, length).ToArray();
                if (pdu.HasDataDigest != _ddgst || (_ddgst && BinaryPrimitives.ReadUInt32LittleEndian(rest.AsSpan(pdu.DataOffset - 8 + length)) != Crc32C.Of(data)))
                {
                    t.Error("bad data digest");
                }
            }

            return (rest.AsSpan(0, 64).ToArray(), data);
        }

        private void Execute(byte[] sqe, byte[] data)
        {
            ushort cid = BinaryPrimitives.ReadUInt16LittleEndian(sqe.AsSpan(2));
            switch (sqe[0])
            {
                case NvmeProto.nvme_fabrics_command when sqe[4] == NvmeProto.nvme_fabrics_type_connect:
                    string subnqn = Text(data.AsSpan(256, 256));
                    ushort want = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(16));
                    ushort qid = BinaryPrimitives.ReadUInt16LittleEndian(sqe.AsSpan(42));
                    lock (t.Connects)
                    {
                        t.Connects.Add((qid, Text(data.AsSpan(512, 256)), want));
                        t.ConnectAttributes.Add(sqe[46]);
                    }

                    ushort controller = qid == 0 ? t.NewController() : want;
                    bool ok = subnqn == t._b.SubsystemNqn && (qid == 0 ? want == NvmeProto.NVME_CNTLID_DYNAMIC : t.Live(controller));
                    _queue = ok ? qid : (ushort)0;
                    _controller = controller;
                    Respond(cid, ok ? controller : 0UL, ok ? (ushort)0 : (ushort)((1 << 8) | 0x82));
                    return;
                case NvmeProto.nvme_fabrics_command when sqe[4] == NvmeProto.nvme_fabrics_type_property_get:
                    uint offset = BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(44));
                    ulong value = offset switch
                    {
                        NvmeProto.NVME_REG_CAP => 127UL | (1UL << 24), // MQES 127, TO 500 ms, MPSMIN 0
                        NvmeProto.NVME_REG_CSTS => _enabled ? 1UL : 0,
                        _ => 0,
                    };
                    Respond(cid, value, 0);
                    return;
                case NvmeProto.nvme_fabrics_command when sqe[4] == NvmeProto.nvme_fabrics_type_property_set:
                    _enabled = (BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(48)) & 1) != 0;
                    Respond(cid, 0, 0);
                    return;
                case NvmeProto.nvme_admin_identify:
                    Identify(cid, sqe);
                    return;
                case NvmeProto.nvme_admin_keep_alive:
                    Interlocked.Increment(ref t.KeepAlives);
                    if (!t._b.IgnoreKeepAlive)
                    {
                        Respond(cid, 0, 0);
                    }

                    return;
                case NvmeProto.nvme_admin_set_features:
                    uint grant = (uint)t._b.GrantQueues - 1;
                    Respond(cid, grant | (grant << 16), 0);
                    return;
                default:
                    Respond(cid, 0, 0x01); // invalid opcode
                    return;
            }
        }

        private void Identify(ushort cid, byte[] sqe)
        {
            byte cns = sqe[40];
            uint nsid = BinaryPrimitives.ReadUInt32LittleEndian(sqe.AsSpan(4));
            byte[] id = new byte[4096];
            if (cns == NvmeProto.NVME_ID_CNS_CTRL)
            {
                if (t._b.TerminateOnIdentify)
                {
                    byte[] term = new byte[24];
                    new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_c2h_term, 0, 24, 0, 24).Write(term);
                    BinaryPrimitives.WriteUInt16LittleEndian(term.AsSpan(8), 0x05);
                    s.Send(term);
                    throw new EndOfStreamException();
                }

                id[77] = t._b.Mdts;
                BinaryPrimitives.WriteUInt16LittleEndian(id.AsSpan(78), 0x21);
                BinaryPrimitives.WriteUInt16LittleEndian(id.AsSpan(520), NvmeProto.NVME_CTRL_ONCS_DSM | NvmeProto.NVME_CTRL_ONCS_WRITE_ZEROES);
                id[525] = 1;
                BinaryPrimitives.WriteUInt32LittleEndian(id.AsSpan(536), 1);
                System.Text.Encoding.ASCII.GetBytes(t._b.SubsystemNqn).CopyTo(id, 768);
                BinaryPrimitives.WriteUInt32LittleEndian(id.AsSpan(1792), (t._b.InCapsuleBytes + 64) / 16);
            }
            else if (cns == NvmeProto.NVME_ID_CNS_NS && nsid == 1)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(id, t._size / t._b.BlockBytes);
                id[128 + 2] = (byte)System.Numerics.BitOperations.Log2(t._b.BlockBytes);
            }

            int pieces = t._b.DataPdus;
            int each = 4096 / pieces;
            for (int i = 0; i < pieces; i++)
            {
                bool last = i == pieces - 1;
                SendData(cid, id.AsSpan(i * each, last ? 4096 - (i * each) : each), i * each, last, corrupt: cns == NvmeProto.NVME_ID_CNS_NS && t._b.BadDigestOnIdentify);
            }

            if (!t._b.SuccessFlag)
            {
                Respond(cid, 0, 0);
            }
        }

        private void SendData(ushort cid, ReadOnlySpan<byte> data, int offset, bool last, bool corrupt, bool corruptData = false)
        {
            int header = 24 + (_hdgst ? 4 : 0);
            int align = (t._b.Cpda + 1) * 4;
            int pdo = (header + align - 1) / align * align;
            int plen = pdo + data.Length + (_ddgst ? 4 : 0);
            byte[] pdu = new byte[plen];
            byte flags = (byte)((_hdgst ? NvmeTcpProto.NVME_TCP_F_HDGST : 0) | (_ddgst ? NvmeTcpProto.NVME_TCP_F_DDGST : 0)
                | (last ? NvmeTcpProto.NVME_TCP_F_DATA_LAST : 0) | (last && t._b.SuccessFlag ? NvmeTcpProto.NVME_TCP_F_DATA_SUCCESS : 0));
            new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_c2h_data, flags, 24, (byte)pdo, (uint)plen).Write(pdu);
            BinaryPrimitives.WriteUInt16LittleEndian(pdu.AsSpan(8), cid);
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(12), (uint)offset);
            BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(16), (uint)data.Length);
            if (_hdgst)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(24), Crc32C.Of(pdu.AsSpan(0, 24)) ^ (corrupt ? 1u : 0));
            }

            data.CopyTo(pdu.AsSpan(pdo));
            if (_ddgst)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(pdo + data.Length), Crc32C.Of(data) ^ (corruptData ? 1u : 0));
            }

            Send(pdu);
        }

        private void Respond(ushort cid, ulong result, ushort status)
        {
            byte[] pdu = new byte[24 + (_hdgst ? 4 : 0)];
            new NvmeTcpPdu(NvmeTcpProto.nvme_tcp_rsp, _hdgst ? NvmeTcpProto.NVME_TCP_F_HDGST : (byte)0, 24, 0, (uint)pdu.Length).Write(pdu);
            new NvmeCompletion(result, 0, cid, status).Write(pdu.AsSpan(8));
            if (_hdgst)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pdu.AsSpan(24), Crc32C.Of(pdu.AsSpan(0, 24)));
            }

            Send(pdu);
        }

        private byte[] Read(int n)
        {
            byte[] b = new byte[n];
            int done = 0;
            while (done < n)
            {
                int r = s.Receive(b, done, n - done, SocketFlags.None);
                if (r == 0)
                {
                    throw new EndOfStreamException();
                }

                done += r;
            }

            return b;
        }

        private static string Text(ReadOnlySpan<byte> field)
        {
            int end = field.IndexOf((byte)0);
            return System.Text.Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
        }
    }
}
