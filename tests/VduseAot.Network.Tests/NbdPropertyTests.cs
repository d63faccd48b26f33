using System;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace VduseAot.Network.Tests;

/// <summary>
/// Property tests of the NBD backend against a server that cuts connections everywhere a client can
/// lose one and reorders replies: whatever happens, each request completes exactly once, with OK (or
/// IOERR exactly where it touched a bad sector), and the disk holds what the completed writes wrote.
/// </summary>
public sealed class NbdPropertyTests(ITestOutputHelper output)
{
    // Seeds per case, a few hundred requests each: 30, 24 and 18 seeds in all, a second or two per case.
    private const int CutSeeds = 10;
    private const int BadSectorSeeds = 8;
    private const int SharedSeeds = 6;
    private const int Requests = 300;

    public static TheoryData<bool, bool> Modes() => new()
    {
        { false, false }, // simple replies
        { true, false },  // structured replies
        { true, true },   // extended headers
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Random_requests_through_cut_connections_complete_once_and_read_what_was_written(bool structured, bool extended)
    {
        int[] cuts = RunSeeds(structured, extended, 100, CutSeeds, cutChance: 0.04, badSectors: 0, queues: 1, out _);

        // Every kind of cut happened in these seeds: the property was tried where it matters.
        for (int kind = 1; kind < cuts.Length; kind++)
        {
            Assert.True(cuts[kind] > 0, "no " + (FakeCut)kind + " cut in " + CutSeeds + " seeds");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Requests_touching_bad_sectors_fail_with_IOERR_and_only_they(bool structured, bool extended)
    {
        // Fewer cuts: most of them must not hide the error replies.
        _ = RunSeeds(structured, extended, 200, BadSectorSeeds, cutChance: 0.02, badSectors: 12, queues: 1, out int ioErrors);
        Assert.True(ioErrors > 10 * BadSectorSeeds, ioErrors + " requests failed in " + BadSectorSeeds + " seeds: too few to test anything");
    }

    [Theory]
    [InlineData(2, false, false)]
    [InlineData(2, true, false)]
    [InlineData(3, true, true)]
    public void Queues_sharing_one_cut_connection_complete_each_request_once_with_its_status(int queues, bool structured, bool extended)
    {
        // Without NBD_FLAG_CAN_MULTI_CONN every queue's requests go through one connection: a cut loses all of them.
        _ = RunSeeds(structured, extended, 300, SharedSeeds, cutChance: 0.03, badSectors: 6, queues, out int ioErrors);
        Assert.True(ioErrors > 0, "no request touched a bad sector");
    }

    /// <summary>Runs the seeds one after the other; returns the cuts by kind over all of them.</summary>
    private int[] RunSeeds(bool structured, bool extended, int firstSeed, int seeds, double cutChance, int badSectors, int queues, out int ioErrors)
    {
        var cuts = new int[Enum.GetValues<FakeCut>().Length];
        ioErrors = 0;
        long reconnects = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            var run = new NbdPropertyRun(new NbdPropertyOptions(seed, structured, extended, Requests, cutChance, badSectors, queues));
            run.Run();
            ioErrors += run.IoErrors;
            reconnects += run.Reconnects;
            for (int i = 0; i < cuts.Length; i++)
            {
                cuts[i] += run.Cuts[i];
            }
        }

        output.WriteLine(seeds + " seeds x " + Requests + " requests on " + queues + " queue(s) in " + watch.ElapsedMilliseconds + " ms; " + reconnects
            + " reconnections; " + ioErrors + " IOERR; cuts: " + string.Join(", ", Enumerable.Range(1, cuts.Length - 1).Select(k => (FakeCut)k + " " + cuts[k])));
        Assert.True(reconnects > 0, "no connection was ever remade");
        return cuts;
    }
}
