using System;
using VduseAot.Interop;
using Xunit;
using Xunit.Abstractions;

namespace VduseAot.Uring.Tests;

/// <summary>IORING_REGISTER_PROBE against this kernel, and RequireOpcodes' message on a made-up one.</summary>
public sealed class ProbeTests(ITestOutputHelper output)
{
    [Fact]
    public void Probe_reports_the_basic_opcodes_and_not_an_absurd_one()
    {
        using var ring = new IoUring(4);
        IoUringProbe probe = ring.Probe();
        int count = 0;
        for (int op = 0; op <= byte.MaxValue; op++)
        {
            count += probe.Supports((byte)op) ? 1 : 0;
        }

        output.WriteLine($"last_op {probe.LastOp}, {count} opcodes supported, features 0x{ring.Features:x}");
        Assert.True(probe.LastOp >= IoUringUapi.IORING_OP_URING_CMD, $"last_op {probe.LastOp}");
        Assert.True(probe.Supports(IoUringUapi.IORING_OP_NOP));
        Assert.True(probe.Supports(IoUringUapi.IORING_OP_READV));
        Assert.False(probe.Supports(250));
        Assert.False(probe.Supports(255));

        // What the file backend needs; this kernel has it all.
        probe.RequireOpcodes(
            (IoUringUapi.IORING_OP_READV, "READV"),
            (IoUringUapi.IORING_OP_WRITEV, "WRITEV"),
            (IoUringUapi.IORING_OP_FSYNC, "FSYNC"),
            (IoUringUapi.IORING_OP_READ_FIXED, "READ_FIXED"),
            (IoUringUapi.IORING_OP_WRITE_FIXED, "WRITE_FIXED"),
            (IoUringUapi.IORING_OP_FALLOCATE, "FALLOCATE"),
            (IoUringUapi.IORING_OP_READ, "READ"),
            (IoUringUapi.IORING_OP_WRITE, "WRITE"),
            (IoUringUapi.IORING_OP_POLL_ADD, "POLL_ADD"),
            (IoUringUapi.IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"),
            (IoUringUapi.IORING_OP_URING_CMD, "URING_CMD"));

        var e = Assert.Throws<IoUringException>(() => probe.RequireOpcodes((IoUringUapi.IORING_OP_NOP, "NOP"), (250, "OP_250")));
        Assert.Equal("the kernel's io_uring lacks OP_250; need a newer kernel", e.Message);
    }

    [Fact]
    public void RequireOpcodes_names_every_missing_opcode_and_the_newest_kernel_needed()
    {
        // A 5.4-like kernel: opcodes 0..16 known, FALLOCATE and later not.
        var ops = new io_uring_probe_op[17];
        for (int i = 0; i < ops.Length; i++)
        {
            ops[i] = new io_uring_probe_op { op = (byte)i, flags = IoUringUapi.IO_URING_OP_SUPPORTED };
        }

        var probe = new IoUringProbe(16, ops);
        Assert.True(probe.Supports(IoUringUapi.IORING_OP_WRITEV));
        Assert.False(probe.Supports(IoUringUapi.IORING_OP_FALLOCATE));

        var one = Assert.Throws<IoUringException>(() => probe.RequireOpcodes(
            (IoUringUapi.IORING_OP_READV, "READV"), (IoUringUapi.IORING_OP_FALLOCATE, "FALLOCATE")));
        Assert.Equal("the kernel's io_uring lacks FALLOCATE; need Linux >= 5.6", one.Message);

        var two = Assert.Throws<IoUringException>(() => probe.RequireOpcodes(
            (IoUringUapi.IORING_OP_FALLOCATE, "FALLOCATE"), (IoUringUapi.IORING_OP_URING_CMD, "URING_CMD")));
        Assert.Equal("the kernel's io_uring lacks FALLOCATE, URING_CMD; need Linux >= 5.19", two.Message);
    }

    [Fact]
    public void Probe_ignores_entries_the_kernel_marks_unsupported()
    {
        io_uring_probe_op[] ops =
        [
            new() { op = 0, flags = IoUringUapi.IO_URING_OP_SUPPORTED },
            new() { op = 1, flags = 0 },
        ];
        var probe = new IoUringProbe(1, ops);
        Assert.True(probe.Supports(0));
        Assert.False(probe.Supports(1));
        Assert.Equal(new Version(5, 6), IoUringProbe.IntroducedIn(IoUringUapi.IORING_OP_READ));
        Assert.Null(IoUringProbe.IntroducedIn(250));
    }
}
