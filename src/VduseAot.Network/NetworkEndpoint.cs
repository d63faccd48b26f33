using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace VduseAot.Network;

/// <summary>Where a storage server listens: a TCP host and port, or a unix socket path.</summary>
public sealed record NetworkEndpoint
{
    /// <summary>sizeof(sockaddr_un.sun_path): a path must fit with its NUL.</summary>
    public const int MaxUnixPathBytes = 108;

    private NetworkEndpoint()
    {
    }

    /// <summary>The host as given (a name, an IPv4 or an IPv6 literal without brackets); null for a unix socket.</summary>
    public string? Host { get; private init; }

    /// <summary>The TCP port (0 for a unix socket).</summary>
    public int Port { get; private init; }

    /// <summary>The unix socket path; null for TCP.</summary>
    public string? UnixPath { get; private init; }

    /// <summary>A unix socket endpoint.</summary>
    public static NetworkEndpoint ForUnix(string path) => new() { UnixPath = path };

    /// <summary>A TCP endpoint.</summary>
    public static NetworkEndpoint ForTcp(string host, int port) => new() { Host = host, Port = port };

    /// <summary>
    /// Parses <c>HOST</c>, <c>HOST:PORT</c>, <c>[V6]</c> or <c>[V6]:PORT</c>, with <paramref name="defaultPort"/>
    /// when no port is given; null with <paramref name="error"/> otherwise.
    /// </summary>
    public static NetworkEndpoint? TryParseHostPort(string text, int defaultPort, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        string host;
        string? port = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                error = "'" + text + "': an IPv6 address goes in brackets, [ADDR] or [ADDR]:PORT";
                return null;
            }

            host = text.Substring(1, close - 1);
            port = close + 1 < text.Length ? text.Substring(close + 2) : null;
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = "'" + host + "' is not an IPv6 address";
                return null;
            }
        }
        else
        {
            int colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && text.IndexOf(':', colon + 1) >= 0)
            {
                error = "'" + text + "': put an IPv6 address in brackets, [ADDR]:PORT";
                return null;
            }

            host = colon < 0 ? text : text.Substring(0, colon);
            port = colon < 0 ? null : text.Substring(colon + 1);
        }

        if (host.Length == 0)
        {
            error = "no host in '" + text + "'";
            return null;
        }

        int number = defaultPort;
        if (port != null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out number) || number < 1 || number > 65535))
        {
            error = "port '" + port + "' is not a number from 1 to 65535";
            return null;
        }

        return ForTcp(host, number);
    }

    /// <summary>"127.0.0.1:10809", "[::1]:4420" or "unix socket /run/nbd.sock", for messages.</summary>
    public override string ToString() => UnixPath != null
        ? "unix socket " + UnixPath
        : (Host!.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
}
