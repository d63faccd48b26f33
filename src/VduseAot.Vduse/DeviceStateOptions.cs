using System;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>Where a device keeps what outlives its process, and how strictly a takeover checks it.</summary>
public sealed record DeviceStateOptions
{
    /// <summary>The state directory (--state-dir): NAME.state, NAME.ram, NAME.sock.</summary>
    public StateDirectory Directory { get; init; } = new(StateDirectory.DefaultPath);

    /// <summary>--force: take over a device whose state file is missing or unreadable.</summary>
    public bool Force { get; init; }

    /// <summary>What serves the bytes, recorded so a successor must serve the same ("ram", "null", "file PATH").</summary>
    public string BackendIdentity { get; init; } = "";

    /// <summary>
    /// A live upgrade: instead of opening the device a running daemon serves, ask it to hand its
    /// descriptor over (called once the configuration is known to match); throws
    /// <see cref="VduseException"/> when it refuses, leaving it serving.
    /// </summary>
    public Func<OwnedFd>? Handover { get; init; }

    /// <summary>A takeover's queue threads, started early (the device takes them if they fit it); null: it starts its own.</summary>
    public TakeOverThreads? Threads { get; init; }
}
