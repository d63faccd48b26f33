using System;
using System.Collections.Generic;
using System.Text;
using VduseAot.Interop;

namespace VduseAot.Uring;

/// <summary>
/// The opcodes this kernel's io_uring implements (IORING_REGISTER_PROBE), so start-up can refuse clearly
/// instead of failing the first request with -EINVAL.
/// </summary>
public sealed class IoUringProbe
{
    private readonly ulong[] supported = new ulong[4];   // one bit per opcode 0..255

    /// <summary>Builds the probe from the kernel's answer; public so tests can describe any kernel.</summary>
    public IoUringProbe(byte lastOp, ReadOnlySpan<io_uring_probe_op> ops)
    {
        LastOp = lastOp;
        foreach (io_uring_probe_op op in ops)
        {
            if ((op.flags & IoUringUapi.IO_URING_OP_SUPPORTED) != 0 && op.op <= lastOp)
            {
                supported[op.op >> 6] |= 1UL << (op.op & 63);
            }
        }
    }

    /// <summary>The highest opcode this kernel knows (it may still not support every opcode below it).</summary>
    public byte LastOp { get; }

    /// <summary>True when the kernel implements <paramref name="opcode"/> (an IORING_OP_* value).</summary>
    public bool Supports(byte opcode) => (supported[opcode >> 6] & (1UL << (opcode & 63))) != 0;

    /// <summary>
    /// Throws one <see cref="IoUringException"/> naming every opcode of <paramref name="ops"/> the kernel
    /// lacks and the Linux version that has them all, e.g. "the kernel's io_uring lacks FALLOCATE; need
    /// Linux >= 5.6".
    /// </summary>
    public void RequireOpcodes(params (byte op, string name)[] ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var missing = new List<string>();
        Version? need = null;
        bool unknown = false;
        foreach ((byte op, string name) in ops)
        {
            if (Supports(op))
            {
                continue;
            }

            missing.Add(name);
            Version? since = IntroducedIn(op);
            if (since is null)
            {
                unknown = true;
            }
            else if (need is null || since > need)
            {
                need = since;
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        var message = new StringBuilder("the kernel's io_uring lacks ").AppendJoin(", ", missing);
        if (need is not null && !unknown)
        {
            message.Append("; need Linux >= ").Append(need.ToString(2));
        }
        else
        {
            message.Append("; need a newer kernel");
        }

        throw new IoUringException(message.ToString());
    }

    /// <summary>The Linux version that added <paramref name="opcode"/>, or null when this table does not know it.</summary>
    public static Version? IntroducedIn(byte opcode) => opcode switch
    {
        <= IoUringUapi.IORING_OP_WRITE_FIXED => new Version(5, 1),    // NOP .. WRITE_FIXED
        IoUringUapi.IORING_OP_POLL_ADD or 7 => new Version(5, 1),     // POLL_ADD, POLL_REMOVE
        8 => new Version(5, 2),                                        // SYNC_FILE_RANGE
        9 or 10 => new Version(5, 3),                                  // SENDMSG, RECVMSG
        11 => new Version(5, 4),                                       // TIMEOUT
        >= 12 and <= 16 => new Version(5, 5),                          // TIMEOUT_REMOVE .. CONNECT (ASYNC_CANCEL is 14)
        >= IoUringUapi.IORING_OP_FALLOCATE and <= 29 => new Version(5, 6), // FALLOCATE .. EPOLL_CTL (READ, WRITE)
        >= 30 and <= 32 => new Version(5, 7),                          // SPLICE, PROVIDE/REMOVE_BUFFERS
        33 => new Version(5, 8),                                       // TEE
        >= 34 and <= 36 => new Version(5, 11),                         // SHUTDOWN, RENAMEAT, UNLINKAT
        >= 37 and <= 39 => new Version(5, 15),                         // MKDIRAT, SYMLINKAT, LINKAT
        40 => new Version(5, 18),                                      // MSG_RING
        >= 41 and <= IoUringUapi.IORING_OP_URING_CMD => new Version(5, 19), // xattr ops, SOCKET, URING_CMD
        47 => new Version(6, 0),                                       // SEND_ZC
        48 => new Version(6, 1),                                       // SENDMSG_ZC
        _ => null,
    };
}
