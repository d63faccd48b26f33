using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace VduseAot.Interop.Tests;

/// <summary>Compiles abi_probe.c with the machine's cc and runs it: the C side of the ABI comparison.</summary>
internal static class AbiProbe
{
    private const string InstallHint =
        "Install gcc and linux-libc-dev (Debian/Ubuntu: apt-get install gcc linux-libc-dev) so the test can compile abi_probe.c against the kernel headers.";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>The value abi_probe.c prints for an item this header does not have.</summary>
    public const string Missing = "MISSING";

    /// <summary>Builds and runs the probe; returns its KEY VALUE lines as a dictionary. Fails the test on any error.</summary>
    public static Dictionary<string, string> Run()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "abi_probe.c");
        Assert.True(File.Exists(source), $"{source} is missing: the test project should copy abi_probe.c to its output.");

        string? cc = FindOnPath("cc");
        if (cc is null)
        {
            Assert.Fail("No C compiler: `cc` is not on PATH. " + InstallHint);
        }

        DirectoryInfo dir = Directory.CreateTempSubdirectory("vduse-abi-");
        try
        {
            string exe = Path.Combine(dir.FullName, "abi_probe");
            (int ccExit, string ccOut, string ccErr) = Exec(cc, dir.FullName, "-std=gnu11", "-Wall", "-Werror=format", "-o", exe, source);
            if (ccExit != 0)
            {
                Assert.Fail($"cc failed to compile {source} (exit {ccExit}). {InstallHint}\n{ccOut}{ccErr}");
            }

            (int exit, string stdout, string stderr) = Exec(exe, dir.FullName);
            Assert.True(exit == 0, $"abi_probe exited with {exit}:\n{stderr}");
            return Parse(stdout);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static Dictionary<string, string> Parse(string output)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            Assert.True(space > 0, $"abi_probe printed a line that is not KEY VALUE: '{line}'");
            string key = line[..space];
            Assert.True(values.TryAdd(key, line[(space + 1)..]), $"abi_probe printed key {key} twice");
        }

        return values;
    }

    private static string? FindOnPath(string name)
    {
        string path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static (int ExitCode, string Stdout, string Stderr) Exec(string file, string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not finish within {Timeout.TotalSeconds} s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
