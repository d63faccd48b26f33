namespace VduseAot.Vduse;

/// <summary>
/// The configuration a VDUSE device was created with, which a process taking it over must serve
/// unchanged: the kernel keeps the device's features, queues and config space, and the guest keeps
/// the bytes it wrote to the backend.
/// </summary>
public sealed record DeviceIdentity
{
    /// <summary>Features offered at creation.</summary>
    public ulong Features { get; init; }

    /// <summary>Number of virtqueues.</summary>
    public ushort Queues { get; init; }

    /// <summary>Maximum ring size per queue.</summary>
    public ushort QueueSize { get; init; }

    /// <summary>Logical block size in bytes.</summary>
    public uint LogicalBlockSize { get; init; }

    /// <summary>Capacity in bytes.</summary>
    public ulong CapacityBytes { get; init; }

    /// <summary>Offered read-only.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>What serves the bytes: "ram", "null" or "file " and the absolute path.</summary>
    public string Backend { get; init; } = "";

    /// <summary>
    /// The first setting of <paramref name="requested"/> that differs from this recorded one, as a
    /// sentence naming the option, or null when they match.
    /// </summary>
    public string? Difference(DeviceIdentity requested)
    {
        if (requested.Queues != Queues)
        {
            return Say("--queues", requested.Queues, Queues);
        }

        if (requested.QueueSize != QueueSize)
        {
            return Say("--queue-size", requested.QueueSize, QueueSize);
        }

        if (requested.CapacityBytes != CapacityBytes)
        {
            return Say("the size", requested.CapacityBytes + " bytes", CapacityBytes + " bytes");
        }

        if (requested.LogicalBlockSize != LogicalBlockSize)
        {
            return Say("--logical-block-size", requested.LogicalBlockSize, LogicalBlockSize);
        }

        if (requested.ReadOnly != ReadOnly)
        {
            return Say("--read-only", requested.ReadOnly ? "on" : "off", ReadOnly ? "on" : "off");
        }

        if (requested.Backend != Backend)
        {
            return Say("the backend", requested.Backend, Backend);
        }

        if (requested.Features != Features)
        {
            return "the offered features 0x" + requested.Features.ToString("x", System.Globalization.CultureInfo.InvariantCulture)
                + " differ from the running device's 0x" + Features.ToString("x", System.Globalization.CultureInfo.InvariantCulture)
                + " (--packed, --read-only or the backend's discard support changed)";
        }

        return null;
    }

    private static string Say(string setting, object requested, object running) =>
        setting + " " + requested + " differs from the running device's " + running;
}
