using System;

namespace VduseAot.Vduse;

/// <summary>A runtime failure with a one-line message that says what to do about it (exit status 1).</summary>
public sealed class VduseException : Exception
{
    /// <summary>Creates the exception with its actionable message.</summary>
    public VduseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its actionable message and cause.</summary>
    public VduseException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public VduseException()
    {
    }
}
