using System.Collections.Generic;

namespace VduseAot;

/// <summary>What the old daemon's side of a live upgrade needs of the daemon (see <see cref="HandoverSender"/>).</summary>
public interface IHandoverSource
{
    /// <summary>
    /// Stops serving (the requests in flight complete first) and returns the descriptors to pass
    /// with their <see cref="AdminProtocol"/> names: the device, the metrics listener if any. Throws
    /// <see cref="Vduse.VduseException"/> when the daemon cannot hand over, still serving.
    /// <paramref name="pausedAt"/>: when its queues were told to stop (a Stopwatch timestamp).
    /// </summary>
    IReadOnlyList<(string Name, int Fd)> Pause(out long pausedAt);

    /// <summary>The successor <paramref name="pid"/> serves: exit, leaving it everything.</summary>
    void Complete(int pid);

    /// <summary>The successor is gone without serving: serve again.</summary>
    void Resume();
}
