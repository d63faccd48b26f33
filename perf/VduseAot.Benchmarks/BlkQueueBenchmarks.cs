using System;
using BenchmarkDotNet.Attributes;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Testing;
using VduseAot.Virtio;

namespace VduseAot.Benchmarks;

/// <summary>
/// A batch of 4 KiB reads through the whole device-side path (pop, parse, RAM copy, status, used ring),
/// re-publishing the same chains each iteration so the driver side costs almost nothing. Backend "ram" is
/// RamBackend (a real 4 KiB memcpy per request), "null" is NullBackend (zero-fill: the request-path ceiling).
/// Reported per request.
/// </summary>
[MemoryDiagnoser]
public unsafe class BlkQueueBenchmarks
{
    private const int Batch = 64;
    private GuestRam _ram = null!;
    private SplitDriver _driver = null!;
    private BlkQueue<FakeGuestMemory> _queue = null!;
    private ushort[] _heads = null!;
    private IBlockBackend _backend = null!;

    [Params("ram", "null")]
    public string Backend { get; set; } = "ram";

    [GlobalSetup]
    public void Setup()
    {
        _ram = new GuestRam(16 << 20);
        _driver = new SplitDriver(_ram, 256);
        var ring = _driver.CreateQueue();

        _backend = Backend == "null" ? new NullBackend(64 << 20, false) : new RamBackend(64 << 20, false);
        var executor = new BlkExecutor(_backend, "bench");
        _queue = new BlkQueue<FakeGuestMemory>(ring, executor);
        var builder = new BlkRequestBuilder(_ram, _driver);
        _heads = new ushort[Batch];
        for (int i = 0; i < Batch; i++)
        {
            _heads[i] = builder.Add(VirtioBlk.VIRTIO_BLK_T_IN, (ulong)i * 8, 4096).Head;
        }

        _driver.Publish();
        _queue.Process(Batch);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Read4kBatch()
    {
        foreach (ushort head in _heads)
        {
            _driver.PushHead(head);
        }

        _driver.Publish();
        return _queue.Process(Batch);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _queue.Dispose();
        _backend.Dispose();
        _ram.Dispose();
    }
}
