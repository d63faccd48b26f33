using System;
using BenchmarkDotNet.Attributes;
using VduseAot.Interop;
using VduseAot.Uring;

namespace VduseAot.Benchmarks;

/// <summary>
/// A real io_uring on this host, with the data plane's options (SINGLE_ISSUER, COOP_TASKRUN; no SQPOLL):
/// Batch NOPs prepared with NextSqe + SqePrep.Nop, one Submit (one io_uring_enter; NOPs complete inline),
/// then Reap of the whole batch (SubmitAndWait only if some completion is not posted yet). Reported per NOP.
/// </summary>
[MemoryDiagnoser]
public unsafe class IoUringNopBenchmarks
{
    private IoUring _ring = null!;
    private io_uring_cqe[] _cqes = null!;

    [Params(1, 8, 32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ring = new IoUring(64, new IoUringOptions { SingleIssuer = true, CoopTaskrun = true });
        _cqes = new io_uring_cqe[64];
        if (Run() != Batch)
        {
            throw new InvalidOperationException("NOP batch did not complete");
        }
    }

    [Benchmark(OperationsPerInvoke = 32)]
    public int NopSubmitReap()
    {
        // OperationsPerInvoke must be a constant: unroll to 32 NOPs per invocation whatever the batch.
        int total = 0;
        for (int i = 0; i < 32 / Batch; i++)
        {
            total += Run();
        }

        return total;
    }

    private int Run()
    {
        int batch = Batch;
        for (int i = 0; i < batch; i++)
        {
            SqePrep.Nop(_ring.NextSqe(), (ulong)i);
        }

        _ring.Submit();
        Span<io_uring_cqe> cqes = _cqes.AsSpan(0, batch);
        int reaped = _ring.Reap(cqes);
        while (reaped < batch)
        {
            _ring.SubmitAndWait((uint)(batch - reaped));
            reaped += _ring.Reap(cqes.Slice(reaped));
        }

        return reaped;
    }

    [GlobalCleanup]
    public void Cleanup() => _ring.Dispose();
}
