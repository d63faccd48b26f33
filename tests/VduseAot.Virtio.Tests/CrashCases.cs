using Xunit;

namespace VduseAot.Virtio.Tests;

/// <summary>Theory data of the crash property tests: every ring size with seeds 1 to 3.</summary>
internal static class CrashCases
{
    public static TheoryData<int, int, bool> Seeds(bool restarts, params int[] sizes)
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int size in sizes)
        {
            for (int seed = 1; seed <= 3; seed++)
            {
                data.Add(size, seed, restarts);
            }
        }

        return data;
    }
}
