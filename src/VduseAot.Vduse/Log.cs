using System;

namespace VduseAot.Vduse;

/// <summary>Severity of a log line.</summary>
public enum LogLevel
{
    /// <summary>Protocol detail.</summary>
    Debug,
    /// <summary>Lifecycle events.</summary>
    Info,
    /// <summary>Something the operator should look at.</summary>
    Warn,
    /// <summary>A failure.</summary>
    Error,
}

/// <summary>
/// One line per event on stderr: "vduse-blk[NAME] LEVEL: text". Never called per request: the data
/// plane counts instead of logging.
/// </summary>
public static class Log
{
    private static readonly object Gate = new();

    /// <summary>Lines below this level are dropped.</summary>
    public static LogLevel MinLevel { get; set; } = LogLevel.Info;

    /// <summary>True when lines of <paramref name="level"/> are written (callers skip building the text otherwise).</summary>
    public static bool Enabled(LogLevel level) => level >= MinLevel;

    /// <summary>Writes one line for device <paramref name="device"/>.</summary>
    public static void Write(LogLevel level, string device, string text)
    {
        if (level < MinLevel)
        {
            return;
        }

        string tag = level switch
        {
            LogLevel.Debug => "debug",
            LogLevel.Info => "info",
            LogLevel.Warn => "warn",
            _ => "error",
        };
        string line = "vduse-blk[" + device + "] " + tag + ": " + text;
        lock (Gate)
        {
            if (s_held != null)
            {
                s_held.Add(line);
            }
            else
            {
                StdStream.WriteLine(StdStream.Error, line);
            }
        }
    }

    // Lines kept while held (null: written at once).
    private static System.Collections.Generic.List<string>? s_held;

    /// <summary>
    /// Keeps lines in memory until <see cref="Release"/>: a live upgrade's pause is not spent writing
    /// to a pipe or journal whose reader then competes for the CPU with the queues being resumed.
    /// </summary>
    public static void Hold()
    {
        lock (Gate)
        {
            s_held ??= [];
        }
    }

    /// <summary>Writes the lines kept since <see cref="Hold"/>, in order, and writes at once again.</summary>
    public static void Release()
    {
        lock (Gate)
        {
            if (s_held is { } held)
            {
                s_held = null;
                foreach (string line in held)
                {
                    StdStream.WriteLine(StdStream.Error, line);
                }
            }
        }
    }
}
