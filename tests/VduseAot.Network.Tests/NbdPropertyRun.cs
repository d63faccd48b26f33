using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Network.Nbd;
using Xunit;

namespace VduseAot.Network.Tests;

/// <summary>What one seed of <see cref="NbdPropertyRun"/> asks for.</summary>
internal sealed record NbdPropertyOptions(int Seed, bool Structured, bool Extended, int Requests, double CutChance, int BadSectors, int Queues = 1);

/// <summary>
/// One seed of the NBD property: a fake server that reorders replies, cuts connections
/// (<see cref="FakeCut"/>) and may have bad sectors, an <see cref="NbdBackend"/> on it, and
/// <see cref="NbdPropertyOptions.Queues"/> queues each on its own thread and its own region of the export,
/// each driven by an <see cref="PropertyQueue"/>. One queue has its own connection; several share one
/// (the server does not offer NBD_FLAG_CAN_MULTI_CONN). At the end the server's disk must be the model's.
/// </summary>
internal sealed class NbdPropertyRun
{
    private const int ExportSectors = 2048; // 1 MiB: small, so that requests often meet the same sectors
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly NbdPropertyOptions _o;
    private readonly Random _rng;
    private readonly bool[] _bad = new bool[ExportSectors];
    private readonly List<string> _logged = new();
    private PropertyQueue[] _queues = [];

    public NbdPropertyRun(NbdPropertyOptions options)
    {
        _o = options;
        _rng = new Random(options.Seed);
    }

    /// <summary>Requests that completed with IOERR (all of them expected).</summary>
    public int IoErrors { get; private set; }

    /// <summary>Connections remade.</summary>
    public long Reconnects { get; private set; }

    /// <summary>Cuts the server made, by kind.</summary>
    public int[] Cuts { get; } = new int[Enum.GetValues<FakeCut>().Length];

    /// <summary>Runs the seed to the end; the queues run on threads of their own (each makes its io_uring).</summary>
    public void Run()
    {
        for (int i = 0; i < _o.BadSectors; i++)
        {
            _bad[_rng.Next(ExportSectors)] = true;
        }

        ushort flags = _o.Queues == 1 ? (ushort)(NbdProto.NBD_FLAG_HAS_FLAGS | NbdProto.NBD_FLAG_CAN_MULTI_CONN) : NbdProto.NBD_FLAG_HAS_FLAGS;
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
        string dir = System.IO.Directory.CreateTempSubdirectory("vduse-nbd-").FullName;
        var server = new FakeNbdServer(System.IO.Path.Combine(dir, "nbd.sock"), ExportSectors * DiskModel.Sector, behaviour);

        // Half the disk random, half zero: the server answers reads of zeroes with holes.
        _rng.NextBytes(server.Disk.AsSpan(0, server.Disk.Length / 2));
        var model = new DiskModel(server.Disk);
        NbdBackend backend = NbdBackend.Open(server.Uri, false, 512, _o.Queues, 256, reconnectTimeoutSeconds: 600, Log, out _);
        Assert.Equal(_o.Queues > 1, backend.SharedConnection);
        int region = ExportSectors / _o.Queues;
        _queues = Enumerable.Range(0, _o.Queues).Select(q => new PropertyQueue("seed " + _o.Seed + " queue " + q, (_o.Seed * 31) + q,
            _o.Requests / _o.Queues, model, TouchesBad, backend.Features, q * region, region)).ToArray();

        // A failure or a hang leaves everything as it is (a queue's requests may still be in flight):
        // only a run that ended well takes the rigs, the backend and the server down.
        OwnThread.RunAll(Limit, Progress, _queues.Select(p => (Action)(() =>
        {
            var rig = new QueueRig(backend);
            p.Run(rig);
            rig.Dispose();
        })).ToArray());
        Reconnects = backend.Reconnects;
        backend.Dispose();
        for (int i = 0; i < Cuts.Length; i++)
        {
            Cuts[i] = server.Cuts((FakeCut)i);
        }

        IoErrors = _queues.Sum(q => q.IoErrors);
        long wrong = model.FirstMismatch(0, server.Disk);
        server.Dispose();
        System.IO.Directory.Delete(dir, recursive: true);
        Assert.True(wrong < 0, "seed " + _o.Seed + ": the server's sector " + wrong + " is not what the writes left");
    }

    private string Progress()
    {
        string[] lines;
        lock (_logged)
        {
            lines = _logged.TakeLast(3).ToArray();
        }

        return string.Join("; ", _queues.Select(q => q.Progress)) + "; last logged: " + string.Join(" | ", lines);
    }

    private void Log(string message)
    {
        lock (_logged)
        {
            _logged.Add(message);
        }
    }

    private bool TouchesBad(ulong offset, ulong length) =>
        Array.IndexOf(_bad, true, (int)(offset / DiskModel.Sector), (int)((length + DiskModel.Sector - 1) / DiskModel.Sector)) >= 0;
}
