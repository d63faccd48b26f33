using System;

namespace VduseAot;

/// <summary>A command-line mistake: printed as one line, exit status 2.</summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates the exception with the one-line reason.</summary>
    public UsageException(string message)
        : base(message)
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public UsageException()
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public UsageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
