using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace VduseAot;

/// <summary>
/// `serve --metrics-listen ADDR:PORT`: an IPv4 address in dotted quads or an IPv6 address in
/// brackets, and a port. The address is required so that listening on every interface is a choice
/// written out (0.0.0.0, [::]) rather than a default; a host name is refused, as resolving it could
/// give an address nobody meant.
/// </summary>
public static partial class MetricsEndpoint
{
    private const string Form = "ADDR:PORT with an IPv4 address or a bracketed IPv6 one, for example 127.0.0.1:9100 or [::1]:9100";

    /// <summary>Parses <paramref name="text"/>; throws <see cref="UsageException"/> with a one-line reason.</summary>
    public static IPEndPoint Parse(string text)
    {
        System.ArgumentNullException.ThrowIfNull(text);
        string address;
        string port;
        IPAddress? ip;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf("]:", System.StringComparison.Ordinal);
            if (close < 0)
            {
                throw Bad(text, "an IPv6 address in brackets needs ':PORT' after the ']'");
            }

            address = text[1..close];
            port = text[(close + 2)..];
            if (!IPAddress.TryParse(address, out ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw Bad(text, "'" + address + "' is not an IPv6 address");
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                throw Bad(text, "no port");
            }

            address = text[..colon];
            port = text[(colon + 1)..];
            if (address.Length == 0)
            {
                throw Bad(text, "the address must be given (127.0.0.1 keeps the metrics on this host)");
            }

            if (address.Contains(':', System.StringComparison.Ordinal))
            {
                throw Bad(text, "an IPv6 address goes in brackets, like [::1]:9100");
            }

            // IPAddress.TryParse takes "1" or "127.1" too: only the four dotted quads are meant.
            if (!DottedQuad().IsMatch(address) || !IPAddress.TryParse(address, out ip))
            {
                throw Bad(text, "'" + address + "' is not an IPv4 address (host names are not resolved)");
            }
        }

        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort number) || number == 0)
        {
            throw Bad(text, "the port must be a number from 1 to 65535");
        }

        return new IPEndPoint(ip, number);
    }

    private static UsageException Bad(string text, string reason) =>
        new("--metrics-listen '" + text + "': " + reason + " (" + Form + ")");

    [GeneratedRegex("^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$")]
    private static partial Regex DottedQuad();
}
