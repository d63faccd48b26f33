using VduseAot.Network.Nbd;
using Xunit;

namespace VduseAot.Network.Tests;

public sealed class NbdUriTests
{
    [Theory]
    [InlineData("nbd://example.com/disk", "example.com", 10809, "disk")]
    [InlineData("nbd://127.0.0.1:10810/", "127.0.0.1", 10810, "")]
    [InlineData("nbd://127.0.0.1", "127.0.0.1", 10809, "")]
    [InlineData("nbd://h//disk", "h", 10809, "/disk")]
    [InlineData("nbd://h/hello%20world", "h", 10809, "hello world")]
    [InlineData("nbd://[::1]:4000/x", "::1", 4000, "x")]
    public void Tcp_uris_give_host_port_and_export(string text, string host, int port, string export)
    {
        NbdUri? uri = NbdUri.TryParse(text, out string? error);
        Assert.Null(error);
        Assert.NotNull(uri);
        Assert.Equal(host, uri.Endpoint.Host);
        Assert.Equal(port, uri.Endpoint.Port);
        Assert.Equal(export, uri.Export);
    }

    [Theory]
    [InlineData("nbd://127.0.0.1", "nbd://127.0.0.1:10809/")]
    [InlineData("nbd://127.0.0.1:10809/", "nbd://127.0.0.1:10809/")]
    [InlineData("NBD://h/hello%20world", "nbd://h:10809/hello%20world")]
    [InlineData("nbd://[::1]:4000/x", "nbd://[::1]:4000/x")]
    [InlineData("nbd+unix:///disk?socket=/run/nbd%2d1.sock", "nbd+unix:///disk?socket=/run/nbd-1.sock")]
    public void Spellings_of_one_disk_have_one_canonical_form(string text, string canonical)
    {
        Assert.Equal(canonical, NbdUri.TryParse(text, out _)!.Canonical);
    }

    [Fact]
    public void Unix_uri_gives_socket_and_export()
    {
        NbdUri? uri = NbdUri.TryParse("nbd+unix:///disk?socket=/run/nbd%2d1.sock", out string? error);
        Assert.Null(error);
        Assert.Equal("/run/nbd-1.sock", uri!.Endpoint.UnixPath);
        Assert.Equal("disk", uri.Export);
        Assert.Equal("unix socket /run/nbd-1.sock", uri.Endpoint.ToString());
    }

    [Theory]
    [InlineData("disk.img", "not an NBD URI")]
    [InlineData("http://h/x", "unknown scheme")]
    [InlineData("nbds://h/x", "TLS")]
    [InlineData("nbd://h:0/x", "port")]
    [InlineData("nbd://h:99999/x", "port")]
    [InlineData("nbd://::1/x", "brackets")]
    [InlineData("nbd:///x", "no host")]
    [InlineData("nbd+unix:///x", "needs ?socket=PATH")]
    [InlineData("nbd+unix://h/x?socket=/s", "has no host")]
    [InlineData("nbd://h/x?socket=/s", "belongs to nbd+unix")]
    [InlineData("nbd://h/x%zz", "percent")]
    [InlineData("nbd://h/x?tls-type=x509", "TLS")]
    public void Bad_uris_say_what_is_wrong(string text, string expected)
    {
        Assert.Null(NbdUri.TryParse(text, out string? error));
        Assert.Contains(expected, error, System.StringComparison.Ordinal);
    }
}
