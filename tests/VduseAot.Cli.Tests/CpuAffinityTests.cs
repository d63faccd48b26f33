using VduseAot.Vduse;
using Xunit;

namespace VduseAot.Cli.Tests;

public class CpuAffinityTests
{
    [Theory]
    [InlineData("0", new[] { 0 })]
    [InlineData("0-3,6", new[] { 0, 1, 2, 3, 6 })]
    [InlineData("6,0-1,1", new[] { 0, 1, 6 })]
    public void ParsesCpuLists(string text, int[] expected)
    {
        Assert.True(CpuAffinity.TryParse(text, out int[] cpus));
        Assert.Equal(expected, cpus);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("3-1")]
    [InlineData("1-2-3")]
    [InlineData("0,,1")]
    [InlineData("-1")]
    [InlineData("1024")]
    public void RejectsBadLists(string text) => Assert.False(CpuAffinity.TryParse(text, out _));

    [Theory]
    [InlineData(0, "1")]
    [InlineData(2, "4")]
    [InlineData(31, "80000000")]
    [InlineData(32, "1,00000000")]
    [InlineData(65, "2,00000000,00000000")]
    public void MasksAreWhatCpumaskParseReads(int cpu, string mask) => Assert.Equal(mask, CpuAffinity.MaskText(cpu));

    [Fact]
    public void TheCallingThreadCanBePinnedToAnAllowedCpu()
    {
        int[] allowed = CpuAffinity.Allowed();
        Assert.NotEmpty(allowed);
        VduseAot.Interop.Errno result = VduseAot.Interop.Errno.EINVAL;
        var t = new System.Threading.Thread(() => result = CpuAffinity.PinCurrentThread(allowed[^1]));
        t.Start();
        t.Join();
        Assert.Equal(VduseAot.Interop.Errno.OK, result);
    }
}
