using System;
using System.Threading;
using Xunit;

namespace VduseAot.Interop.Tests;

/// <summary>NativeThread runs managed code on a thread of its own, with the stack asked for, and reports a thread it cannot make.</summary>
public sealed class NativeThreadTests
{
    [Fact]
    public void The_body_runs_on_a_new_thread_with_managed_code_working()
    {
        using var done = new ManualResetEventSlim();
        int starter = Environment.CurrentManagedThreadId;
        int ran = 0;
        string? text = null;
        int rc = NativeThread.Start(
            () =>
            {
                ran = Environment.CurrentManagedThreadId;
                text = string.Concat("attached ", ran.ToString(System.Globalization.CultureInfo.InvariantCulture));
                done.Set();
            },
            256 * 1024);

        Assert.Equal(0, rc);
        Assert.True(done.Wait(10_000), "the native thread never ran its body");
        Assert.NotEqual(starter, ran);
        Assert.Equal("attached " + ran, text);
    }

    [Fact]
    public void A_stack_too_small_for_a_thread_is_refused_with_EINVAL_and_nothing_runs()
    {
        bool ran = false;
        int rc = NativeThread.Start(() => ran = true, 1024);
        Assert.Equal((int)Errno.EINVAL, rc);
        Thread.Sleep(50);
        Assert.False(ran);
    }
}
