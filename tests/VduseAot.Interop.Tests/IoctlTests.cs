using Xunit;

namespace VduseAot.Interop.Tests;

/// <summary>Ioctl.IOC and friends against literal request numbers (x86-64, asm-generic/ioctl.h).</summary>
public sealed class IoctlTests
{
    [Theory]
    [InlineData(Ioctl.IOC_READ, 0x81u, 0x00u, 8u, 0x80088100u)] // _IOR(0x81, 0, __u64): VDUSE_GET_API_VERSION
    [InlineData(Ioctl.IOC_WRITE, 0x81u, 0x01u, 8u, 0x40088101u)] // _IOW(0x81, 1, __u64): VDUSE_SET_API_VERSION
    [InlineData(Ioctl.IOC_WRITE, 0x81u, 0x02u, 336u, 0x41508102u)] // _IOW(0x81, 2, struct vduse_dev_config): VDUSE_CREATE_DEV
    [InlineData(Ioctl.IOC_READ | Ioctl.IOC_WRITE, 0x81u, 0x15u, 48u, 0xC0308115u)] // _IOWR(0x81, 0x15, struct vduse_vq_info)
    [InlineData(Ioctl.IOC_NONE, 0x81u, 0x13u, 0u, 0x00008113u)] // _IO(0x81, 0x13): VDUSE_DEV_INJECT_CONFIG_IRQ
    public void IOC_encodes_like_the_kernel_macro(uint dir, uint type, uint nr, uint size, uint expected)
        => Assert.Equal(expected, (uint)Ioctl.IOC(dir, type, nr, size));

    [Fact]
    public void IO_IOR_IOW_IOWR_pick_the_direction()
    {
        Assert.Equal(0x80088100u, (uint)Ioctl.IOR(0x81, 0, 8));
        Assert.Equal(0x40088101u, (uint)Ioctl.IOW(0x81, 1, 8));
        Assert.Equal(0xC0308115u, (uint)Ioctl.IOWR(0x81, 0x15, 48));
        Assert.Equal(0x00008113u, (uint)Ioctl.IO(0x81, 0x13));
    }

    [Fact]
    public void Vduse_request_numbers_equal_the_x86_64_values()
    {
        // Values printed by abi_probe.c against linux-libc-dev 6.1 on x86-64.
        Assert.Equal(0x80088100u, (uint)VduseUapi.VDUSE_GET_API_VERSION);
        Assert.Equal(0x40088101u, (uint)VduseUapi.VDUSE_SET_API_VERSION);
        Assert.Equal(0x41508102u, (uint)VduseUapi.VDUSE_CREATE_DEV);
        Assert.Equal(0x41008103u, (uint)VduseUapi.VDUSE_DESTROY_DEV);
        Assert.Equal(0xC0208110u, (uint)VduseUapi.VDUSE_IOTLB_GET_FD);
        Assert.Equal(0xC0308115u, (uint)VduseUapi.VDUSE_VQ_GET_INFO);
        Assert.Equal(0x40088116u, (uint)VduseUapi.VDUSE_VQ_SETUP_KICKFD);
        Assert.Equal(0x40048117u, (uint)VduseUapi.VDUSE_VQ_INJECT_IRQ);
    }
}
