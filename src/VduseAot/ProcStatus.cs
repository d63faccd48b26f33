using System;
using System.Globalization;
using VduseAot.Interop;

namespace VduseAot;

/// <summary>
/// The RSS breakdown of /proc/self/status (RssAnon, RssFile, RssShmem), which Environment.WorkingSet
/// (the total) does not give: a RAM disk's image pages are shared memory and would otherwise hide
/// what the daemon itself uses.
/// </summary>
public static class ProcStatus
{
    /// <summary>The text of /proc/self/status, or "" where it cannot be read (the figures are then 0).</summary>
    public static string ReadSelf() => Sys.ReadText("/proc/self/status", 4096) ?? ""; // the Rss lines come early

    /// <summary>RssAnon, RssFile and RssShmem of a /proc/PID/status text, in bytes (0 for a missing line).</summary>
    public static (long Anon, long File, long Shmem) Rss(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        long anon = 0, file = 0, shmem = 0;
        foreach (string line in status.Split('\n'))
        {
            // One pass over the text: the kernel writes each key once.
            if (TryField(line, "RssAnon:", out long v))
            {
                anon = v;
            }
            else if (TryField(line, "RssFile:", out v))
            {
                file = v;
            }
            else if (TryField(line, "RssShmem:", out v))
            {
                shmem = v;
            }
        }

        return (anon, file, shmem);
    }

    /// <summary>
    /// Whether <paramref name="line"/> is the <paramref name="key"/> line; <paramref name="bytes"/> is its
    /// "1234 kB" value in bytes, 0 when malformed.
    /// </summary>
    private static bool TryField(string line, string key, out long bytes)
    {
        bytes = 0;
        if (!line.StartsWith(key, StringComparison.Ordinal))
        {
            return false;
        }

        string[] parts = line[key.Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
        {
            bytes = kib * 1024;
        }

        return true;
    }
}
