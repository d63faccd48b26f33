using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Interop;
using VduseAot.Network.Nbd;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Network.Tests;

/// <summary>What one seed of <see cref="NbdPropertyRun"/> asks for.</summary>
internal sealed record NbdPropertyOptions(int Seed, bool Structured, bool Extended, int Requests, double CutChance, int BadSectors);

/// <summary>
/// One seed of the NBD property: random reads, writes, flushes, trims and write-zeroes, pipelined at
/// depths that change as it goes, through an <see cref="NbdRig"/> whose server reorders replies and cuts
/// connections (<see cref="FakeCut"/>) and may have bad sectors. Requests in flight together never
/// overlap, so each read has one right answer: what the <see cref="DiskModel"/> holds when it completes.
/// Checks as it goes that each request completes once with the status its range calls for (IOERR
/// exactly where it touches a bad sector) and reads what was written; at the end, that none is lost and
/// the server's disk is the model's.
/// </summary>
internal sealed class NbdPropertyRun
{
    private const int ExportSectors = 2048; // 1 MiB: small, so that requests often meet the same sectors
    private const int MaxSectors = 128;     // 64 KiB: more than one NBD command where the maximum payload is small
    private const int MaxDepth = 32;
    private const byte Poison = 0xe5;       // read buffers start as this: a read that fills nothing is seen

    private readonly NbdPropertyOptions _o;
    private readonly Random _rng;
    private readonly bool[] _bad = new bool[ExportSectors];
    private readonly Dictionary<uint, Pending> _pending = new();
    private readonly Stack<ulong> _buffers = new();
    private NbdRig _rig = null!;
    private DiskModel _model = null!;
    private int _issued;
    private int _completed;
    private volatile string _progress = "starting";

    public NbdPropertyRun(NbdPropertyOptions options)
    {
        _o = options;
        _rng = new Random(options.Seed);
    }

    private enum Kind
    {
        Read,
        Write,
        Flush,
        Trim,
        WriteZeroes,
    }

    /// <summary>What the run is doing, for a timeout's message (read from another thread).</summary>
    public string Progress => _progress;

    /// <summary>Requests that completed with IOERR (all of them expected).</summary>
    public int IoErrors { get; private set; }

    /// <summary>Connections remade.</summary>
    public long Reconnects { get; private set; }

    /// <summary>Cuts the server made, by kind.</summary>
    public int[] Cuts { get; } = new int[Enum.GetValues<FakeCut>().Length];

    /// <summary>Runs the seed to the end on the calling thread (the queue thread: it makes the rig's io_uring).</summary>
    public void Run()
    {
        for (int i = 0; i < _o.BadSectors; i++)
        {
            _bad[_rng.Next(ExportSectors)] = true;
        }

        ushort flags = NbdProto.NBD_FLAG_HAS_FLAGS | NbdProto.NBD_FLAG_CAN_MULTI_CONN;
        flags |= _rng.Next(4) != 0 ? NbdProto.NBD_FLAG_SEND_FLUSH : (ushort)0;
        flags |= _rng.Next(3) != 0 ? NbdProto.NBD_FLAG_SEND_TRIM : (ushort)0;
        flags |= _rng.Next(3) != 0 ? NbdProto.NBD_FLAG_SEND_WRITE_ZEROES : (ushort)0;
        var behaviour = new FakeNbdBehaviour
        {
            OfferStructuredReplies = _o.Structured,
            OfferExtendedHeaders = _o.Extended,
            Flags = flags,
            MaxPayload = new uint[] { 4096, 16384, 32u << 20 }[_rng.Next(3)],
            ReorderWindow = _rng.Next(1, 9),
            SplitReads = _rng.Next(2) == 0,
            Seed = _o.Seed,
            CutChance = _o.CutChance,
            MaxCuts = 30, // a cut loses everything in flight: without a bound a deep pipeline could starve
            FailRange = _o.BadSectors > 0 ? TouchesBad : null,
        };
        using var rig = new NbdRig(size: ExportSectors * DiskModel.Sector, behaviour: behaviour, reconnectTimeoutSeconds: 600);
        _rig = rig;

        // Half the disk random, half zero: the server answers reads of zeroes with holes.
        _rng.NextBytes(rig.Server.Disk.AsSpan(0, rig.Server.Disk.Length / 2));
        _model = new DiskModel(rig.Server.Disk);
        for (int i = 0; i < MaxDepth; i++)
        {
            _buffers.Push(rig.Ram.Alloc(MaxSectors * DiskModel.Sector, 512));
        }

        int depth = 1;
        int phaseEnd = 0;
        while (_completed < _o.Requests)
        {
            if (_issued >= phaseEnd)
            {
                // Bursts of 25 requests at one depth, from one at a time to the whole buffer pool.
                depth = new[] { 1, 2, 4, 8, 16, MaxDepth }[_rng.Next(6)];
                phaseEnd = _issued + 25;
            }

            while (_pending.Count < depth && _issued < _o.Requests)
            {
                if (!Issue())
                {
                    break; // everything free clashes with what is in flight: wait for some of it
                }
            }

            foreach (UsedEntry used in rig.Step())
            {
                Completed(used);
            }

            _progress = "seed " + _o.Seed + ": " + _completed + " of " + _o.Requests + " completed, " + _pending.Count + " in flight (heads "
                + string.Join(",", _pending.Keys) + "), " + rig.Server.AllCuts + " cuts, " + rig.Server.Connections + " connections";
        }

        Assert.Equal(_o.Requests, _issued);
        Assert.Empty(_pending);
        Assert.Equal(0, rig.Queue.InFlight);
        Assert.Equal(0, rig.Driver.Outstanding);
        Assert.Equal((ulong)_issued, rig.Queue.Stats.Requests); // a second completion of a reused head shows here
        long wrong = _model.FirstMismatch(0, rig.Server.Disk);
        Assert.True(wrong < 0, "seed " + _o.Seed + ": the server's sector " + wrong + " is not what the writes left");
        Reconnects = rig.Backend.Reconnects;
        for (int i = 0; i < Cuts.Length; i++)
        {
            Cuts[i] = rig.Server.Cuts((FakeCut)i);
        }
    }

    private bool TouchesBad(ulong offset, ulong length) =>
        Array.IndexOf(_bad, true, (int)(offset / DiskModel.Sector), (int)((length + DiskModel.Sector - 1) / DiskModel.Sector)) >= 0;

    private bool TouchesBad((ulong Sector, uint Sectors)[] ranges) =>
        ranges.Any(r => TouchesBad(r.Sector * DiskModel.Sector, (ulong)r.Sectors * DiskModel.Sector));

    /// <summary>Adds one request on sectors nothing in flight touches; false when none was found this time.</summary>
    private bool Issue()
    {
        NbdExport export = _rig.Backend.Export;
        int roll = _rng.Next(100);
        Kind kind = roll < 40 ? Kind.Read : roll < 75 ? Kind.Write : roll < 80 ? Kind.Flush
            : roll < 90 ? (export.CanTrim ? Kind.Trim : Kind.Write) : (export.CanWriteZeroes ? Kind.WriteZeroes : Kind.Read);
        if (kind == Kind.Flush)
        {
            Add(new Pending(kind, [], _rig.Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0), VirtioBlk.VIRTIO_BLK_S_OK, null, 0));
            return true;
        }

        int count = kind is Kind.Trim or Kind.WriteZeroes ? _rng.Next(1, 4) : 1;
        var ranges = new List<(ulong Sector, uint Sectors)>();
        for (int i = 0; i < count; i++)
        {
            (ulong Sector, uint Sectors)? r = FreeRange(ranges, kind is Kind.Trim or Kind.WriteZeroes ? 64 : MaxSectors);
            if (r != null)
            {
                ranges.Add(r.Value);
            }
        }

        if (ranges.Count == 0)
        {
            return false;
        }

        byte expected = TouchesBad(ranges.ToArray()) ? VirtioBlk.VIRTIO_BLK_S_IOERR : VirtioBlk.VIRTIO_BLK_S_OK;
        if (kind is Kind.Trim or Kind.WriteZeroes)
        {
            uint type = kind == Kind.Trim ? VirtioBlk.VIRTIO_BLK_T_DISCARD : VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES;
            uint unmap = kind == Kind.WriteZeroes ? (uint)_rng.Next(2) : 0;
            BlkRequestLayout z = _rig.Builder.AddZeroing(type, ranges.Select(r => (r.Sector, r.Sectors, unmap)).ToList(), pieces: _rng.Next(1, 3));
            Add(new Pending(kind, ranges.ToArray(), z, expected, null, 0));
            return true;
        }

        (ulong sector, uint sectors) = ranges[0];
        ulong buffer = _buffers.Pop();
        uint bytes = sectors * DiskModel.Sector;
        int pieces = _rng.Next(1, 5);
        BlkRequestLayout l = _rig.Builder.Add(kind == Kind.Read ? VirtioBlk.VIRTIO_BLK_T_IN : VirtioBlk.VIRTIO_BLK_T_OUT, sector, bytes, pieces, buffer);
        byte[]? data = null;
        if (kind == Kind.Write)
        {
            data = new byte[bytes];
            _rng.NextBytes(data);
            if (_rng.Next(4) == 0)
            {
                Array.Clear(data, 0, data.Length / 2); // zeroes: holes in later reads
            }

            data.CopyTo(_rig.Builder.Data(l));
        }
        else
        {
            _rig.Builder.Data(l).Fill(Poison);
        }

        Add(new Pending(kind, ranges.ToArray(), l, expected, data, buffer));
        return true;
    }

    private void Add(Pending p)
    {
        _pending.Add(p.Layout.Head, p);
        _issued++;
    }

    /// <summary>A random range of at most <paramref name="most"/> sectors that touches nothing in flight nor <paramref name="taken"/>.</summary>
    private (ulong, uint)? FreeRange(List<(ulong Sector, uint Sectors)> taken, int most)
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            // Mostly small, some large: large ones take several NBD commands where the payload is small.
            uint sectors = (uint)(_rng.Next(4) == 0 ? _rng.Next(17, most + 1) : _rng.Next(1, 17));
            ulong sector = (ulong)_rng.Next(ExportSectors - (int)sectors + 1);
            bool clash = taken.Any(t => Overlap(t, (sector, sectors)))
                || _pending.Values.Any(p => p.Ranges.Any(t => Overlap(t, (sector, sectors))));
            if (!clash)
            {
                return (sector, sectors);
            }
        }

        return null;
    }

    private static bool Overlap((ulong Sector, uint Sectors) a, (ulong Sector, uint Sectors) b) =>
        a.Sector < b.Sector + b.Sectors && b.Sector < a.Sector + a.Sectors;

    private void Completed(UsedEntry used)
    {
        // TakeUsed already threw for a head that is not outstanding: this is the test's own bookkeeping.
        Assert.True(_pending.Remove(used.Id, out Pending? p), "seed " + _o.Seed + ": head " + used.Id + " completed and was not pending");
        _completed++;
        byte status = _rig.Builder.Status(p.Layout);
        string what = "seed " + _o.Seed + ": " + p.Kind + " of " + string.Join(" + ", p.Ranges.Select(r => r.Sectors + " sectors at " + r.Sector));
        Assert.True(status == p.Expected, what + ": status " + status + ", expected " + p.Expected);
        bool ok = status == VirtioBlk.VIRTIO_BLK_S_OK;
        if (ok && p.Kind == Kind.Read)
        {
            Assert.Equal(p.Layout.DataLength + 1, used.Length);
            long wrong = _model.FirstMismatch(p.Ranges[0].Sector, _rig.Builder.Data(p.Layout));
            Assert.True(wrong < 0, what + ": sector " + wrong + " is not what was written there");
        }
        else
        {
            Assert.True(ok ? used.Length == 1 : used.Length >= 1 && used.Length <= p.Layout.DataLength + 1, what + ": used length " + used.Length);
        }

        IoErrors += ok ? 0 : 1;
        foreach ((ulong sector, uint sectors) in p.Ranges)
        {
            if (!ok && p.Kind != Kind.Read)
            {
                _model.Forget(sector, sectors); // pieces before the bad one may have landed
            }
            else if (ok && p.Kind == Kind.Write)
            {
                _model.Write(sector, p.Data!);
            }
            else if (ok && p.Kind is Kind.Trim or Kind.WriteZeroes)
            {
                _model.Zero(sector, sectors);
            }
        }

        if (p.Buffer != 0)
        {
            _buffers.Push(p.Buffer);
        }
    }

    private sealed record Pending(Kind Kind, (ulong Sector, uint Sectors)[] Ranges, BlkRequestLayout Layout, byte Expected, byte[]? Data, ulong Buffer);
}
