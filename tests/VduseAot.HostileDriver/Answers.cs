using System.Collections.Generic;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// The answers the daemon documents for a bad request (README "Security model"), checked on one
/// request slot: IOERR in the status byte when the chain reached a device-writable byte, or a used
/// element of length 0 and nothing written when it reached none.
/// </summary>
public static class Answers
{
    /// <summary>How long a hostile request may take to come back.</summary>
    public const int TimeoutMs = 10_000;

    /// <summary>How long a stopped queue must stay silent.</summary>
    public const int SilenceMs = 1_500;

    /// <summary>Publishes <paramref name="heads"/> on queue <paramref name="queue"/> and waits for exactly those back.</summary>
    public static Dictionary<uint, uint> Send(BlkDriver driver, int queue, params ushort[] heads)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        driver.Submit(queue, heads);
        return driver.Expect(queue, TimeoutMs, heads);
    }

    /// <summary>Slot <paramref name="slot"/>'s status must be IOERR and its used length 1 (no data transferred).</summary>
    public static string IoErr(BlkDriver driver, int queue, int slot, Dictionary<uint, uint> used, ushort head, string what)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        System.ArgumentNullException.ThrowIfNull(used);
        byte status = driver.Slots[queue].Status(slot);
        if (status != VirtioBlk.VIRTIO_BLK_S_IOERR || used[head] != 1)
        {
            throw new CaseFailedException(what + ": status " + status + " used length " + used[head] + ", want IOERR (1) and length 1");
        }

        return what + " IOERR";
    }

    /// <summary>Slot <paramref name="slot"/>'s status byte must be untouched and its used length 0.</summary>
    public static string NoStatus(BlkDriver driver, int queue, int slot, Dictionary<uint, uint> used, ushort head, string what)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        System.ArgumentNullException.ThrowIfNull(used);
        byte status = driver.Slots[queue].Status(slot);
        if (status != RequestSlots.Unanswered || used[head] != 0)
        {
            throw new CaseFailedException(what + ": status byte " + status + " used length " + used[head] + ", want it untouched and length 0");
        }

        return what + " returned, length 0, nothing written";
    }

    /// <summary>Queue <paramref name="queue"/> must return nothing for <see cref="SilenceMs"/>.</summary>
    public static void Silent(BlkDriver driver, int queue, string what)
    {
        System.ArgumentNullException.ThrowIfNull(driver);
        List<UsedElement> got = driver.Queues[queue].WaitUsed(1, SilenceMs);
        if (got.Count != 0)
        {
            throw new CaseFailedException(what + ": queue " + queue + " returned head " + got[0].Id + " (length " + got[0].Length + ")");
        }
    }
}
