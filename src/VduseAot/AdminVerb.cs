namespace VduseAot;

/// <summary>The requests the admin socket answers: the "cmd" of a request line (<see cref="AdminProtocol"/> maps them to their wire names).</summary>
public enum AdminVerb
{
    /// <summary>"info": name, backend, /dev/vdX, capacity, pid, uptime (what `list` shows).</summary>
    Info,

    /// <summary>"stats": per-queue and total counters, latency and the process's cost.</summary>
    Stats,

    /// <summary>"metrics": the Prometheus text exposition.</summary>
    Metrics,

    /// <summary>"resize": a new capacity ("size", "force").</summary>
    Resize,

    /// <summary>"stop": the teardown ("keep": leave the device for a successor); the connection stays open until it is over.</summary>
    Stop,

    /// <summary>
    /// "handover": a live upgrade's successor ("pid") asks for the device; the reply carries the
    /// descriptors named in "fds" (SCM_RIGHTS) and the successor answers {"resumed":true} once it
    /// serves (see <see cref="HandoverSender"/>).
    /// </summary>
    Handover,
}
