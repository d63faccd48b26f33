using System.Collections.Generic;
using VduseAot.Block;
using VduseAot.Vduse;

namespace VduseAot;

/// <summary>The parsed command line of the verbs that talk to a running daemon: list, stats, resize, stop.</summary>
public sealed class ControlOptions
{
    /// <summary>list, stats, resize or stop.</summary>
    public string Verb { get; private set; } = "";

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

    /// <summary>resize SIZE in bytes.</summary>
    public ulong Size { get; private set; }

    /// <summary>True for the verbs this class parses.</summary>
    public static bool IsVerb(string verb) => verb is "list" or "stats" or "resize" or "stop";

    /// <summary>Parses the arguments after <paramref name="verb"/>; throws <see cref="UsageException"/>.</summary>
    public static ControlOptions Parse(string verb, IReadOnlyList<string> args)
    {
        System.ArgumentNullException.ThrowIfNull(args);
        var o = new ControlOptions { Verb = verb };
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            switch (a)
            {
                case "--state-dir":
                    o.StateDir = OptionText.StateDir(ServeOptions.Value(args, ref i));
                    break;
                case "--json" when verb is "list" or "stats" or "resize":
                    o.Json = true;
                    break;
                case "--prometheus" when verb == "stats":
                    o.Prometheus = true;
                    break;
                case "--keep" when verb == "stop":
                    o.Keep = true;
                    break;
                case "--force" when verb == "resize":
                    o.Force = true;
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

        string[] wanted = verb switch
        {
            "list" => [],
            "resize" => ["NAME", "SIZE"],
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
            if (!ServeOptions.NamePattern().IsMatch(o.Name))
            {
                throw new UsageException("'" + o.Name + "' is not a device name (letters, digits, '-', '_' and '.')");
            }
        }

        if (verb == "resize")
        {
            o.Size = ServeOptions.Size("resize:", positional[1]);
        }

        return o;
    }
}
