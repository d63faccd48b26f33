using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace VduseAot.Interop.Tests;

/// <summary>
/// Every struct size, field offset and size, ioctl number and constant in VduseAot.Interop must equal
/// what the machine's kernel uapi and libc headers say (abi_probe.c, compiled with cc at test time).
/// </summary>
public sealed class AbiTests(ITestOutputHelper output)
{
    /// <summary>ioctls the device cannot work without: a header lacking one fails the test.</summary>
    private static readonly string[] CoreIoctls =
    [
        "VDUSE_GET_API_VERSION", "VDUSE_SET_API_VERSION", "VDUSE_CREATE_DEV", "VDUSE_DESTROY_DEV",
        "VDUSE_IOTLB_GET_FD", "VDUSE_DEV_GET_FEATURES", "VDUSE_VQ_SETUP", "VDUSE_VQ_GET_INFO",
        "VDUSE_VQ_SETUP_KICKFD", "VDUSE_VQ_INJECT_IRQ",
    ];

    [Fact]
    public void Interop_layout_and_constants_match_the_kernel_headers()
    {
        Dictionary<string, string> c = AbiProbe.Run();
        CSharpAbi cs = AbiTable.Build();
        var problems = new List<string>(cs.Problems);

        var missing = c.Where(kv => kv.Value == AbiProbe.Missing).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        foreach (string core in CoreIoctls.Where(missing.Contains))
        {
            problems.Add($"{core}: the machine's <linux/vduse.h> lacks this core ioctl (kernel headers too old?)");
        }

        int compared = 0;
        foreach ((string key, string csValue) in cs.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (c.TryGetValue(key, out string? cValue) && cValue != AbiProbe.Missing)
            {
                compared++;
                if (cValue != csValue)
                {
                    problems.Add($"{key}: C {cValue}, C# {csValue}");
                }
            }
            else if (IsUnder(key, missing) is string by)
            {
                output.WriteLine($"skipped {key}: this header lacks {by}");
            }
            else
            {
                problems.Add($"{key}: only in C# (C# {csValue}); abi_probe.c does not print it");
            }
        }

        foreach ((string key, string cValue) in c.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (cValue != AbiProbe.Missing && !cs.Values.ContainsKey(key))
            {
                problems.Add($"{key}: only in C (C {cValue}); the C# table does not list it");
            }
        }

        foreach (string member in cs.Uncovered())
        {
            problems.Add($"{member}: a public C# member the ABI table does not compare; add it to AbiTable.cs and abi_probe.c (or exclude it with a reason)");
        }

        foreach (string m in missing.Order(StringComparer.Ordinal))
        {
            output.WriteLine($"header lacks {m}");
        }

        output.WriteLine($"compared {compared} keys; {problems.Count} problem(s)");
        if (problems.Count > 0)
        {
            var message = new StringBuilder();
            message.Append(problems.Count).Append(" ABI mismatch(es) between VduseAot.Interop and the machine's headers:\n");
            foreach (string p in problems)
            {
                message.Append("  ").Append(p).Append('\n');
            }

            Assert.Fail(message.ToString());
        }
    }

    /// <summary>The MISSING key that <paramref name="key"/> equals or lies under (KEY.x, KEY@x), if any.</summary>
    private static string? IsUnder(string key, HashSet<string> missing)
    {
        foreach (string m in missing)
        {
            if (key == m || key.StartsWith(m + ".", StringComparison.Ordinal) || key.StartsWith(m + "@", StringComparison.Ordinal))
            {
                return m;
            }
        }

        return null;
    }
}
