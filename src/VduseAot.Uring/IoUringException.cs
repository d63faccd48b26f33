using System;
using VduseAot.Interop;

namespace VduseAot.Uring;

/// <summary>
/// An io_uring failure with a one-line message that names the call, the errno and, where the errno has a
/// usual cause, what to do about it.
/// </summary>
public sealed class IoUringException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public IoUringException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the errno that caused it.</summary>
    public IoUringException(string message, Errno errno)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public IoUringException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public IoUringException()
    {
    }

    /// <summary>The errno behind the failure, or <see cref="Errno.OK"/> when there was none (e.g. a missing opcode).</summary>
    public Errno Errno { get; }

    /// <summary>"call: ENAME (text)" plus an optional hint; only built on failure paths.</summary>
    internal static IoUringException FromErrno(string call, Errno errno, string? hint = null)
        => new(call + ": " + errno.Describe() + (hint is null ? string.Empty : "; " + hint), errno);
}
