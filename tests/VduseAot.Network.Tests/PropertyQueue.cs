using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Interop;
using VduseAot.Block;
using VduseAot.Testing;
using Xunit;

namespace VduseAot.Network.Tests;

/// <summary>
/// One queue's part of a property run (<see cref="NbdPropertyRun"/>, <see cref="NvmePropertyTests"/>): random reads, writes, flushes, trims and
/// write-zeroes in its own region of the export, pipelined at depths that change as it goes. Requests in
/// flight together never overlap, so each read has one right answer: what the <see cref="DiskModel"/>
/// holds when it completes. Checks as it goes that each request completes once, with IOERR exactly where
/// it touches a bad sector and OK elsewhere, and reads what was written; at the end, that none is lost.
/// </summary>
internal sealed class PropertyQueue
{
    private const int MaxSectors = 128;     // 64 KiB: more than one command where the server's maximum is small
    private const int MaxDepth = 32;
    private const byte Poison = 0xe5;       // read buffers start as this: a read that fills nothing is seen

    private readonly string _name;
    private readonly Random _rng;
    private readonly int _requests;
    private readonly DiskModel _model;
    private readonly Func<ulong, ulong, bool> _bad;
    private readonly BlkBackendFeatures _features;
    private readonly int _first;
    private readonly int _sectors;
    private readonly Dictionary<uint, Pending> _pending = new();
    private readonly Stack<ulong> _buffers = new();
    private QueueRig _q = null!;
    private int _issued;
    private int _completed;
    private volatile string _progress = "starting";

    /// <summary>A queue named <paramref name="name"/> (in messages) that owns sectors [<paramref name="first"/>, + <paramref name="sectors"/>).</summary>
    public PropertyQueue(string name, int seed, int requests, DiskModel model, Func<ulong, ulong, bool> bad, BlkBackendFeatures features, int first, int sectors)
    {
        _name = name;
        _rng = new Random(seed);
        _requests = requests;
        _model = model;
        _bad = bad;
        _features = features;
        _first = first;
        _sectors = sectors;
    }

    private enum Kind
    {
        Read,
        Write,
        Flush,
        Trim,
        WriteZeroes,
    }

    /// <summary>What the queue is doing, for a timeout's message (read from another thread).</summary>
    public string Progress => _progress;

    /// <summary>Requests that completed with IOERR (all of them expected).</summary>
    public int IoErrors { get; private set; }

    /// <summary>Runs to the end on <paramref name="q"/>, from the calling thread (its queue thread).</summary>
    public void Run(QueueRig q)
    {
        _q = q;
        for (int i = 0; i < MaxDepth; i++)
        {
            _buffers.Push(q.Ram.Alloc(MaxSectors * DiskModel.Sector, 512));
        }

        int depth = 1;
        int phaseEnd = 0;
        while (_completed < _requests)
        {
            if (_issued >= phaseEnd)
            {
                // Bursts of 25 requests at one depth, from one at a time to the whole buffer pool.
                depth = new[] { 1, 2, 4, 8, 16, MaxDepth }[_rng.Next(6)];
                phaseEnd = _issued + 25;
            }

            while (_pending.Count < depth && _issued < _requests)
            {
                if (!Issue())
                {
                    break; // everything free clashes with what is in flight: wait for some of it
                }
            }

            foreach (UsedEntry used in q.Step())
            {
                Completed(used);
            }

            _progress = _name + ": " + _completed + " of " + _requests + " completed, " + _pending.Count + " in flight (heads "
                + string.Join(",", _pending.Keys) + ")";
        }

        Assert.Equal(_requests, _issued);
        Assert.Empty(_pending);
        Assert.Equal(0, q.Queue.InFlight);
        Assert.Equal(0, q.Driver.Outstanding);
        Assert.Equal((ulong)_issued, q.Queue.Stats.Requests); // a second completion of a reused head shows here
    }

    private bool TouchesBad((ulong Sector, uint Sectors)[] ranges) =>
        ranges.Any(r => _bad(r.Sector * DiskModel.Sector, (ulong)r.Sectors * DiskModel.Sector));

    /// <summary>Adds one request on sectors nothing in flight touches; false when none was found this time.</summary>
    private bool Issue()
    {
        int roll = _rng.Next(100);
        Kind kind = roll < 40 ? Kind.Read : roll < 75 ? Kind.Write : roll < 80 ? Kind.Flush
            : roll < 90 ? ((_features & BlkBackendFeatures.Discard) != 0 ? Kind.Trim : Kind.Write) : ((_features & BlkBackendFeatures.WriteZeroes) != 0 ? Kind.WriteZeroes : Kind.Read);
        BlkRequestBuilder builder = _q.Builder;
        if (kind == Kind.Flush)
        {
            Add(new Pending(kind, [], builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0), VirtioBlk.VIRTIO_BLK_S_OK, null, 0));
            return true;
        }

        bool zeroing = kind is Kind.Trim or Kind.WriteZeroes;
        var ranges = new List<(ulong Sector, uint Sectors)>();
        for (int i = zeroing ? _rng.Next(1, 4) : 1; i > 0; i--)
        {
            (ulong Sector, uint Sectors)? r = FreeRange(ranges, zeroing ? 64 : MaxSectors);
            if (r != null)
            {
                ranges.Add(r.Value);
            }
        }

        if (ranges.Count == 0)
        {
            return false;
        }

        byte expected = TouchesBad([.. ranges]) ? VirtioBlk.VIRTIO_BLK_S_IOERR : VirtioBlk.VIRTIO_BLK_S_OK;
        if (zeroing)
        {
            uint type = kind == Kind.Trim ? VirtioBlk.VIRTIO_BLK_T_DISCARD : VirtioBlk.VIRTIO_BLK_T_WRITE_ZEROES;
            uint unmap = kind == Kind.WriteZeroes ? (uint)_rng.Next(2) : 0;
            BlkRequestLayout z = builder.AddZeroing(type, ranges.Select(r => (r.Sector, r.Sectors, unmap)).ToList(), pieces: _rng.Next(1, 3));
            Add(new Pending(kind, [.. ranges], z, expected, null, 0));
            return true;
        }

        (ulong sector, uint sectors) = ranges[0];
        ulong buffer = _buffers.Pop();
        uint bytes = sectors * DiskModel.Sector;
        int pieces = _rng.Next(1, 5);
        BlkRequestLayout l = builder.Add(kind == Kind.Read ? VirtioBlk.VIRTIO_BLK_T_IN : VirtioBlk.VIRTIO_BLK_T_OUT, sector, bytes, pieces, buffer);
        byte[]? data = null;
        if (kind == Kind.Write)
        {
            data = new byte[bytes];
            _rng.NextBytes(data);
            if (_rng.Next(4) == 0)
            {
                Array.Clear(data, 0, data.Length / 2); // zeroes: holes in later reads
            }

            data.CopyTo(builder.Data(l));
        }
        else
        {
            builder.Data(l).Fill(Poison);
        }

        Add(new Pending(kind, [.. ranges], l, expected, data, buffer));
        return true;
    }

    private void Add(Pending p)
    {
        _pending.Add(p.Layout.Head, p);
        _issued++;
    }

    /// <summary>A random range of at most <paramref name="most"/> sectors of this queue's that touches nothing in flight nor <paramref name="taken"/>.</summary>
    private (ulong, uint)? FreeRange(List<(ulong Sector, uint Sectors)> taken, int most)
    {
        for (int attempt = 0; attempt < 16; attempt++)
        {
            // Mostly small, some large: large ones take several NBD commands where the payload is small.
            uint sectors = (uint)(_rng.Next(4) == 0 ? _rng.Next(17, most + 1) : _rng.Next(1, 17));
            ulong sector = (ulong)(_first + _rng.Next(_sectors - (int)sectors + 1));
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
        Assert.True(_pending.Remove(used.Id, out Pending? p), _name + ": head " + used.Id + " completed and was not pending");
        _completed++;
        byte status = _q.Builder.Status(p.Layout);
        string what = _name + ": " + p.Kind + " of " + string.Join(" + ", p.Ranges.Select(r => r.Sectors + " sectors at " + r.Sector));
        Assert.True(status == p.Expected, what + ": status " + status + ", expected " + p.Expected);
        bool ok = status == VirtioBlk.VIRTIO_BLK_S_OK;
        if (ok && p.Kind == Kind.Read)
        {
            Assert.Equal(p.Layout.DataLength + 1, used.Length);
            long wrong = _model.FirstMismatch(p.Ranges[0].Sector, _q.Builder.Data(p.Layout));
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
