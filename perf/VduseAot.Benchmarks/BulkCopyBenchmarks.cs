using System;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using VduseAot.Block;

namespace VduseAot.Benchmarks;

/// <summary>
/// A request's data copy and zero fill: the runtime's Buffer.MemoryCopy and NativeMemory.Clear (which
/// hand sizes above a few KiB to glibc's memmove/memset) against BulkCopy's 16-byte vector loops. Per
/// copy of Size bytes, page-aligned buffers, warm caches.
/// </summary>
[MemoryDiagnoser]
public unsafe class BulkCopyBenchmarks
{
    private byte* _source;
    private byte* _destination;

    /// <summary>A 4 KiB page and a 128 KiB request.</summary>
    [Params(4096, 131072)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _source = (byte*)NativeMemory.AlignedAlloc((nuint)Size, 4096);
        _destination = (byte*)NativeMemory.AlignedAlloc((nuint)Size, 4096);
        new Span<byte>(_source, Size).Fill(0x5A);
        new Span<byte>(_destination, Size).Clear();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_source);
        NativeMemory.AlignedFree(_destination);
    }

    [Benchmark(Baseline = true)]
    public void MemoryCopy() => Buffer.MemoryCopy(_source, _destination, Size, Size);

    [Benchmark]
    public void BulkCopyLoop() => BulkCopy.Copy(_source, _destination, (nuint)Size);

    [Benchmark]
    public void NativeClear() => NativeMemory.Clear(_destination, (nuint)Size);

    [Benchmark]
    public void BulkZeroLoop() => BulkCopy.Zero(_destination, (nuint)Size);
}
