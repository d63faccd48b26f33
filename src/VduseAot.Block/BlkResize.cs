namespace VduseAot.Block;

/// <summary>
/// The rules of a capacity change, apart from telling the driver (the Vduse layer writes the config
/// space): a positive multiple of the logical block size, no shrink without force (the driver may
/// have data past the new end), then the backend's own <see cref="IBlockBackend.Resize"/>.
/// </summary>
public static class BlkResize
{
    /// <summary>Why <paramref name="requested"/> bytes cannot replace <paramref name="current"/>, or null when they can.</summary>
    public static string? Check(ulong current, ulong requested, uint logicalBlockSize, bool force)
    {
        if (requested == 0 || requested % logicalBlockSize != 0)
        {
            return "size " + requested + " is not a positive multiple of the logical block size " + logicalBlockSize;
        }

        if (requested < current && !force)
        {
            return "shrinking from " + SizeText.Format(current) + " to " + SizeText.Format(requested)
                + " makes the data past the new end unreachable: add --force if that is what you want";
        }

        return null;
    }

    /// <summary>
    /// Checks and applies the change to <paramref name="backend"/>, which owns the capacity. Returns
    /// the previous capacity. Throws <see cref="BackendException"/> with a one-line reason.
    /// </summary>
    public static ulong Apply(IBlockBackend backend, uint logicalBlockSize, ulong requested, bool force)
    {
        System.ArgumentNullException.ThrowIfNull(backend);
        ulong current = backend.CapacityBytes;
        string? error = Check(current, requested, logicalBlockSize, force);
        if (error != null)
        {
            throw new BackendException(error);
        }

        if (requested != current)
        {
            backend.Resize(requested);
        }

        return current;
    }
}
