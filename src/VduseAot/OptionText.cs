using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;
using VduseAot.Block;

namespace VduseAot;

/// <summary>Option values shared by `serve` and the admin verbs, each checked with a one-line <see cref="UsageException"/>.</summary>
public static partial class OptionText
{
    /// <summary>The argument after <c>args[i]</c> (which moves past it).</summary>
    public static string Value(IReadOnlyList<string> args, ref int i)
    {
        System.ArgumentNullException.ThrowIfNull(args);
        if (i + 1 >= args.Count)
        {
            throw new UsageException(args[i] + " needs a value");
        }

        return args[++i];
    }

    /// <summary>A size with an optional K, M, G or T suffix.</summary>
    public static ulong Size(string option, string text)
    {
        if (!SizeText.TryParse(text, out ulong bytes))
        {
            throw new UsageException(option + " '" + text + "' is not a size (a number with an optional K, M, G or T suffix)");
        }

        return bytes;
    }

    /// <summary>A decimal number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static uint Number(string option, string text, uint min, uint max)
    {
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint n) || n < min || n > max)
        {
            throw new UsageException(option + " '" + text + "' must be a number from " + min + " to " + max);
        }

        return n;
    }

    /// <summary>Returns <paramref name="stateDir"/> if it is an absolute path.</summary>
    public static string StateDir(string stateDir)
    {
        if (string.IsNullOrEmpty(stateDir) || stateDir[0] != '/')
        {
            throw new UsageException("--state-dir '" + stateDir + "' must be an absolute path");
        }

        return stateDir;
    }

    /// <summary>Device names: letters, digits, '-', '_' and '.'.</summary>
    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    public static partial Regex NamePattern();
}
