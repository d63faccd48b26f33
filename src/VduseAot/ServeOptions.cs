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
    /// <summary>--nbd URI.</summary>
    Nbd,
    /// <summary>--nvme-tcp HOST[:PORT].</summary>
    NvmeTcp,
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

    /// <summary>--nbd URI.</summary>
    public Network.Nbd.NbdUri? NbdUri { get; private set; }

    /// <summary>--reconnect-timeout SECONDS: how long a request waits for a lost server (network backends).</summary>
    public int ReconnectTimeoutSeconds { get; private set; } = 30;

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

    /// <summary>--vhost: hand the device to vhost_vdpa (/dev/vhost-vdpa-N for a VM or a userspace driver) instead of virtio_blk.</summary>
    public bool Vhost { get; private set; }

    /// <summary>--state-dir DIR: the state file, the RAM image and the control socket of each device.</summary>
    public string StateDir { get; private set; } = StateDirectory.DefaultPath;

    /// <summary>--log-level debug|info|warn|error: lines below it are dropped.</summary>
    public Vduse.LogLevel LogLevel { get; private set; } = Vduse.LogLevel.Info;

    /// <summary>--metrics-listen ADDR:PORT: serve GET /metrics there (off when null).</summary>
    public System.Net.IPEndPoint? MetricsListen { get; private set; }

    /// <summary>--force: take over a device whose state file is missing or unreadable.</summary>
    public bool Force { get; private set; }

    /// <summary>--handover (what `upgrade` starts): take the device over from the daemon serving it, which hands it over on its control socket.</summary>
    public bool Handover { get; private set; }

    // Every `serve` option; Parse applies them in the order given, Validate checks how they combine.
    private static readonly ServeOptionSpec[] Specs =
    [
        new("--name", true, (o, _, v) => o.Name = v),
        new("--ram", true, (o, n, v) => o.ChooseSizedBackend(BackendKind.Ram, n, v)),
        new("--null", true, (o, n, v) => o.ChooseSizedBackend(BackendKind.Null, n, v)),
        new("--file", true, (o, n, v) =>
        {
            o.FilePath = v;
            o.ChooseBackend(BackendKind.File, n);
        }),
        new("--nbd", true, (o, n, v) =>
        {
            o.NbdUri = Network.Nbd.NbdUri.TryParse(v, out string? error) ?? throw new UsageException("--nbd: " + error);
            o.ChooseBackend(BackendKind.Nbd, n);
        }),
        new("--nvme-tcp", true, (o, n, v) => o.ChooseNvmeTcp(n, v)),
        new("--nqn", true, (o, n, v) => o.Nqn = o.ParseNqn(n, v)),
        new("--nsid", true, (o, n, v) => o.ParseNsid(n, v)),
        new("--hostnqn", true, (o, n, v) => o.HostNqn = o.ParseNqn(n, v)),
        new("--nvme-digest", true, (o, n, v) => o.Digests(n, v)),
        new("--reconnect-timeout", true, (o, n, v) => o.ReconnectTimeoutSeconds = (int)OptionText.Number(n, v, 0, 86_400)),
        new("--size", true, (o, n, v) => o.FileSize = OptionText.Size(n, v)),
        new("--direct", false, (o, _, _) => o.Direct = true),
        new("--sqpoll", false, (o, _, _) => o.SqPoll = true),
        new("--cpus", true, (o, _, v) => o.Cpus = CpuList(v)),
        new("--poll-us", true, (o, n, v) => o.PollMicroseconds = (int)OptionText.Number(n, v, 0, 1_000_000)),
        new("--bounce-size", true, (o, n, v) => o.BounceSize = BounceBytes(n, v)),
        new("--queues", true, (o, n, v) => o.Device.Queues = Queues(n, v)),
        new("--queue-size", true, (o, n, v) => o.Device.QueueSize = QueueSize(n, v)),
        new("--packed", false, (o, _, _) => o.Device.Packed = true),
        new("--read-only", false, (o, _, _) => o.Device.ReadOnly = true),
        new("--logical-block-size", true, (o, n, v) => o.Device.LogicalBlockSize = LogicalBlockSize(n, v)),
        new("--serial", true, (o, _, v) => o.Device.Serial = Serial(v)),
        new("--no-attach", false, (o, _, _) => o.Attach = false),
        new("--vhost", false, (o, _, _) => o.Vhost = true),
        new("--state-dir", true, (o, _, v) => o.StateDir = OptionText.StateDir(v)),
        new("--force", false, (o, _, _) => o.Force = true),
        new("--handover", false, (o, _, _) => o.Handover = true),
        new("--metrics-listen", true, (o, _, v) => o.MetricsListen = MetricsEndpoint.Parse(v)),
        new("--log-level", true, (o, _, v) => o.LogLevel = ParseLogLevel(v)),
    ];

    /// <summary>The name of every option `serve` takes.</summary>
    public static IReadOnlyList<string> OptionNames
    {
        get
        {
            var names = new string[Specs.Length];
            for (int i = 0; i < Specs.Length; i++)
            {
                names[i] = Specs[i].Name;
            }

            return names;
        }
    }

    /// <summary>Parses the arguments after `serve`. Throws <see cref="UsageException"/> with a one-line reason.</summary>
    public static ServeOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var o = new ServeOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            ServeOptionSpec spec = Find(a) ?? throw new UsageException("unknown option '" + a + "' for serve (see vduse-blk --help)");
            spec.Apply(o, a, spec.TakesValue ? OptionText.Value(args, ref i) : "");
        }

        o.Validate();
        return o;
    }

    private static ServeOptionSpec? Find(string name)
    {
        foreach (ServeOptionSpec spec in Specs)
        {
            if (spec.Name == name)
            {
                return spec;
            }
        }

        return null;
    }

    private void ChooseSizedBackend(BackendKind kind, string option, string size)
    {
        Device.CapacityBytes = OptionText.Size(option, size);
        ChooseBackend(kind, option);
    }

    private static int[] CpuList(string list)
    {
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

        return cpus;
    }

    private static ulong BounceBytes(string option, string text)
    {
        ulong bounce = OptionText.Size(option, text);
        if (bounce < (1UL << 20) || bounce > (1UL << 30))
        {
            throw new UsageException("--bounce-size must be from 1M to 1G (the kernel's limits)");
        }

        return bounce;
    }

    private static ushort Queues(string option, string text)
    {
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint nq) && nq > MaxQueues)
        {
            throw new UsageException("--queues " + nq + " is more than " + MaxQueues + ": one thread serves each queue, and the guest's"
                + " virtio_blk uses at most one queue per CPU (VDUSE itself allows 65535)");
        }

        return (ushort)OptionText.Number(option, text, 1, MaxQueues);
    }

    private static ushort QueueSize(string option, string text)
    {
        uint qs = OptionText.Number(option, text, 2, 32768);
        if ((qs & (qs - 1)) != 0)
        {
            throw new UsageException("--queue-size " + qs + " is not a power of two (try 128, 256 or 1024)");
        }

        return (ushort)qs;
    }

    private static uint LogicalBlockSize(string option, string text)
    {
        uint lbs = OptionText.Number(option, text, 512, 4096);
        if (lbs != 512 && lbs != 4096)
        {
            throw new UsageException("--logical-block-size must be 512 or 4096, not " + lbs);
        }

        return lbs;
    }

    private static string Serial(string serial) => System.Text.Encoding.UTF8.GetByteCount(serial) <= 20 ? serial
        : throw new UsageException("--serial is longer than 20 bytes (virtio-blk's ID field)");

    private static Vduse.LogLevel ParseLogLevel(string level) => level switch
    {
        "debug" => Vduse.LogLevel.Debug,
        "info" => Vduse.LogLevel.Info,
        "warn" => Vduse.LogLevel.Warn,
        "error" => Vduse.LogLevel.Error,
        _ => throw new UsageException("--log-level '" + level + "' must be debug, info, warn or error"),
    };

    private void ChooseBackend(BackendKind kind, string option)
    {
        if (Backend != BackendKind.None)
        {
            throw new UsageException(option + " given with another backend: choose one of --ram, --file, --null, --nbd, --nvme-tcp");
        }

        Backend = kind;
    }

    private void Validate()
    {
        if (Name.Length == 0)
        {
            throw new UsageException("serve needs --name NAME");
        }

        if (Name.Length > 255 || !OptionText.NamePattern().IsMatch(Name))
        {
            throw new UsageException("--name '" + Name + "' must be 1-255 characters of letters, digits, '-', '_' and '.'");
        }

        if (QueueDirPattern().IsMatch(Name))
        {
            throw new UsageException("--name '" + Name + "' clashes with the kernel's per-queue sysfs directories (vqN): pick another name");
        }

        if (Backend == BackendKind.None)
        {
            throw new UsageException("serve needs a backend: --ram SIZE, --file PATH, --null SIZE, --nbd URI or --nvme-tcp HOST[:PORT]");
        }

        if (Vhost && !Attach)
        {
            throw new UsageException("--vhost attaches the device to vhost_vdpa: it cannot go with --no-attach");
        }

        if (Backend != BackendKind.File && (FileSize.HasValue || Direct))
        {
            throw new UsageException((Direct ? "--direct" : "--size") + " applies to --file only");
        }

        ValidateNvmeTcp();
        if (Backend is BackendKind.Nbd or BackendKind.NvmeTcp)
        {
            return; // the server tells the size
        }

        ulong size = Backend == BackendKind.File ? FileSize ?? Device.LogicalBlockSize : Device.CapacityBytes;
        if (size == 0 || size % Device.LogicalBlockSize != 0)
        {
            throw new UsageException("size " + size + " is not a positive multiple of the logical block size " + Device.LogicalBlockSize);
        }
    }

    [GeneratedRegex("^vq[0-9]+$")]
    private static partial Regex QueueDirPattern();
}
