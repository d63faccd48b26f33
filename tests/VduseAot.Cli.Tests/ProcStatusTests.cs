using Xunit;

namespace VduseAot.Cli.Tests;

public sealed class ProcStatusTests
{
    private const string Sample = "Name:\tvduse-blk\nVmRSS:\t   70000 kB\nRssAnon:\t    4000 kB\nRssFile:\t    1500 kB\nRssShmem:\t   64500 kB\nThreads:\t5\n";

    [Fact]
    public void Reads_the_three_rss_lines_in_bytes()
    {
        Assert.Equal((4000L * 1024, 1500L * 1024, 64500L * 1024), ProcStatus.Rss(Sample));
    }

    [Fact]
    public void A_missing_or_malformed_line_is_zero()
    {
        Assert.Equal((0L, 1024L, 0L), ProcStatus.Rss("RssAnon:\tlots\nRssFile:\t1 kB\nRssShmemX: 5 kB\n"));
        Assert.Equal((0L, 0L, 0L), ProcStatus.Rss(""));
    }

    [Fact]
    public void This_process_has_anonymous_and_file_pages()
    {
        (long anon, long file, _) = ProcStatus.Rss(ProcStatus.ReadSelf());
        Assert.True(anon > 0);
        Assert.True(file > 0);
    }
}
