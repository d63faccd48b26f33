using System;
using VduseAot.Interop;

namespace VduseAot.HostileDriver;

/// <summary>
/// The driver could not do what a case needs (an ioctl failed, the device is not what it expects):
/// one line that says which step and why, printed as the run's failure.
/// </summary>
public sealed class DriverException : Exception
{
    /// <summary>A failure described by <paramref name="message"/>.</summary>
    public DriverException(string message)
        : base(message)
    {
    }

    /// <summary>A failure of a call that set errno: "<paramref name="what"/>: ENOENT (...)".</summary>
    public static DriverException FromErrno(string what) => new(what + ": " + ErrnoExtensions.Last().Describe());
}

/// <summary>The daemon answered a case wrongly: the case fails with this reason.</summary>
public sealed class CaseFailedException(string message) : Exception(message);
