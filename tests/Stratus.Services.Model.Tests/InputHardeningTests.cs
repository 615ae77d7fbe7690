using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Stratus.Core;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Protocol.Cbor;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Json;
using Stratus.Protocol.Query;
using Stratus.Protocol.Xml;
using Stratus.Services.Model.CloudWatch;
using Stratus.Services.Model.Iam;
using Xunit;
using ServiceQuotasShapes = Stratus.Services.Model.ServiceQuotas.ServiceQuotasShapes;

namespace Stratus.Services.Model.Tests;

/// <summary>
/// Characters XML 1.0 cannot carry (U+0000–U+001F except tab, LF and CR; U+FFFE, U+FFFF; unpaired
/// surrogates) are refused by every parser without echoing them, and no serializer writes an
/// unparseable document for anything that may already be stored.
/// </summary>
public sealed class InputHardeningTests
{
    // By index: xUnit would replace unpaired surrogates in theory data while serializing it.
    private static readonly string[] Bad = ["a\u0001b", "nul\u0000", "esc\u001B[31m", "x\uFFFE", "y\uFFFF", "lone\uD800", "lone\uDC00z", "\u000B"];

    public static TheoryData<int> BadStrings => new(Enumerable.Range(0, Bad.Length));

    private static void AssertNotEchoed(AwsException e, string bad)
    {
        foreach (var c in bad.Where(c => (c < 0x20 && c is not ('\t' or '\n' or '\r')) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF'))
        {
            Assert.DoesNotContain(c, e.Message);
        }
    }

    private static WireRequest Form(params (string Key, string Value)[] parameters) =>
        new("POST", "/", parameters.Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToList(), new Dictionary<string, string>(), ReadOnlyMemory<byte>.Empty);

    private static WireRequest Body(byte[] body) =>
        new("POST", "/", [], new Dictionary<string, string>(), body);

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void Ec2ParserRefusesTagValues(int index)
    {
        var bad = Bad[index];
        var op = Ec2Shapes.Operation(Ec2Action.CreateTags);
        var e = Assert.Throws<AwsException>(() => Ec2Codec.Instance.ParseInput(Ec2Shapes.Service, op,
            Form(("Action", "CreateTags"), ("ResourceId.1", "vpc-0123456789abcdef0"), ("Tag.1.Key", "Name"), ("Tag.1.Value", bad))));
        Assert.Equal("InvalidParameterValue", e.Code);
        Assert.Contains("Tag.1.Value", e.Message, StringComparison.Ordinal);
        AssertNotEchoed(e, bad);
    }

    [Fact]
    public void Ec2UnknownParameterDoesNotEchoControlCharacters()
    {
        var op = Ec2Shapes.Operation(Ec2Action.DescribeVpcs);
        var e = Assert.Throws<AwsException>(() => Ec2Codec.Instance.ParseInput(Ec2Shapes.Service, op, Form(("Bad\u0007Key", "v"))));
        Assert.Equal("UnknownParameter", e.Code);
        AssertNotEchoed(e, "\u0007");
        Assert.Contains("\\u0007", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ec2InvalidNumberDoesNotEchoControlCharacters()
    {
        var op = Ec2Shapes.Operation(Ec2Action.DescribeVpcs);
        var e = Assert.Throws<AwsException>(() => Ec2Codec.Instance.ParseInput(Ec2Shapes.Service, op, Form(("MaxResults", "5\u0001"))));
        Assert.Equal("InvalidParameterValue", e.Code);
        AssertNotEchoed(e, "\u0001");
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void Ec2SerializerWritesParseableXmlForStoredValues(int index)
    {
        var bad = Bad[index];
        var op = Ec2Shapes.Operation(Ec2Action.DescribeTags);
        var output = new DescribeTagsResult { Tags = [new TagDescription { Key = "Name", Value = bad, ResourceId = "vpc-1" }] };
        var response = Ec2Codec.Instance.WriteOutput(Ec2Shapes.Service, op, output, "r");
        var doc = XDocument.Parse(Encoding.UTF8.GetString(response.Body.ToArray()));
        var value = doc.Descendants().Single(d => d.Name.LocalName == "value").Value;
        Assert.Contains('\uFFFD', value);
        var error = Ec2Codec.Instance.WriteError(Ec2Shapes.Service, new AwsException("Code", "message " + bad), "r");
        XDocument.Parse(Encoding.UTF8.GetString(error.Body.ToArray()));
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void QueryParserRefusesStrings(int index)
    {
        var bad = Bad[index];
        var op = IamShapes.Operation(IamAction.CreateUser);
        var e = Assert.Throws<AwsException>(() => QueryCodec.Instance.ParseInput(IamShapes.Service, op,
            Form(("Action", "CreateUser"), ("Version", "2010-05-08"), ("UserName", "alice"), ("Tags.member.1.Key", "k"), ("Tags.member.1.Value", bad))));
        Assert.Equal("ValidationError", e.Code);
        AssertNotEchoed(e, bad);
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void QuerySerializerWritesParseableXml(int index)
    {
        var bad = Bad[index];
        var op = IamShapes.Operation(IamAction.GetUser);
        var output = new GetUserResponse { User = new User { UserName = bad, Path = "/", UserId = "AIDA", Arn = "arn", CreateDate = DateTime.UnixEpoch } };
        var response = QueryCodec.Instance.WriteOutput(IamShapes.Service, op, output, "r");
        XDocument.Parse(Encoding.UTF8.GetString(response.Body.ToArray()));
        var error = QueryCodec.Instance.WriteError(IamShapes.Service, new AwsException("NoSuchEntity", "no user " + bad, 404), "r");
        var doc = XDocument.Parse(Encoding.UTF8.GetString(error.Body.ToArray()));
        Assert.Equal("Sender", doc.Descendants().Single(d => d.Name.LocalName == "Type").Value);
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void JsonParserRefusesStrings(int index)
    {
        var bad = Bad[index];
        var op = ServiceQuotasShapes.Service.FindOperation("GetServiceQuota")!;
        var body = Encoding.UTF8.GetBytes("{\"ServiceCode\":\"ec2\",\"QuotaCode\":" + JsonString(bad) + "}");
        var e = Assert.Throws<AwsException>(() => JsonCodec.Instance.ParseInput(ServiceQuotasShapes.Service, op, Body(body)));
        Assert.Equal("ValidationException", e.Code);
        AssertNotEchoed(e, bad);
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void JsonSerializerWritesValidUtf8Json(int index)
    {
        var bad = Bad[index];
        var op = ServiceQuotasShapes.Service.FindOperation("ListServices")!;
        var output = ServiceQuotasShapes.Service.FindOperation("ListServices")!.Output!.CreateStructure();
        op.Output!.Members.Single(m => m.Name == "NextToken").SetValue(output, bad);
        var response = JsonCodec.Instance.WriteOutput(ServiceQuotasShapes.Service, op, output, "r");
        using var doc = JsonDocument.Parse(response.Body.ToArray());
        Assert.NotNull(doc.RootElement.GetProperty("NextToken").GetString());
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void CborParserRefusesStrings(int index)
    {
        var bad = Bad[index];
        var op = CloudWatchShapes.Operation(CloudWatchAction.DeleteAlarms);
        // {"AlarmNames": [bad]}, written by hand: an unpaired surrogate has no UTF-8 form, so it is sent as WTF-8 bytes.
        byte[] body = [0xA1, 0x6A, .. "AlarmNames"u8, 0x81, .. RawText(bad)];
        var e = Assert.Throws<AwsException>(() => CborCodec.Instance.ParseInput(CloudWatchShapes.Service, op, Body(body)));
        Assert.True(e.Code is "InvalidParameterValue" or "SerializationException", e.Code);
        AssertNotEchoed(e, bad);
    }

    [Theory]
    [MemberData(nameof(BadStrings))]
    public void CloudWatchQueryRefusesWithInvalidParameterValue(int index)
    {
        var bad = Bad[index];
        var op = CloudWatchShapes.Operation(CloudWatchAction.DeleteAlarms);
        var e = Assert.Throws<AwsException>(() => QueryCodec.Instance.ParseInput(CloudWatchShapes.Service, op,
            Form(("Action", "DeleteAlarms"), ("AlarmNames.member.1", bad))));
        Assert.Equal("InvalidParameterValue", e.Code);
        AssertNotEchoed(e, bad);
    }

    [Fact]
    public void MissingAndMalformedInputFollowEachProtocolsConventions()
    {
        var iam = IamShapes.Operation(IamAction.CreateUser);
        Assert.Equal("ValidationError", Assert.Throws<AwsException>(() => QueryCodec.Instance.ParseInput(IamShapes.Service, iam, Form(("Action", "CreateUser")))).Code);
        var cw = CloudWatchShapes.Operation(CloudWatchAction.DeleteAlarms);
        Assert.Equal("MissingParameter", Assert.Throws<AwsException>(() => QueryCodec.Instance.ParseInput(CloudWatchShapes.Service, cw, Form(("Action", "DeleteAlarms")))).Code);
        var sq = ServiceQuotasShapes.Service.FindOperation("GetServiceQuota")!;
        var missing = Assert.Throws<AwsException>(() => JsonCodec.Instance.ParseInput(ServiceQuotasShapes.Service, sq, Body("{\"ServiceCode\":\"ec2\"}"u8.ToArray())));
        Assert.Equal("ValidationException", missing.Code);
        Assert.Contains("quotaCode", missing.Message, StringComparison.Ordinal);
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => JsonCodec.Instance.ParseInput(ServiceQuotasShapes.Service, sq, Body("{\"ServiceCode\":"u8.ToArray()))).Code);
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => JsonCodec.Instance.ParseInput(ServiceQuotasShapes.Service, sq, Body("{\"ServiceCode\":5,\"QuotaCode\":\"L\"}"u8.ToArray()))).Code);
        Assert.Equal("SerializationException", Assert.Throws<AwsException>(() => CborCodec.Instance.ParseInput(CloudWatchShapes.Service, cw, Body([0xff, 0x00]))).Code);
    }

    [Fact]
    public void QueryCompatibleErrorsCarryTheQueryCode()
    {
        var error = new AwsException("ResourceNotFound", "gone", 404);
        var json = JsonCodec.Instance.WriteError(CloudWatchShapes.Service, error, "r");
        Assert.Contains(json.Headers, h => h.Key == "x-amzn-query-error" && h.Value == "ResourceNotFound;Sender");
        using var doc = JsonDocument.Parse(json.Body.ToArray());
        Assert.Equal(CloudWatchShapes.Service.FindError("ResourceNotFound")!.Name, doc.RootElement.GetProperty("__type").GetString());
        var cbor = CborCodec.Instance.WriteError(CloudWatchShapes.Service, error, "r");
        Assert.Contains(cbor.Headers, h => h.Key == "Smithy-Protocol" && h.Value == "rpc-v2-cbor");
        Assert.Contains(cbor.Headers, h => h.Key == "x-amzn-query-error");
        var plain = JsonCodec.Instance.WriteError(ServiceQuotasShapes.Service, new AwsException("NoSuchResourceException", "x"), "r");
        Assert.DoesNotContain(plain.Headers, h => h.Key == "x-amzn-query-error");
        Assert.Equal("application/x-amz-json-1.1", plain.ContentType);
    }

    [Fact]
    public void XmlTextSanitizes()
    {
        Assert.Equal("a\uFFFDb\uFFFD\uFFFD\t\n\r\U0001F600", XmlText.Sanitize("a\u0000b\uFFFE\uD800\t\n\r\U0001F600"));
        Assert.True(XmlText.IsValid("ok \t\n\r é \U0001F600"));
        Assert.False(XmlText.IsValid("\uDBFF"));
    }

    private static string JsonString(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c < 0x20 || char.IsSurrogate(c) || c > 0x7E ? $"\\u{(int)c:X4}" : c.ToString());
        }
        return sb.Append('"').ToString();
    }

    private static byte[] RawText(string s)
    {
        var bytes = new List<byte>();
        foreach (var c in s)
        {
            if (char.IsSurrogate(c))
            {
                bytes.Add((byte)(0xE0 | (c >> 12)));
                bytes.Add((byte)(0x80 | ((c >> 6) & 0x3F)));
                bytes.Add((byte)(0x80 | (c & 0x3F)));
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        return [.. TextHeader(bytes.Count), .. bytes];
    }

    private static byte[] TextHeader(int length) => length < 24 ? [(byte)(0x60 | length)] : [0x78, (byte)length];
}
