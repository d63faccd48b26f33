using System;

namespace VduseAot.Block;

/// <summary>A backend cannot be opened as asked; the one-line message says why and what to do.</summary>
public sealed class BackendException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public BackendException(string message)
        : base(message)
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public BackendException()
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public BackendException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
