using System.Text;
using Xunit;

namespace VduseAot.Cli.Tests;

public sealed class MetricsRequestTests
{
    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200, false)]
    [InlineData("GET /metrics?name[]=x HTTP/1.0\r\n\r\n", 200, false)]
    [InlineData("HEAD /metrics HTTP/1.1\r\n\r\n", 200, true)]
    [InlineData("GET /metricsx HTTP/1.1\r\n\r\n", 404, false)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", 404, false)]
    [InlineData("GET /foo HTTP/1.1\r\n\r\n", 404, false)]
    [InlineData("POST /metrics HTTP/1.1\r\n\r\n", 405, false)]
    [InlineData("DELETE /foo HTTP/1.1\r\n\r\n", 405, false)]
    [InlineData("GET /metrics\r\n\r\n", 400, false)]
    [InlineData("GET /metrics HTTP/2\r\n\r\n", 400, false)]
    [InlineData("GET  /metrics HTTP/1.1\r\n\r\n", 400, false)]
    [InlineData("get /metrics HTTP/1.1\r\n\r\n", 400, false)]
    [InlineData("\r\n\r\n", 400, false)]
    [InlineData("\u0016\u0003\u0001 TLS hello", 400, false)]
    public void Routes_by_request_line(string head, int status, bool headOnly)
    {
        Assert.Equal(status, MetricsRequest.Route(Encoding.Latin1.GetBytes(head), out bool only));
        Assert.Equal(headOnly, only);
    }

    [Fact]
    public void A_head_is_complete_at_the_empty_line()
    {
        Assert.False(MetricsRequest.IsComplete("GET /metrics HTTP/1.1\r\nHost: x\r\n"u8));
        Assert.True(MetricsRequest.IsComplete("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"u8));
        Assert.True(MetricsRequest.IsComplete("GET /metrics HTTP/1.1\n\n"u8));
    }

    [Fact]
    public void Replies_have_status_type_length_and_close()
    {
        string ok = Encoding.UTF8.GetString(MetricsRequest.Reply(200, "a 1\n", headOnly: false));
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\nConnection: close\r\n\r\na 1\n", ok);
        string head = Encoding.UTF8.GetString(MetricsRequest.Reply(200, "a 1\n", headOnly: true));
        Assert.EndsWith("Content-Length: 4\r\nConnection: close\r\n\r\n", head);
        string notAllowed = Encoding.UTF8.GetString(MetricsRequest.Reply(405, MetricsRequest.ErrorBody(405), headOnly: false));
        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n", notAllowed);
        Assert.Contains("\r\nAllow: GET, HEAD\r\n", notAllowed);
    }
}
