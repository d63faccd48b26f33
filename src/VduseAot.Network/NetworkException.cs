using System;

namespace VduseAot.Network;

/// <summary>A server cannot be reached or spoke out of turn; the one-line message names the server and the reason.</summary>
public sealed class NetworkException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public NetworkException(string message)
        : base(message)
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public NetworkException()
    {
    }

    /// <summary>Not used; required by the analyzers' exception pattern.</summary>
    public NetworkException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
