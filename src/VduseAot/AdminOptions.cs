using System;
using System.Collections.Generic;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>The parsed command line of the verbs that talk to a running daemon: list, stats, resize, stop, upgrade.</summary>
public sealed class AdminOptions
{
    // The one mapping between the verbs and how they are spelt on the command line.
    private static readonly (AdminCliVerb Verb, string Text)[] Verbs =
    [
        (AdminCliVerb.List, "list"),
        (AdminCliVerb.Stats, "stats"),
        (AdminCliVerb.Resize, "resize"),
        (AdminCliVerb.Stop, "stop"),
        (AdminCliVerb.Upgrade, "upgrade"),
    ];

    /// <summary>The verb.</summary>
    public AdminCliVerb Verb { get; private set; }

    /// <summary>The device (all verbs but list).</summary>
    public string Name { get; private set; } = "";

    /// <summary>--state-dir DIR.</summary>
    public string StateDir { get; private set; } = StateDirectory.DefaultPath;

    /// <summary>--json: print the daemon's JSON instead of text.</summary>
    public bool Json { get; private set; }

    /// <summary>stats --prometheus: print the Prometheus text exposition instead of text or JSON.</summary>
    public bool Prometheus { get; private set; }

    /// <summary>stop --keep: exit leaving the device for the next serve (like SIGUSR1).</summary>
    public bool Keep { get; private set; }

    /// <summary>resize --force: allow shrinking.</summary>
    public bool Force { get; private set; }

    /// <summary>upgrade --binary PATH: the new vduse-blk (default: this one).</summary>
    public string? Binary { get; private set; }

    /// <summary>resize SIZE in bytes.</summary>
    public ulong Size { get; private set; }

    /// <summary>True for the verbs this class parses.</summary>
    public static bool IsVerb(string verb) => TryParseVerb(verb, out _);

    private static bool TryParseVerb(string text, out AdminCliVerb verb)
    {
        foreach ((AdminCliVerb v, string t) in Verbs)
        {
            if (t == text)
            {
                verb = v;
                return true;
            }
        }

        verb = default;
        return false;
    }

    /// <summary>Parses the arguments after <paramref name="verb"/>; throws <see cref="UsageException"/>.</summary>
    public static AdminOptions Parse(string verb, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (!TryParseVerb(verb, out AdminCliVerb v))
        {
            throw new UsageException("unknown command '" + verb + "' (try: vduse-blk --help)");
        }

        var o = new AdminOptions { Verb = v };
        List<string> positional = o.ParseOptions(verb, args);
        string[] wanted = v switch
        {
            AdminCliVerb.List => [],
            AdminCliVerb.Resize => ["NAME", "SIZE"],
            _ => ["NAME"],
        };
        if (positional.Count != wanted.Length)
        {
            throw new UsageException(verb + " takes " + (wanted.Length == 0 ? "no arguments" : string.Join(" ", wanted))
                + (positional.Count > wanted.Length ? ", not '" + string.Join(" ", positional) + "'" : ""));
        }

        if (o.Prometheus && o.Json)
        {
            throw new UsageException("stats takes --json or --prometheus, not both");
        }

        if (wanted.Length > 0)
        {
            o.Name = positional[0];
            if (!OptionText.NamePattern().IsMatch(o.Name))
            {
                throw new UsageException("'" + o.Name + "' is not a device name (letters, digits, '-', '_' and '.')");
            }
        }

        if (v == AdminCliVerb.Resize)
        {
            o.Size = OptionText.Size("resize:", positional[1]);
        }

        return o;
    }

    /// <summary>Applies the options each verb takes; returns the other arguments in order.</summary>
    private List<string> ParseOptions(string verb, IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "--state-dir":
                    StateDir = OptionText.StateDir(OptionText.Value(args, ref i));
                    break;
                case "--json" when Verb is AdminCliVerb.List or AdminCliVerb.Stats or AdminCliVerb.Resize:
                    Json = true;
                    break;
                case "--prometheus" when Verb == AdminCliVerb.Stats:
                    Prometheus = true;
                    break;
                case "--keep" when Verb == AdminCliVerb.Stop:
                    Keep = true;
                    break;
                case "--force" when Verb == AdminCliVerb.Resize:
                    Force = true;
                    break;
                case "--binary" when Verb == AdminCliVerb.Upgrade:
                    Binary = OptionText.Value(args, ref i);
                    break;
                default:
                    if (a.StartsWith('-'))
                    {
                        throw new UsageException("unknown option '" + a + "' for " + verb + " (see vduse-blk --help)");
                    }

                    positional.Add(a);
                    break;
            }
        }

        return positional;
    }
}
