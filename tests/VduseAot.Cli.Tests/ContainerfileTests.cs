using System;
using System.IO;
using System.Linq;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The Containerfile is the static binary on an empty image and nothing else.</summary>
public sealed class ContainerfileTests
{
    private static (string Instruction, string Arguments)[] Instructions()
    {
        string text = File.ReadAllText(Path.Combine(RepoRoot.Path, "Containerfile"));

        // Join continuation lines, drop comments and blank lines.
        string joined = text.Replace("\\\n", " ", StringComparison.Ordinal);
        return joined.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l =>
            {
                int space = l.IndexOf(' ', StringComparison.Ordinal);
                return space < 0 ? (l.ToUpperInvariant(), "") : (l.Substring(0, space).ToUpperInvariant(), l.Substring(space + 1).Trim());
            })
            .ToArray();
    }

    [Fact]
    public void It_is_from_scratch_with_only_the_static_binary_as_the_entrypoint()
    {
        (string Instruction, string Arguments)[] lines = Instructions();
        Assert.Equal(("FROM", "scratch"), lines[0]);
        Assert.Single(lines, l => l.Instruction == "FROM");
        Assert.DoesNotContain(lines, l => l.Instruction is "RUN" or "ADD");

        (string _, string copy) = Assert.Single(lines, l => l.Instruction == "COPY");
        string[] parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["artifacts/vduse-blk", "/vduse-blk"], parts);

        (string _, string entry) = Assert.Single(lines, l => l.Instruction == "ENTRYPOINT");
        Assert.Equal("[\"/vduse-blk\"]", entry);
    }
}
