using System;
using VduseAot.Interop;

namespace VduseAot.Uring;

/// <summary>The IOSQE_* bits of an SQE, typed so a prep call cannot be handed an rw or fsync flag by mistake.</summary>
[Flags]
#pragma warning disable CA1028 // the SQE's flags field is one byte
public enum SqeFlags : byte
#pragma warning restore CA1028
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>IOSQE_FIXED_FILE: the fd is an index into <see cref="IoUring.RegisterFiles"/>'s table.</summary>
    FixedFile = IoUringUapi.IOSQE_FIXED_FILE,

    /// <summary>IOSQE_IO_DRAIN: start only after every earlier request completed.</summary>
    IoDrain = IoUringUapi.IOSQE_IO_DRAIN,

    /// <summary>IOSQE_IO_LINK: the next SQE starts only after this one succeeded.</summary>
    IoLink = IoUringUapi.IOSQE_IO_LINK,

    /// <summary>IOSQE_IO_HARDLINK: like IoLink, but the chain survives a failure.</summary>
    IoHardlink = IoUringUapi.IOSQE_IO_HARDLINK,

    /// <summary>IOSQE_ASYNC: go straight to an async worker.</summary>
    Async = IoUringUapi.IOSQE_ASYNC,

    /// <summary>IOSQE_BUFFER_SELECT: pick a buffer from the SQE's buffer group.</summary>
    BufferSelect = IoUringUapi.IOSQE_BUFFER_SELECT,

    /// <summary>IOSQE_CQE_SKIP_SUCCESS: post no CQE when the request succeeds (5.17).</summary>
    CqeSkipSuccess = IoUringUapi.IOSQE_CQE_SKIP_SUCCESS,
}
