namespace VduseAot.Vduse;

/// <summary>How a queue worker finds its ring.</summary>
public enum QueueStart
{
    /// <summary>The driver just started the ring (DRIVER_OK): positions from the kernel.</summary>
    Fresh,

    /// <summary>Taken over from a predecessor process: positions and in-flight chains from its journal.</summary>
    Resume,

    /// <summary>Taken over with --force and no usable journal: continue after the last returned chain.</summary>
    Adopt,
}
