namespace VduseAot;

/// <summary>Option values shared by `serve` and the admin verbs, each checked with a one-line <see cref="UsageException"/>.</summary>
public static partial class OptionText
{
    /// <summary>Returns <paramref name="stateDir"/> if it is an absolute path.</summary>
    public static string StateDir(string stateDir)
    {
        if (string.IsNullOrEmpty(stateDir) || stateDir[0] != '/')
        {
            throw new UsageException("--state-dir '" + stateDir + "' must be an absolute path");
        }

        return stateDir;
    }
}
