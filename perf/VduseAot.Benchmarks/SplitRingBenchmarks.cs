using BenchmarkDotNet.Attributes;
using VduseAot.Virtio;

namespace VduseAot.Benchmarks;

/// <summary>
/// Split-ring device side per chain: TryPop (avail read, walk and translate 3 descriptors) + AddUsed, with one
/// PublishUsed per batch (Batch=1: a publish per chain). The driver's re-push of the heads (one avail-ring
/// store each plus one avail->idx store per batch) is inside the measurement; it is a few stores.
/// Journal=true attaches the reconnect journal (the daemon always runs with one), so the pair of rows
/// is its cost per chain.
/// </summary>
[MemoryDiagnoser]
public unsafe class SplitRingBenchmarks
{
    private RingFixture _fx = null!;
    private DescriptorChain _chain = null!;
    private byte* _journal;

    [Params(1, 64)]
    public int Batch { get; set; }

    [Params(false, true)]
    public bool Journal { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _fx = new RingFixture(64);
        _chain = new DescriptorChain(16);
        if (Journal)
        {
            _journal = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)RingJournal.RegionBytes(RingFixture.QueueSize));
            _fx.Ring.Journal = new RingJournal(_journal, RingFixture.QueueSize);
            _fx.Ring.Start(_fx.Driver.Rings, RingPosition.Split(_fx.Ring.LastAvailIndex));
        }
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public int PopPush()
    {
        SplitQueue<Testing.FakeGuestMemory> ring = _fx.Ring;
        int done = 0;
        for (int round = 0; round < 64 / Batch; round++)
        {
            _fx.Republish(Batch);
            while (ring.TryPop(_chain))
            {
                ring.AddUsed(_chain.Head, 4097);
                done++;
            }

            ring.PublishUsed();
        }

        return done;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _fx.Dispose();
        System.Runtime.InteropServices.NativeMemory.Free(_journal);
    }
}
