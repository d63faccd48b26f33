using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>Where the disk's bytes live.</summary>
public enum BackendKind
{
    /// <summary>Not chosen.</summary>
    None,
    /// <summary>--ram SIZE.</summary>
    Ram,
    /// <summary>--file PATH.</summary>
    File,
    /// <summary>--null SIZE.</summary>
    Null,
}

/// <summary>The parsed `serve` command line.</summary>
public sealed partial class ServeOptions
{
    /// <summary>Most --queues: one pinned thread each, and virtio_blk uses one queue per CPU at most.</summary>
    public const uint MaxQueues = 64;

    /// <summary>The backend chosen.</summary>
    public BackendKind Backend { get; private set; }

    /// <summary>--file PATH.</summary>
    public string? FilePath { get; private set; }

    /// <summary>--size SIZE for --file.</summary>
    public ulong? FileSize { get; private set; }

    /// <summary>--direct: O_DIRECT on the file.</summary>
    public bool Direct { get; private set; }

    /// <summary>--sqpoll: kernel-side submission threads.</summary>
    public bool SqPoll { get; private set; }

    /// <summary>--cpus LIST: CPUs for the queue threads.</summary>
    public int[]? Cpus { get; private set; }

    /// <summary>--poll-us N: busy-poll window after the last request.</summary>
    public int PollMicroseconds { get; private set; }

    /// <summary>--bounce-size SIZE: the VDUSE bounce buffer.</summary>
    public ulong? BounceSize { get; private set; }

    /// <summary>Device name (/dev/vduse/NAME, vdpa device NAME).</summary>
    public string Name { get; private set; } = "";

    /// <summary>Geometry and identity of the block device.</summary>
    public BlkDeviceOptions Device { get; } = new();

    /// <summary>False with --no-attach: create the VDUSE device but leave the vDPA bus alone.</summary>
    public bool Attach { get; private set; } = true;

    /// <summary>--state-dir DIR: the state file, the RAM image and the control socket of each device.</summary>
    public string StateDir { get; private set; } = StateDirectory.DefaultPath;

    /// <summary>--log-level debug|info|warn|error: lines below it are dropped.</summary>
    public Vduse.LogLevel LogLevel { get; private set; } = Vduse.LogLevel.Info;

    /// <summary>--metrics-listen ADDR:PORT: serve GET /metrics there (off when null).</summary>
    public System.Net.IPEndPoint? MetricsListen { get; private set; }

    /// <summary>--force: take over a device whose state file is missing or unreadable.</summary>
    public bool Force { get; private set; }

    /// <summary>Parses the arguments after `serve`. Throws <see cref="UsageException"/> with a one-line reason.</summary>
    public static ServeOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ServeOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "--name":
                    o.Name = Value(args, ref i);
                    break;
                case "--ram":
                    o.Device.CapacityBytes = Size(a, Value(args, ref i));
                    o.ChooseBackend(BackendKind.Ram, a);
                    break;
                case "--null":
                    o.Device.CapacityBytes = Size(a, Value(args, ref i));
                    o.ChooseBackend(BackendKind.Null, a);
                    break;
                case "--file":
                    o.FilePath = Value(args, ref i);
                    o.ChooseBackend(BackendKind.File, a);
                    break;
                case "--size":
                    o.FileSize = Size(a, Value(args, ref i));
                    break;
                case "--direct":
                    o.Direct = true;
                    break;
                case "--sqpoll":
                    o.SqPoll = true;
                    break;
                case "--cpus":
                    string list = Value(args, ref i);
                    if (!Vduse.CpuAffinity.TryParse(list, out int[] cpus))
                    {
                        throw new UsageException("--cpus '" + list + "' is not a CPU list (for example 0-3,6)");
                    }

                    int[] allowed = Vduse.CpuAffinity.Allowed();
                    foreach (int cpu in cpus)
                    {
                        if (Array.IndexOf(allowed, cpu) < 0)
                        {
                            throw new UsageException("--cpus: CPU " + cpu + " is not available to this process (allowed: " + string.Join(",", allowed) + ")");
                        }
                    }

                    o.Cpus = cpus;
                    break;
                case "--poll-us":
                    o.PollMicroseconds = (int)Number(a, Value(args, ref i), 0, 1_000_000);
                    break;
                case "--bounce-size":
                    ulong bounce = Size(a, Value(args, ref i));
                    if (bounce < (1UL << 20) || bounce > (1UL << 30))
                    {
                        throw new UsageException("--bounce-size must be from 1M to 1G (the kernel's limits)");
                    }

                    o.BounceSize = bounce;
                    break;
                case "--queues":
                    string queues = Value(args, ref i);
                    if (uint.TryParse(queues, NumberStyles.None, CultureInfo.InvariantCulture, out uint nq) && nq > MaxQueues)
                    {
                        throw new UsageException("--queues " + nq + " is more than " + MaxQueues + ": one thread serves each queue, and the guest's"
                            + " virtio_blk uses at most one queue per CPU (VDUSE itself allows 65535)");
                    }

                    o.Device.Queues = (ushort)Number(a, queues, 1, MaxQueues);
                    break;
                case "--queue-size":
                    uint qs = Number(a, Value(args, ref i), 2, 32768);
                    if ((qs & (qs - 1)) != 0)
                    {
                        throw new UsageException("--queue-size " + qs + " is not a power of two (try 128, 256 or 1024)");
                    }

                    o.Device.QueueSize = (ushort)qs;
                    break;
                case "--packed":
                    o.Device.Packed = true;
                    break;
                case "--read-only":
                    o.Device.ReadOnly = true;
                    break;
                case "--logical-block-size":
                    uint lbs = Number(a, Value(args, ref i), 512, 4096);
                    if (lbs != 512 && lbs != 4096)
                    {
                        throw new UsageException("--logical-block-size must be 512 or 4096, not " + lbs);
                    }

                    o.Device.LogicalBlockSize = lbs;
                    break;
                case "--serial":
                    o.Device.Serial = Value(args, ref i);
                    if (System.Text.Encoding.UTF8.GetByteCount(o.Device.Serial) > 20)
                    {
                        throw new UsageException("--serial is longer than 20 bytes (virtio-blk's ID field)");
                    }

                    break;
                case "--no-attach":
                    o.Attach = false;
                    break;
                case "--state-dir":
                    o.StateDir = OptionText.StateDir(Value(args, ref i));
                    break;
                case "--force":
                    o.Force = true;
                    break;
                case "--metrics-listen":
                    o.MetricsListen = MetricsEndpoint.Parse(Value(args, ref i));
                    break;
                case "--log-level":
                    string level = Value(args, ref i);
                    o.LogLevel = level switch
                    {
                        "debug" => Vduse.LogLevel.Debug,
                        "info" => Vduse.LogLevel.Info,
                        "warn" => Vduse.LogLevel.Warn,
                        "error" => Vduse.LogLevel.Error,
                        _ => throw new UsageException("--log-level '" + level + "' must be debug, info, warn or error"),
                    };
                    break;
                default:
                    throw new UsageException("unknown option '" + a + "' for serve (see vduse-blk --help)");
            }
        }

        o.Validate();
        return o;
    }

    private void ChooseBackend(BackendKind kind, string option)
    {
        if (Backend != BackendKind.None)
        {
            throw new UsageException(option + " given with another backend: choose one of --ram, --file, --null");
        }

        Backend = kind;
    }

    private void Validate()
    {
        if (Name.Length == 0)
        {
            throw new UsageException("serve needs --name NAME");
        }

        if (Name.Length > 255 || !NamePattern().IsMatch(Name))
        {
            throw new UsageException("--name '" + Name + "' must be 1-255 characters of letters, digits, '-', '_' and '.'");
        }

        if (QueueDirPattern().IsMatch(Name))
        {
            throw new UsageException("--name '" + Name + "' clashes with the kernel's per-queue sysfs directories (vqN): pick another name");
        }

        if (Backend == BackendKind.None)
        {
            throw new UsageException("serve needs a backend: --ram SIZE, --file PATH or --null SIZE");
        }

        if (Backend != BackendKind.File && (FileSize.HasValue || Direct))
        {
            throw new UsageException((Direct ? "--direct" : "--size") + " applies to --file only");
        }

        ulong size = Backend == BackendKind.File ? FileSize ?? Device.LogicalBlockSize : Device.CapacityBytes;
        if (size == 0 || size % Device.LogicalBlockSize != 0)
        {
            throw new UsageException("size " + size + " is not a positive multiple of the logical block size " + Device.LogicalBlockSize);
        }
    }

    internal static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new UsageException(args[i] + " needs a value");
        }

        return args[++i];
    }

    internal static ulong Size(string option, string text)
    {
        if (!SizeText.TryParse(text, out ulong bytes))
        {
            throw new UsageException(option + " '" + text + "' is not a size (a number with an optional K, M, G or T suffix)");
        }

        return bytes;
    }

    private static uint Number(string option, string text, uint min, uint max)
    {
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) || n < min || n > max)
        {
            throw new UsageException(option + " '" + text + "' must be a number from " + min + " to " + max);
        }

        return n;
    }

    /// <summary>Device names: letters, digits, '-', '_' and '.'.</summary>
    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    internal static partial Regex NamePattern();

    [GeneratedRegex("^vq[0-9]+$")]
    private static partial Regex QueueDirPattern();
}
