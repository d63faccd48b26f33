using System;
using VduseAot.Block;
using VduseAot.Interop;
using VduseAot.Uring;
using io_uring_sqe = VduseAot.Interop.io_uring_sqe;

namespace VduseAot.Network;

/// <content>
/// Zero-copy sends: a batch of at least <see cref="SpliceMinBytes"/> goes into a pipe by reference
/// (vmsplice) and from there into the socket (IORING_OP_SPLICE, run by an io-wq worker, so a full
/// socket never blocks the queue thread). The socket then holds the guest's pages instead of a copy:
/// in the VM bench a 128k NVMe/TCP write cost the queue thread a third of the CPU. Smaller batches are
/// copied by SENDMSG, which costs no syscall of its own. Memory vmsplice refuses turns splicing off
/// for the connection.
/// </content>
internal abstract unsafe partial class QueueConnection
{
    private const uint OpSplice = 6;

    /// <summary>
    /// Below this a batch is copied: two more syscalls and an io-wq hop cost more than copying a few
    /// KiB, except under emulation.
    /// </summary>
    private const ulong SpliceMinBytes = 32768;

    private PayloadPipe? _pipe;
    private ulong _pipeBytes;
    private bool _splicing;

    /// <summary>
    /// False when a header in the batch sits where the socket may still hold an earlier one of the
    /// same command (NVMe/TCP: a second H2CData PDU): such a batch is copied.
    /// </summary>
    protected virtual bool BatchHeadersStable => true;

    /// <summary>Batches sent spliced so far (the tests check that the path ran).</summary>
    public long SplicedSends { get; private set; }

    private void AttachPipe()
    {
        try
        {
            _pipe = Ring.Probe().Supports(IoUringUapi.IORING_OP_SPLICE) ? PayloadPipe.TryCreate() : null;
        }
        catch (IoUringException)
        {
            _pipe = null; // no probe (before 5.6): no splice either
        }
    }

    /// <summary>Whether the batch just built goes through the pipe.</summary>
    private bool ChooseSplice()
    {
        if (_pipe == null || !BatchHeadersStable)
        {
            return false;
        }

        ulong bytes = 0;
        for (int i = _sendIovFirst; i < SendIovCount; i++)
        {
            bytes += SendIov[i].iov_len;
        }

        return bytes >= SpliceMinBytes;
    }

    private void SubmitSplice()
    {
        if (_pipeBytes == 0)
        {
            long put = _pipe!.Fill(SendIov + _sendIovFirst, SendIovCount - _sendIovFirst);
            if (put <= 0)
            {
                Errno e = ErrnoExtensions.Last();
                _log(_dial.Name + ": vmsplice refused the send (" + e.Describe() + "); sending copies from now on");
                _pipe.Dispose();
                _pipe = null;
                _splicing = false;
                SubmitSend();
                return;
            }

            _sendIovFirst = IovecCursor.Advance(SendIov, _sendIovFirst, SendIovCount, (ulong)put);
            _pipeBytes = (ulong)put;
        }

        io_uring_sqe* sqe = NextSqeOrLose();
        if (sqe != null)
        {
            uint more = _sendIovFirst < SendIovCount ? Sys.SPLICE_F_MORE : 0;
            SqePrep.Splice(sqe, _pipe!.ReadFd, SocketFd, (uint)_pipeBytes, more, BlkQueueUserDataCodec.EncodeConnection(Tag(OpSplice)));
            _sendInFlight = true;
        }
    }

    private void OnSpliced(int result)
    {
        _sendInFlight = false;
        if (result <= 0)
        {
            LoseSend(result);
            return;
        }

        _pipeBytes -= Math.Min(_pipeBytes, (ulong)result);
        if (_pipeBytes > 0 || _sendIovFirst < SendIovCount)
        {
            SubmitSplice();
            return;
        }

        _splicing = false;
        SplicedSends++;
        SendMore();
    }

    /// <summary>A new connection: bytes a lost one left in the pipe must not reach it.</summary>
    private void ResetPipe()
    {
        _splicing = false;
        if (_pipeBytes > 0 && _pipe != null && !_pipe.Renew())
        {
            _pipe.Dispose();
            _pipe = null;
        }

        _pipeBytes = 0;
    }

    private void DisposePipe()
    {
        _pipe?.Dispose();
        _pipe = null;
    }
}
