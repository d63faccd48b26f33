using System;
using BenchmarkDotNet.Attributes;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Benchmarks;

/// <summary>BlkRequest.Parse on an already popped 3-descriptor chain (header gather, type switch, data slice, status pointer).</summary>
[MemoryDiagnoser]
public class BlkParseBenchmarks
{
    private RingFixture _readFx = null!;
    private RingFixture _writeFx = null!;
    private DescriptorChain _read = null!;
    private DescriptorChain _write = null!;
    private BlkRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        _readFx = new RingFixture(1, VirtioBlk.VIRTIO_BLK_T_IN);
        _writeFx = new RingFixture(1, VirtioBlk.VIRTIO_BLK_T_OUT);
        _read = Pop(_readFx);
        _write = Pop(_writeFx);
        _request = new BlkRequest((2 * RingFixture.QueueSize) + 8);
        if (!_request.Parse(_read) || !_request.Parse(_write))
        {
            throw new InvalidOperationException(_request.Problem);
        }
    }

    private static DescriptorChain Pop(RingFixture fx)
    {
        var chain = new DescriptorChain(16);
        fx.Republish(1);
        if (!fx.Ring.TryPop(chain))
        {
            throw new InvalidOperationException("nothing to pop");
        }

        return chain;
    }

    [Benchmark]
    public bool ParseRead4k() => _request.Parse(_read);

    [Benchmark]
    public bool ParseWrite4k() => _request.Parse(_write);

    [GlobalCleanup]
    public void Cleanup()
    {
        _readFx.Dispose();
        _writeFx.Dispose();
    }
}
