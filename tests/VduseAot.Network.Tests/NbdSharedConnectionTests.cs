using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Network.Nbd;
using VduseAot.Testing;
using VduseAot.Uring;
using VduseAot.Virtio;
using Xunit;
using static VduseAot.Testing.BlkCodes;
using io_uring_cqe = VduseAot.Interop.io_uring_cqe;

namespace VduseAot.Network.Tests;

/// <summary>
/// Several queues, each on its own thread, through the one connection a server without
/// NBD_FLAG_CAN_MULTI_CONN gets: requests cross the lanes and come back to the right queue.
/// </summary>
public sealed class NbdSharedConnectionTests : IDisposable
{
    private const ushort QueueSize = 64;
    private static readonly ushort Flags = NbdProto.NBD_FLAG_HAS_FLAGS | NbdProto.NBD_FLAG_SEND_FLUSH | NbdProto.NBD_FLAG_SEND_TRIM;
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("vduse-nbd-").FullName;
    private readonly GuestRam _ram = new(32UL << 20);
    private readonly List<string> _logged = new();
    private FakeNbdServer? _server;
    private NbdBackend? _backend;

    private NbdBackend Open(int queues, FakeNbdBehaviour behaviour)
    {
        _server = new FakeNbdServer(System.IO.Path.Combine(_dir, "nbd.sock"), 8 << 20, behaviour);
        _backend = NbdBackend.Open(_server.Uri, false, 512, queues, QueueSize, 30, Log, out _);
        Assert.True(_backend.SharedConnection);
        return _backend;
    }

    private void Log(string message)
    {
        lock (_logged)
        {
            _logged.Add(message);
        }
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(2, 40)] // the connection drops every 40 requests: every queue's commands go again
    public void Queues_write_and_read_each_others_data_through_one_connection(int queues, int dropAfter)
    {
        NbdBackend backend = Open(queues, new FakeNbdBehaviour { Flags = Flags, DropAfter = dropAfter, DroppingConnections = 3 });
        var lanes = Enumerable.Range(0, queues).Select(_ => new Lane(_ram, backend)).ToArray();
        var expected = new byte[backend.CapacityBytes];
        var rng = new Random(queues * 100 + dropAfter);

        // Each queue writes its own region, all at once (a ring of 64 descriptors takes 12 at a time).
        for (int round = 0; round < 4; round++)
        {
            var writes = new List<(Lane Lane, BlkRequestLayout Request)>();
            for (int q = 0; q < queues; q++)
            {
                for (int i = 0; i < 12; i++)
                {
                    ulong sector = (ulong)((q * 4096) + (((round * 12) + i) * 16));
                    byte[] data = new byte[512 * rng.Next(1, 17)];
                    rng.NextBytes(data);
                    data.CopyTo(expected, (int)(sector * 512));
                    writes.Add((lanes[q], lanes[q].Builder.AddReadable(OUT, sector, data, pieces: rng.Next(1, 4))));
                }
            }

            RunAll(lanes);
            Assert.All(writes, w => Assert.Equal(OK, w.Lane.Builder.Status(w.Request)));
        }

        // A flush from the last queue covers every queue's writes: they went over the same connection.
        int flushesBefore = _server!.Flushes;
        BlkRequestLayout flush = lanes[^1].Builder.Add(VirtioBlk.VIRTIO_BLK_T_FLUSH, 0, 0);
        RunAll(lanes);
        Assert.Equal(OK, lanes[^1].Builder.Status(flush));
        Assert.Equal(flushesBefore + 1, _server.Flushes);

        // Each queue reads the next queue's region.
        for (int round = 0; round < 4; round++)
        {
            var reads = new List<(Lane Lane, BlkRequestLayout Request, ulong Sector)>();
            for (int q = 0; q < queues; q++)
            {
                for (int i = 0; i < 12; i++)
                {
                    ulong sector = (ulong)((((q + 1) % queues) * 4096) + (((round * 12) + i) * 16));
                    reads.Add((lanes[q], lanes[q].Builder.Add(IN, sector, 512u * (uint)rng.Next(1, 17), pieces: rng.Next(1, 4)), sector));
                }
            }

            RunAll(lanes);
            foreach ((Lane lane, BlkRequestLayout r, ulong sector) in reads)
            {
                Assert.Equal(OK, lane.Builder.Status(r));
                Assert.True(expected.AsSpan((int)(sector * 512), (int)r.DataLength).SequenceEqual(lane.Builder.Data(r)));
            }
        }

        int lost = _logged.Count(m => m.StartsWith("shared connection: connection to", StringComparison.Ordinal));
        Assert.Equal(dropAfter > 0, lost > 0);
        Assert.Equal(2 + lost, _server.Connections); // the probe, then one shared connection and its remakes
        ConnectionStatus status = Assert.Single(backend.Connections());
        Assert.Equal("shared connection", status.Name);
        Assert.Equal(lost, status.Reconnects);
        Assert.Equal(0, status.InFlight);
        foreach (Lane lane in lanes)
        {
            lane.Dispose();
        }
    }

    [Fact]
    public void A_queue_opened_again_after_a_reset_takes_a_free_lane()
    {
        NbdBackend backend = Open(2, new FakeNbdBehaviour { Flags = Flags });
        var first = new Lane(_ram, backend);
        var second = new Lane(_ram, backend);
        Assert.Throws<NetworkException>(() => new Lane(_ram, backend)); // both lanes are taken
        first.Builder.AddReadable(OUT, 0, new byte[4096].Select(_ => (byte)7).ToArray());
        RunAll([first, second]);
        first.Dispose();

        var again = new Lane(_ram, backend);
        BlkRequestLayout read = again.Builder.Add(IN, 0, 4096);
        RunAll([again, second]);
        Assert.Equal(OK, again.Builder.Status(read));
        Assert.True(again.Builder.Data(read).ToArray().All(b => b == 7));
        again.Dispose();
        second.Dispose();
    }

    /// <summary>Publishes on every lane, then serves each on its own thread until idle.</summary>
    private static void RunAll(Lane[] lanes)
    {
        var threads = lanes.Select(l => new Thread(l.RunUntilIdle)).ToArray();
        foreach (Thread t in threads)
        {
            t.Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }

        foreach (Lane l in lanes)
        {
            if (l.Failure != null)
            {
                throw new InvalidOperationException("a queue thread failed", l.Failure);
            }
        }
    }

    public void Dispose()
    {
        _backend?.Dispose();
        _server?.Dispose();
        _ram.Dispose();
        System.IO.Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One queue of the device: its driver, ring, io_uring (not single-issuer: each run is a new thread) and BlkQueue.</summary>
    private sealed class Lane : IDisposable
    {
        private readonly io_uring_cqe[] _cqes = new io_uring_cqe[64];
        private readonly SplitDriver _driver;
        private readonly SplitQueue<FakeGuestMemory> _ring;
        private readonly IoUring _uring = new(128);
        private readonly BlkQueue<FakeGuestMemory> _queue;

        public Lane(GuestRam ram, NbdBackend backend)
        {
            _driver = new SplitDriver(ram, QueueSize);
            _ring = _driver.CreateQueue();
            try
            {
                _queue = new BlkQueue<FakeGuestMemory>(_ring, new BlkExecutor(backend, "nbd-test"), _uring);
            }
            catch
            {
                _uring.Dispose();
                throw;
            }

            Builder = new BlkRequestBuilder(ram, _driver);
        }

        public BlkRequestBuilder Builder { get; }

        public Exception? Failure { get; private set; }

        public void RunUntilIdle()
        {
            try
            {
                _driver.Publish();
                QueueThreadLoop.RunUntilIdle(_uring, _queue, _ring, _cqes);
                _driver.TakeUsed();
            }
            catch (Exception e)
            {
                Failure = e;
            }
        }

        public void Dispose()
        {
            _queue.Dispose();
            _uring.Dispose();
        }
    }
}
