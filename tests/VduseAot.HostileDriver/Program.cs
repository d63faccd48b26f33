using System;
using System.Globalization;

namespace VduseAot.HostileDriver;

/// <summary>
/// vhost-hostile DEVICE [--queues N]: drives /dev/vhost-vdpa-N as a virtio-blk driver, first with
/// valid I/O, then with one hostile case after another. Each case prints one line
/// "case NAME: what the daemon answered"; after each one the other queue must still serve, and after
/// a reset every queue must. Exit 0 when every answer was right, 1 (with the reason) otherwise, 2 on
/// a usage error.
/// </summary>
public static class Program
{
    private delegate string Case(BlkDriver driver);

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] != "--queues")
            || !int.TryParse(args.Length == 3 ? args[2] : "2", NumberStyles.None, CultureInfo.InvariantCulture, out int queues) || queues is < 2 or > 4)
        {
            Console.Error.WriteLine("usage: vhost-hostile /dev/vhost-vdpa-N [--queues 2..4]");
            return 2;
        }

        try
        {
            using var driver = new BlkDriver(args[0], queues);
            driver.Start();
            int failures = RunAll(driver);
            Console.WriteLine(failures == 0 ? "vhost-hostile: all cases answered as documented" : "vhost-hostile: " + failures + " case(s) failed");
            return failures == 0 ? 0 : 1;
        }
        catch (DriverException e)
        {
            Console.Error.WriteLine("vhost-hostile: " + e.Message);
            return 1;
        }
    }

    private static int RunAll(BlkDriver driver)
    {
        int failures = Run(driver, "valid-io", ValidCase);
        (string Name, Case Run)[] cases =
        [
            ("descriptor-loop", RingCases.DescriptorLoop),
            ("descriptor-index-out-of-range", RingCases.DescriptorIndexOutOfRange),
            ("head-out-of-range", RingCases.HeadOutOfRange),
            ("length-wraps", MemoryCases.LengthWraps),
            ("iova-unmapped", MemoryCases.UnmappedIova),
            ("unmap-in-flight", LifecycleCases.UnmapInFlight),
            ("indirect-nested-and-looped", RingCases.IndirectTables),
            ("avail-index-jump", RingCases.AvailJump),
            ("status-in-readable-descriptor", MemoryCases.StatusReadOnlyDescriptor),
            ("status-in-read-only-mapping", MemoryCases.StatusIotlbReadOnly),
            ("reset-in-flight", LifecycleCases.ResetInFlight),
            ("unoffered-features", LifecycleCases.UnofferedFeatures),
        ];
        foreach ((string name, Case run) in cases)
        {
            failures += Run(driver, name, d => run(d) + AfterCase(d));
        }

        return failures;
    }

    private static string ValidCase(BlkDriver driver)
    {
        string id = "";
        for (int q = 0; q < driver.Queues.Length; q++)
        {
            ValidIo.RoundTrip(driver, q, RequestSlots.Count, (byte)(0x10 + q));
            id = ValidIo.GetId(driver, q);
        }

        return RequestSlots.Count + " x 4 KiB written and read back, flush OK on " + driver.Queues.Length + " queues; GET_ID \"" + id + "\"; features " + BlkDriver.Hex(driver.Negotiated);
    }

    /// <summary>The hostile cases use queue 0: queue 1 must serve while it is in whatever state they left it, then every queue after a reset.</summary>
    private static string AfterCase(BlkDriver driver)
    {
        ValidIo.RoundTrip(driver, 1, 4, 0x61);
        driver.Start();
        for (int q = 0; q < driver.Queues.Length; q++)
        {
            ValidIo.RoundTrip(driver, q, 4, (byte)(0x20 + q));
        }

        return " (queue 1 served meanwhile, every queue after a reset)";
    }

    private static int Run(BlkDriver driver, string name, Case run)
    {
        try
        {
            Console.WriteLine("case " + name + ": " + run(driver));
            return 0;
        }
        catch (Exception e) when (e is CaseFailedException or DriverException)
        {
            Console.WriteLine("case " + name + ": FAILED: " + e.Message);

            // Start over so the next case meets a working device; if even that fails, the run ends.
            driver.Start();
            return 1;
        }
    }
}
