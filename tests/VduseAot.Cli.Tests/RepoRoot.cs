using System;
using System.IO;

namespace VduseAot.Cli.Tests;

/// <summary>The repository checkout the tests run from (the directory holding VduseAot.sln).</summary>
internal static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(d.FullName, "VduseAot.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("repository root (VduseAot.sln) not found above " + AppContext.BaseDirectory);
    }
}
