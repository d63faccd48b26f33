using System;
using System.Text;

namespace VduseAot;

/// <summary>
/// The metrics endpoint's reading of an HTTP/1.x request head and the replies it sends. Only the
/// request line matters: headers are read (to find the end of the head) and ignored.
/// </summary>
public static class MetricsRequest
{
    /// <summary>The path served.</summary>
    public const string Path = "/metrics";

    /// <summary>The status for request head <paramref name="head"/>: 200, 400 (malformed), 404 (another path) or 405 (not GET or HEAD).</summary>
    public static int Route(ReadOnlySpan<byte> head, out bool headOnly)
    {
        headOnly = false;
        int end = head.IndexOf((byte)'\n');
        string line = Encoding.Latin1.GetString(end < 0 ? head : head[..end]).TrimEnd('\r');
        string[] parts = line.Split(' ');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return 400;
        }

        foreach (char c in parts[0])
        {
            if (c is < 'A' or > 'Z')
            {
                return 400;
            }
        }

        if (parts[0] != "GET" && parts[0] != "HEAD")
        {
            return 405;
        }

        headOnly = parts[0] == "HEAD";
        string target = parts[1];
        return target == Path || target.StartsWith(Path + "?", StringComparison.Ordinal) ? 200 : 404;
    }

    /// <summary>True when <paramref name="received"/> holds a whole request head (up to the empty line).</summary>
    public static bool IsComplete(ReadOnlySpan<byte> received) =>
        received.IndexOf("\r\n\r\n"u8) >= 0 || received.IndexOf("\n\n"u8) >= 0;

    /// <summary>The whole reply: status line, headers and (unless <paramref name="headOnly"/>) body; one connection per request.</summary>
    public static byte[] Reply(int status, string body, bool headOnly)
    {
        ArgumentNullException.ThrowIfNull(body);
        byte[] content = Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(status).Append(' ').Append(Reason(status)).Append("\r\n");
        head.Append("Content-Type: ").Append(status == 200 ? PrometheusMetrics.ContentType : "text/plain; charset=utf-8").Append("\r\n");
        head.Append("Content-Length: ").Append(content.Length).Append("\r\n");
        if (status == 405)
        {
            head.Append("Allow: GET, HEAD\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        byte[] headBytes = Encoding.ASCII.GetBytes(head.ToString());
        if (headOnly)
        {
            return headBytes;
        }

        byte[] reply = new byte[headBytes.Length + content.Length];
        headBytes.CopyTo(reply, 0);
        content.CopyTo(reply, headBytes.Length);
        return reply;
    }

    /// <summary>The one-line body of an error reply.</summary>
    public static string ErrorBody(int status) => status switch
    {
        400 => "bad request: send GET " + Path + " HTTP/1.1\n",
        404 => "not found: only " + Path + " is served\n",
        405 => "method not allowed: use GET " + Path + "\n",
        431 => "request head longer than " + MetricsServer.MaxHeadBytes + " bytes\n",
        _ => "metrics unavailable: the daemon is stopping\n",
    };

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
}
