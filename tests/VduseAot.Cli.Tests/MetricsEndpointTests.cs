using System.Net;
using Xunit;

namespace VduseAot.Cli.Tests;

public sealed class MetricsEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:9100", "127.0.0.1", 9100)]
    [InlineData("0.0.0.0:1", "0.0.0.0", 1)]
    [InlineData("[::1]:65535", "::1", 65535)]
    [InlineData("[::]:9100", "::", 9100)]
    public void Parses_ipv4_and_bracketed_ipv6(string text, string address, int port)
    {
        IPEndPoint e = MetricsEndpoint.Parse(text);
        Assert.Equal(IPAddress.Parse(address), e.Address);
        Assert.Equal(port, e.Port);
    }

    [Theory]
    [InlineData("the address must be given", ":9100")]
    [InlineData("no port", "127.0.0.1")]
    [InlineData("the port must be a number from 1 to 65535", "127.0.0.1:0")]
    [InlineData("the port must be a number from 1 to 65535", "127.0.0.1:65536")]
    [InlineData("the port must be a number from 1 to 65535", "127.0.0.1:")]
    [InlineData("the port must be a number from 1 to 65535", "127.0.0.1:+80")]
    [InlineData("'localhost' is not an IPv4 address (host names are not resolved)", "localhost:9100")]
    [InlineData("'127.1' is not an IPv4 address", "127.1:9100")]
    [InlineData("'256.0.0.1' is not an IPv4 address", "256.0.0.1:9100")]
    [InlineData("an IPv6 address goes in brackets", "::1:9100")]
    [InlineData("needs ':PORT' after the ']'", "[::1]")]
    [InlineData("'127.0.0.1' is not an IPv6 address", "[127.0.0.1]:9100")]
    public void Rejects_with_one_line(string expected, string text)
    {
        UsageException e = Assert.Throws<UsageException>(() => MetricsEndpoint.Parse(text));
        Assert.StartsWith("--metrics-listen '" + text + "': ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Contains("127.0.0.1:9100 or [::1]:9100", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Serve_takes_the_flag_and_is_off_without_it()
    {
        Assert.Null(ServeOptions.Parse(["--name", "d", "--ram", "1M"]).MetricsListen);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9100), ServeOptions.Parse(["--name", "d", "--ram", "1M", "--metrics-listen", "127.0.0.1:9100"]).MetricsListen);
        UsageException e = Assert.Throws<UsageException>(() => ServeOptions.Parse(["--name", "d", "--ram", "1M", "--metrics-listen"]));
        Assert.Equal("--metrics-listen needs a value", e.Message);
    }
}
