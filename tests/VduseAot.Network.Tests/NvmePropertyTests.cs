using System;
using System.Collections.Generic;
using System.Linq;
using VduseAot.Network.NvmeTcp;
using Xunit;
using Xunit.Abstractions;

namespace VduseAot.Network.Tests;

/// <summary>
/// Property test of the NVMe/TCP backend against a controller that drops connections at random
/// commands, reorders responses and varies every layout choice the transport leaves it (data PDUs,
/// SUCCESS, R2T sizes, MAXH2CDATA, CPDA, MDTS, digests): whatever happens, each request completes
/// exactly once with OK, reads read what was written, and the namespace holds what the writes left.
/// </summary>
public sealed class NvmePropertyTests(ITestOutputHelper output)
{
    private const int Seeds = 12;
    private const int Requests = 300;
    private const int Sectors = 2048;

    [Fact]
    public void Random_requests_through_dropped_connections_complete_once_and_read_what_was_written()
    {
        long reconnects = 0;
        for (int seed = 1; seed <= Seeds; seed++)
        {
            reconnects += RunSeed(seed);
        }

        output.WriteLine(Seeds + " seeds, " + reconnects + " reconnections");
        Assert.True(reconnects >= Seeds, "the drops were tried: " + reconnects + " reconnections");
    }

    private static long RunSeed(int seed)
    {
        var rng = new Random(seed);
        var drops = new SortedSet<int>();
        while (drops.Count < 6)
        {
            drops.Add(rng.Next(1, Requests * 2));
        }

        var behaviour = new FakeNvmeBehaviour
        {
            DataPdus = rng.Next(1, 5),
            SuccessFlag = rng.Next(2) == 0,
            R2TBytes = new uint[] { 0, 4096, 16384 }[rng.Next(3)],
            MaxH2CData = new uint[] { 4096, 16384, 128 << 10 }[rng.Next(3)],
            Cpda = new byte[] { 0, 3, 7 }[rng.Next(3)],
            Mdts = new byte[] { 1, 2, 5 }[rng.Next(3)],
            InCapsuleBytes = new uint[] { 4096, 8192, 16384 }[rng.Next(3)],
            Reorder = rng.Next(3) != 0,
            DropAtIo = [.. drops],
        };
        bool digests = rng.Next(2) == 0;
        var logged = new List<string>();
        string dir = System.IO.Directory.CreateTempSubdirectory("vduse-nvme-").FullName;
        var target = new FakeNvmeTarget(System.IO.Path.Combine(dir, "nvme.sock"), Sectors * DiskModel.Sector, behaviour);
        rng.NextBytes(target.Disk.AsSpan(0, target.Disk.Length / 2));
        var model = new DiskModel(target.Disk);
        var options = new NvmeTcpOptions(target.Endpoint, "nqn.2026-12.test:disk", 1, "nqn.2026-12.test:host", Guid.NewGuid(), digests, digests);
        NvmeTcpBackend backend = NvmeTcpBackend.Open(options, false, 512, 1, 256, 600, m =>
        {
            lock (logged)
            {
                logged.Add(m);
            }
        }, _ => { });
        var queue = new PropertyQueue("seed " + seed, seed * 31, Requests, model, (_, _) => false, backend.Features, 0, Sectors);

        // A failure or a hang leaves everything as it is: only a run that ended well takes it down.
        OwnThread.Run(TimeSpan.FromSeconds(30), () =>
        {
            var rig = new QueueRig(backend);
            queue.Run(rig);
            rig.Dispose();
        }, () => queue.Progress + "; last logged: " + string.Join(" | ", logged.TakeLast(3)));
        long reconnects = backend.Reconnects;
        backend.Dispose();
        Assert.Empty(target.Errors);
        long wrong = model.FirstMismatch(0, target.Disk);
        target.Dispose();
        System.IO.Directory.Delete(dir, recursive: true);
        Assert.True(wrong < 0, "seed " + seed + ": the namespace's sector " + wrong + " is not what the writes left");
        Assert.Equal(0, queue.IoErrors);
        return reconnects;
    }
}
