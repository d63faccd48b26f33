using System;
using System.Globalization;
using System.Text;

namespace VduseAot.Network.Nbd;

/// <summary>
/// An NBD URI (the NBD project's doc/uri.md): <c>nbd://HOST[:PORT]/EXPORT</c> over TCP (port 10809 by
/// default, IPv6 literals in brackets) or <c>nbd+unix:///EXPORT?socket=PATH</c> over a unix socket. The
/// export name is the percent-decoded path without its leading '/'. TLS schemes are refused.
/// </summary>
public sealed record NbdUri
{
    /// <summary>The URI as given.</summary>
    public required string Text { get; init; }

    /// <summary>Where the server listens.</summary>
    public required NetworkEndpoint Endpoint { get; init; }

    /// <summary>The export name (may be empty: the server's default export).</summary>
    public required string Export { get; init; }

    /// <summary>
    /// The URI in one spelling per server and export (port and path always given, the export
    /// percent-encoded as in <see cref="Text"/>'s form): what a takeover compares, so
    /// <c>nbd://h/e</c> and <c>nbd://h:10809/e</c> are the same disk.
    /// </summary>
    public string Canonical => Endpoint.UnixPath is string path
        ? "nbd+unix:///" + Uri.EscapeDataString(Export) + "?socket=" + path
        : "nbd://" + Endpoint + "/" + Uri.EscapeDataString(Export);

    /// <summary>Parses <paramref name="text"/>; null with <paramref name="error"/> saying what is wrong.</summary>
    public static NbdUri? TryParse(string text, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        error = null;
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            error = "'" + text + "' is not an NBD URI: expected nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH";
            return null;
        }

        string scheme = text.Substring(0, schemeEnd).ToLowerInvariant();
        string rest = text.Substring(schemeEnd + 3);
        int pathStart = rest.IndexOfAny(['/', '?']);
        string authority = pathStart < 0 ? rest : rest.Substring(0, pathStart);
        string afterAuthority = pathStart < 0 ? "" : rest.Substring(pathStart);
        int queryStart = afterAuthority.IndexOf('?', StringComparison.Ordinal);
        string path = queryStart < 0 ? afterAuthority : afterAuthority.Substring(0, queryStart);
        string query = queryStart < 0 ? "" : afterAuthority.Substring(queryStart + 1);
        string? export = PercentDecode(path.Length > 0 ? path.Substring(1) : "", out error);
        if (export == null)
        {
            return null;
        }

        string? socket = null;
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? pair : pair.Substring(0, eq);
            string? value = PercentDecode(eq < 0 ? "" : pair.Substring(eq + 1), out error);
            if (value == null)
            {
                return null;
            }

            if (key == "socket")
            {
                socket = value;
            }
            else if (key.StartsWith("tls", StringComparison.Ordinal))
            {
                error = text + ": TLS is not supported (query parameter '" + key + "')";
                return null;
            }
        }

        NetworkEndpoint? endpoint = scheme switch
        {
            "nbd" => Tcp(text, authority, socket, out error),
            "nbd+unix" => Unix(text, authority, socket, out error),
            "nbds" or "nbds+unix" => Fail(text + ": TLS (" + scheme + "://) is not supported; use nbd:// or nbd+unix://", out error),
            _ => Fail(text + ": unknown scheme '" + scheme + "' (nbd or nbd+unix)", out error),
        };
        return endpoint == null ? null : new NbdUri { Text = text, Endpoint = endpoint, Export = export };
    }

    private static NetworkEndpoint? Tcp(string text, string authority, string? socket, out string? error)
    {
        if (socket != null)
        {
            return Fail(text + ": ?socket= belongs to nbd+unix:// URIs", out error);
        }

        if (authority.Contains('@', StringComparison.Ordinal))
        {
            return Fail(text + ": user names are for TLS authentication, which is not supported", out error);
        }

        return NetworkEndpoint.TryParseHostPort(authority, NbdProto.DefaultPort, out error) is NetworkEndpoint e
            ? e
            : Fail(text + ": " + error, out error);
    }

    private static NetworkEndpoint? Unix(string text, string authority, string? socket, out string? error)
    {
        if (authority.Length > 0)
        {
            return Fail(text + ": a unix-socket URI has no host (nbd+unix:///EXPORT?socket=PATH)", out error);
        }

        if (string.IsNullOrEmpty(socket))
        {
            return Fail(text + ": nbd+unix:// needs ?socket=PATH", out error);
        }

        if (Encoding.UTF8.GetByteCount(socket) >= NetworkEndpoint.MaxUnixPathBytes)
        {
            return Fail(text + ": the socket path is longer than " + (NetworkEndpoint.MaxUnixPathBytes - 1) + " bytes", out error);
        }

        error = null;
        return NetworkEndpoint.ForUnix(socket);
    }

    private static NetworkEndpoint? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }

    private static string? PercentDecode(string s, out string? error)
    {
        error = null;
        if (!s.Contains('%', StringComparison.Ordinal))
        {
            return s;
        }

        var bytes = new byte[Encoding.UTF8.GetByteCount(s)];
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '%')
            {
                if (i + 2 >= s.Length || !byte.TryParse(s.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                {
                    error = "bad percent escape in '" + s + "'";
                    return null;
                }

                bytes[n++] = b;
                i += 2;
            }
            else
            {
                n += Encoding.UTF8.GetBytes(s.AsSpan(i, 1), bytes.AsSpan(n));
            }
        }

        return Encoding.UTF8.GetString(bytes, 0, n);
    }
}
