using VduseAot.Interop;
using VduseAot.Virtio;

namespace VduseAot.Block;

/// <summary>
/// One virtio-blk request queue: pops chains from a split ring, parses and executes them, writes the
/// status byte and returns them on the used ring. Owned by one thread; allocates only in its constructor.
/// </summary>
public sealed unsafe class BlkQueue<TMem>
    where TMem : struct, IGuestMemory
{
    private readonly DescriptorChain _chain;
    private readonly BlkRequest _request;
    private readonly BlkExecutor _executor;

    /// <summary>Creates a queue over <paramref name="ring"/> that runs requests through <paramref name="executor"/>.</summary>
    public BlkQueue(SplitQueue<TMem> ring, BlkExecutor executor)
    {
        Ring = ring;
        _executor = executor;
        int maxSegments = 2 * ring.Size + 8;
        _chain = new DescriptorChain(maxSegments);
        _request = new BlkRequest(maxSegments);
    }

    /// <summary>The virtqueue.</summary>
    public SplitQueue<TMem> Ring { get; }

    /// <summary>Counters.</summary>
    public BlkQueueStats Stats { get; } = new();

    /// <summary>
    /// Serves up to <paramref name="budget"/> chains, publishes them with one used-index store and
    /// returns how many were completed. The caller interrupts the driver when this returns non-zero
    /// and <see cref="SplitQueue{TMem}.DriverWantsInterrupt"/> agrees.
    /// </summary>
    public int Process(int budget)
    {
        int done = 0;
        while (done < budget && Ring.TryPop(_chain))
        {
            Complete();
            done++;
        }

        Ring.PublishUsed();
        return done;
    }

    private void Complete()
    {
        byte status;
        uint written = 0;
        if (_request.Parse(_chain))
        {
            status = _executor.Execute(_request, Stats, out written);
        }
        else
        {
            Stats.Malformed++;
            status = VirtioBlk.VIRTIO_BLK_S_IOERR;
        }

        Stats.Requests++;
        uint usedLength = 0;
        if (_request.Status != null)
        {
            *_request.Status = status;
            usedLength = written + 1;
            if (status == VirtioBlk.VIRTIO_BLK_S_IOERR)
            {
                Stats.IoErrors++;
            }
            else if (status == VirtioBlk.VIRTIO_BLK_S_UNSUPP)
            {
                Stats.Unsupported++;
            }
        }

        Ring.AddUsed(_chain.Head, usedLength);
    }
}
