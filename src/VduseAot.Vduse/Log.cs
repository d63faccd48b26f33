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
        lock (Gate)
        {
            StdStream.WriteLine(StdStream.Error, "vduse-blk[" + device + "] " + tag + ": " + text);
        }
    }
}
