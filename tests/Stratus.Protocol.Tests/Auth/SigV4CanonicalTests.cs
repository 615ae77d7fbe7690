using System.Text;
using Stratus.Protocol.Auth;
using Xunit;

namespace Stratus.Protocol.Tests.Auth;

/// <summary>The canonical-request building blocks, against the forms the SigV4 spec and test suite publish.</summary>
public sealed class SigV4CanonicalTests
{
    [Theory]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    [InlineData("//example//", "/example/")]
    [InlineData("/example/..", "/")]
    [InlineData("/example1/example2/../..", "/")]
    [InlineData("/./", "/")]
    [InlineData("/./example", "/example")]
    [InlineData("/example space/", "/example%20space/")]
    [InlineData("/\u1234", "/%E1%88%B4")]
    [InlineData("/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")]
    [InlineData("/a%20b/./c/../d%2Fe/", "/a%2520b/d%252Fe/")]
    [InlineData("/a/..b/.c", "/a/..b/.c")]
    public void Path_is_normalised_and_encoded_again(string raw, string expected)
    {
        var sb = new StringBuilder();
        SigV4Canonical.AppendPath(sb, raw, s3Rules: false);
        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void Path_with_many_segments_is_handled()
    {
        var raw = "/" + string.Join('/', Enumerable.Range(0, 100).Select(i => "s" + i)) + "/../x";
        var sb = new StringBuilder();
        SigV4Canonical.AppendPath(sb, raw, s3Rules: false);
        Assert.Equal("/" + string.Join('/', Enumerable.Range(0, 99).Select(i => "s" + i)) + "/x", sb.ToString());
    }

    [Theory]
    [InlineData("/bucket/my%20key", "/bucket/my%20key")]
    [InlineData("/bucket/a+b/./c", "/bucket/a%2Bb/./c")]
    [InlineData("/bucket/a%2fb", "/bucket/a%2Fb")]
    [InlineData("//double", "//double")]
    public void S3_path_is_encoded_once_and_not_normalised(string raw, string expected)
    {
        var sb = new StringBuilder();
        SigV4Canonical.AppendPath(sb, raw, s3Rules: true);
        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("Param2=value2&Param1=value1", "Param1=value1&Param2=value2")]
    [InlineData("Param1=value2&Param1=value1", "Param1=value1&Param1=value2")]
    [InlineData("a=1&a=1", "a=1&a=1")]
    [InlineData("b&a=1", "a=1&b=")]
    [InlineData("a=1=2", "a=1%3D2")]
    [InlineData("&&a=1&", "a=1")]
    [InlineData("\u1234=bar", "%E1%88%B4=bar")]
    [InlineData("%e1%88%b4=bar", "%E1%88%B4=bar")]
    [InlineData("q=a%7Eb", "q=a~b")]
    [InlineData("q=a~b", "q=a~b")]
    [InlineData("q=a*b", "q=a%2Ab")]
    [InlineData("q=a%2ab", "q=a%2Ab")]
    [InlineData("q=a%20b", "q=a%20b")]
    [InlineData("q=a+b", "q=a%20b")]
    [InlineData("q=a%2Bb", "q=a%2Bb")]
    [InlineData("q=100%", "q=100%25")]
    [InlineData("q=%zz", "q=%25zz")]
    [InlineData("X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fec2%2Faws4_request", "X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fec2%2Faws4_request")]
    [InlineData("Filter.1.Value.1=caf%C3%A9&Filter.1.Name=tag%3AName", "Filter.1.Name=tag%3AName&Filter.1.Value.1=caf%C3%A9")]
    public void Query_is_decoded_reencoded_and_sorted(string raw, string expected)
    {
        var sb = new StringBuilder();
        SigV4Canonical.AppendQuery(sb, SigV4Canonical.ParseQuery(raw), skipKey: null);
        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void Query_sort_is_by_encoded_bytes()
    {
        // '%' (0x25) sorts before letters and '_' (0x5F) after upper case: byte order, not culture order.
        var sb = new StringBuilder();
        SigV4Canonical.AppendQuery(sb, SigV4Canonical.ParseQuery("b=1&a_b=2&aB=3&a%20=4&A=5"), skipKey: null);
        Assert.Equal("A=5&a%20=4&aB=3&a_b=2&b=1", sb.ToString());
    }

    [Fact]
    public void Signature_parameter_is_skipped()
    {
        var sb = new StringBuilder();
        SigV4Canonical.AppendQuery(sb, SigV4Canonical.ParseQuery("X-Amz-Signature=abc&A=1&Z=2"), skipKey: "X-Amz-Signature");
        Assert.Equal("A=1&Z=2", sb.ToString());
    }

    [Theory]
    [InlineData("value", "value")]
    [InlineData("  value1  ", "value1")]
    [InlineData("\"a   b   c\"", "\"a b c\"")]
    [InlineData("a\t \tb", "a b")]
    [InlineData("value1\n  value2\n     value3", "value1 value2 value3")]
    [InlineData("", "")]
    [InlineData("   ", "")]
    public void Header_value_is_trimmed_and_collapsed(string value, string expected)
    {
        var sb = new StringBuilder();
        SigV4Canonical.AppendHeaderValue(sb, value);
        Assert.Equal(expected, sb.ToString());
    }

    [Theory]
    [InlineData("AKID%2F20150830", "AKID/20150830")]
    [InlineData("plain", "plain")]
    [InlineData("caf%C3%A9", "caf\u00e9")]
    public void Canonical_component_decodes(string canonical, string expected) =>
        Assert.Equal(expected, SigV4Canonical.Decode(canonical));
}
