using BenchmarkDotNet.Attributes;
using VduseAot.Testing;

namespace VduseAot.Benchmarks;

/// <summary>
/// IOVA translation through the test double <see cref="FakeGuestMemory"/> (bounds check, hole scan, optional
/// region clamp), NOT the production IotlbCache: that one's miss path is a VDUSE_IOTLB_GET_FD ioctl + mmap
/// and it cannot be filled without a VDUSE device, so it is not measured here.
/// Hit4k: one Translate covers the whole 4 KiB buffer. Split4kAt512: RegionSize = 512 forces the buffer into
/// 8 regions, so the caller loops as DescriptorChain.Append does (8 Translate calls) -- this measures the
/// region-split path a buffer crossing IOTLB mappings takes, not the cost of a real IOTLB miss.
/// </summary>
[MemoryDiagnoser]
public unsafe class TranslationBenchmarks
{
    private const uint Length = 4096;
    private GuestRam _flat = null!;
    private GuestRam _split = null!;
    private ulong _flatIova;
    private ulong _splitIova;

    [GlobalSetup]
    public void Setup()
    {
        _flat = new GuestRam(1 << 20);
        _split = new GuestRam(1 << 20, regionSize: 512);
        _flatIova = _flat.Alloc(Length, 4096);
        _splitIova = _split.Alloc(Length, 4096);
    }

    [Benchmark]
    public nuint Hit4k()
    {
        FakeGuestMemory memory = _flat.Memory;
        byte* host = memory.Translate(_flatIova, Length, true, out uint contiguous);
        return (nuint)host + contiguous;
    }

    [Benchmark]
    public nuint Split4kAt512()
    {
        FakeGuestMemory memory = _split.Memory;
        ulong iova = _splitIova;
        uint left = Length;
        nuint sum = 0;
        while (left > 0)
        {
            byte* host = memory.Translate(iova, left, true, out uint contiguous);
            if (host == null || contiguous == 0)
            {
                return 0;
            }

            sum += (nuint)host;
            iova += contiguous;
            left -= contiguous;
        }

        return sum;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _flat.Dispose();
        _split.Dispose();
    }
}
