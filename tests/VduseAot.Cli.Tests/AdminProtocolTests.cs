using VduseAot;
using Xunit;

namespace VduseAot.Cli.Tests;

/// <summary>The wire names are the protocol: daemons and clients of other versions must keep understanding each other.</summary>
public class AdminProtocolTests
{
    [Theory]
    [InlineData(AdminVerb.Info, "info")]
    [InlineData(AdminVerb.Stats, "stats")]
    [InlineData(AdminVerb.Metrics, "metrics")]
    [InlineData(AdminVerb.Resize, "resize")]
    [InlineData(AdminVerb.Stop, "stop")]
    public void Every_verb_has_its_documented_wire_name_both_ways(AdminVerb verb, string wire)
    {
        Assert.Equal(wire, AdminProtocol.WireName(verb));
        Assert.True(AdminProtocol.TryParseVerb(wire, out AdminVerb parsed));
        Assert.Equal(verb, parsed);
    }

    [Theory]
    [InlineData("Stop")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("list")]
    public void Anything_else_is_no_verb(string? wire) => Assert.False(AdminProtocol.TryParseVerb(wire, out _));

    [Fact]
    public void A_request_line_is_the_documented_json()
    {
        Assert.Equal("{\"cmd\":\"stats\"}", System.Text.Encoding.UTF8.GetString(AdminProtocol.Request(AdminVerb.Stats, null)));
        Assert.Equal("{\"cmd\":\"resize\",\"size\":1,\"force\":true}", System.Text.Encoding.UTF8.GetString(AdminProtocol.Request(AdminVerb.Resize, w =>
        {
            w.WriteNumber(AdminProtocol.Size, 1);
            w.WriteBoolean(AdminProtocol.Force, true);
        })));
        Assert.Equal("{\"ok\":false,\"error\":\"no\"}", System.Text.Encoding.UTF8.GetString(AdminProtocol.ErrorReply("no")));
    }
}
