using System;
using System.Globalization;
using System.IO;

namespace VduseAot;

/// <summary>
/// The RSS breakdown of /proc/self/status (RssAnon, RssFile, RssShmem), which Environment.WorkingSet
/// (the total) does not give: a RAM disk's image pages are shared memory and would otherwise hide
/// what the daemon itself uses.
/// </summary>
public static class ProcStatus
{
    /// <summary>The text of /proc/self/status, or "" where it cannot be read (the figures are then 0).</summary>
    public static string ReadSelf()
    {
        try
        {
            return File.ReadAllText("/proc/self/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>RssAnon, RssFile and RssShmem of a /proc/PID/status text, in bytes (0 for a missing line).</summary>
    public static (long Anon, long File, long Shmem) Rss(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return (Field(status, "RssAnon:"), Field(status, "RssFile:"), Field(status, "RssShmem:"));
    }

    /// <summary>A "Key:   1234 kB" line's value in bytes, 0 when the key is missing or malformed.</summary>
    private static long Field(string status, string key)
    {
        foreach (string line in status.Split('\n'))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = line[key.Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kib)
                ? kib * 1024
                : 0;
        }

        return 0;
    }
}
