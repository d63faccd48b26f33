using System;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using VduseAot.Testing;
using VduseAot.Virtio;

namespace VduseAot.Benchmarks;

/// <summary>
/// Packed-ring device side per chain: TryPop of a 3-descriptor chain (16-byte header, 4 KiB data,
/// status) + Complete (the used descriptor is written and its flags released at once, no separate
/// publish). The driver's side is inside the measurement: adding the chain (three descriptor stores,
/// one flags release per batch head) and reading the used descriptor back. Journal=true attaches
/// the reconnect journal (descriptor copies, record and two position stores per chain).
/// </summary>
[MemoryDiagnoser]
public unsafe class PackedRingBenchmarks
{
    private const ushort QueueSize = 256;
    private GuestRam _ram = null!;
    private PackedDriver _driver = null!;
    private PackedQueue<FakeGuestMemory> _ring = null!;
    private DescriptorChain _chain = null!;
    private UsedEntry[] _used = null!;
    private ulong _header;
    private ulong _data;
    private ulong _status;
    private byte* _journal;

    [Params(1, 64)]
    public int Batch { get; set; }

    [Params(false, true)]
    public bool Journal { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ram = new GuestRam(16 << 20);
        _driver = new PackedDriver(_ram, QueueSize);
        if (Journal)
        {
            _journal = (byte*)NativeMemory.AllocZeroed((nuint)RingJournal.RegionBytes(QueueSize));
        }

        _ring = _driver.CreateQueue(journal: Journal ? new RingJournal(_journal, QueueSize) : null);

        _chain = new DescriptorChain(16);
        _used = new UsedEntry[QueueSize];
        _header = _ram.Alloc(16);
        _data = _ram.Alloc(4096, 4096);
        _status = _ram.Alloc(1);
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public int PopComplete()
    {
        int done = 0;
        for (int round = 0; round < 64 / Batch; round++)
        {
            for (int i = 0; i < Batch; i++)
            {
                _driver.AddChain(new Buf(_header, 16, false), new Buf(_data, 4096, true), new Buf(_status, 1, true));
            }

            _driver.Publish();
            while (_ring.TryPop(_chain))
            {
                _ring.Complete(_chain, 4097);
                done++;
            }

            _driver.TakeUsed(_used);
        }

        return done;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ram.Dispose();
        NativeMemory.Free(_journal);
    }
}
