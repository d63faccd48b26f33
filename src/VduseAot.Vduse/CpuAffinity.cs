using System;
using System.Collections.Generic;
using System.Globalization;
using Tmds.Linux;
using VduseAot.Interop;

namespace VduseAot.Vduse;

/// <summary>CPU lists ("0-3,6") and pinning the calling thread.</summary>
public static unsafe class CpuAffinity
{
    /// <summary>Parses a CPU list like "0-3,6" into ascending, distinct CPU numbers. False on any syntax error.</summary>
    public static bool TryParse(string text, out int[] cpus)
    {
        cpus = [];
        var set = new SortedSet<int>();
        foreach (string part in text.Split(','))
        {
            string[] ends = part.Split('-');
            if (ends.Length > 2 || !TryCpu(ends[0], out int first))
            {
                return false;
            }

            int last = first;
            if (ends.Length == 2 && (!TryCpu(ends[1], out last) || last < first))
            {
                return false;
            }

            for (int c = first; c <= last; c++)
            {
                set.Add(c);
            }
        }

        cpus = [.. set];
        return cpus.Length > 0;
    }

    private static bool TryCpu(string text, out int cpu) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out cpu) && cpu < LibC.CPU_SETSIZE;

    /// <summary>The CPUs this process may run on.</summary>
    public static int[] Allowed()
    {
        cpu_set_t mask;
        if (LibC.sched_getaffinity(0, sizeof(cpu_set_t), &mask) < 0)
        {
            return [.. System.Linq.Enumerable.Range(0, Environment.ProcessorCount)];
        }

        var cpus = new List<int>();
        for (int c = 0; c < LibC.CPU_SETSIZE; c++)
        {
            if (LibC.CPU_ISSET(c, &mask))
            {
                cpus.Add(c);
            }
        }

        return [.. cpus];
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; returns the errno.</summary>
    public static Errno PinCurrentThread(int cpu)
    {
        cpu_set_t mask = default;
        LibC.CPU_SET(cpu, &mask);
        return LibC.sched_setaffinity(0, sizeof(cpu_set_t), &mask) < 0 ? ErrnoExtensions.Last() : Errno.OK;
    }

    /// <summary>Names the calling thread for top -H and /proc/PID/task/*/comm (the runtime does not under Native AOT).</summary>
    public static void NameCurrentThread(string name)
    {
        byte* buffer = stackalloc byte[16];
        new Span<byte>(buffer, 16).Clear();
        System.Text.Encoding.ASCII.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), new Span<byte>(buffer, 15));
        _ = Sys.prctl(Sys.PR_SET_NAME, buffer, 0, 0, 0);
    }

    /// <summary>The hex cpumask text sysfs takes for a single CPU ("1", "4", "100000000").</summary>
    public static string MaskText(int cpu)
    {
        // Comma-separated 32-bit words, most significant first, as cpumask_parse expects.
        var words = new List<string>();
        for (int w = cpu / 32; w >= 0; w--)
        {
            uint word = w == cpu / 32 ? 1u << (cpu % 32) : 0u;
            words.Add(word.ToString(w == cpu / 32 ? "x" : "x8", CultureInfo.InvariantCulture));
        }

        return string.Join(",", words);
    }
}
