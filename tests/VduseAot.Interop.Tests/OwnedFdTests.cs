using Tmds.Linux;
using Xunit;

namespace VduseAot.Interop.Tests;

/// <summary>OwnedFd closes exactly once, and never what it handed on.</summary>
public sealed class OwnedFdTests
{
    private static bool IsOpen(int fd) => LibC.fcntl(fd, LibC.F_GETFD) >= 0;

    private static int NewEventFd()
    {
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC);
        Assert.True(fd >= 0);
        return fd;
    }

    [Fact]
    public void Dispose_closes_the_descriptor_once()
    {
        int raw = NewEventFd();
        var fd = new OwnedFd(raw);
        Assert.Equal(raw, fd.Value);
        fd.Dispose();
        Assert.False(IsOpen(raw));
        Assert.Equal(-1, fd.Value);
        Assert.False(fd.IsOpen);

        // A descriptor opened after the close may reuse the number: a second Dispose must leave it alone.
        int reused = NewEventFd();
        fd.Dispose();
        Assert.True(IsOpen(reused));
        Assert.Equal(0, LibC.close(reused));
    }

    [Fact]
    public void Release_hands_the_descriptor_on_without_closing_it()
    {
        int raw = NewEventFd();
        var fd = new OwnedFd(raw);
        Assert.Equal(raw, fd.Release());
        fd.Dispose();
        Assert.True(IsOpen(raw));
        Assert.Equal(0, LibC.close(raw));
    }

    [Fact]
    public void FromResult_takes_a_success_and_leaves_errno_of_a_failure()
    {
        Assert.Null(OwnedFd.FromResult(Sys.Open("/nonexistent/owned-fd-test", LibC.O_RDONLY)));
        Assert.Equal(Errno.ENOENT, ErrnoExtensions.Last());
        using OwnedFd? fd = OwnedFd.FromResult(NewEventFd());
        Assert.NotNull(fd);
        Assert.True(IsOpen(fd.Value));
    }
}
