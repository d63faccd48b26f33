using System;
using System.Collections.Generic;

namespace VduseAot;

/// <summary>What the old daemon's side of a live upgrade needs of the daemon (see <see cref="HandoverSender"/>).</summary>
public interface IHandoverSource
{
    /// <summary>
    /// Stops serving (the requests in flight complete first) and, once every queue has stopped, runs
    /// <paramref name="pass"/> with the descriptors to pass and their <see cref="AdminProtocol"/>
    /// names (the device, the metrics listener if any) and when the queues were told to stop (a
    /// Stopwatch timestamp): on the thread of the last queue to stop, so that no thread waits for it
    /// to wake up in the guest's pause; it has run when this returns. Throws
    /// <see cref="Vduse.VduseException"/> when the daemon cannot hand over, still serving (without
    /// running <paramref name="pass"/>).
    /// </summary>
    void Pause(Action<IReadOnlyList<(string Name, int Fd)>, long> pass);

    /// <summary>The successor <paramref name="pid"/> serves: exit, leaving it everything.</summary>
    void Complete(int pid);

    /// <summary>The successor is gone without serving: serve again.</summary>
    void Resume();
}
