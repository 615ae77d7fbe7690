using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Stratus.Server.Tests.Ec2;

/// <summary>
/// A small EC2 query client for C# tests: requests are signed by the AWS SDK for .NET's own
/// SigV4 implementation (AWSSDK.Core's <see cref="SigV4SigningHandler"/>) and sent with
/// <see cref="HttpClient"/>; responses are returned as XML.
/// </summary>
internal sealed class Ec2TestClient : IDisposable
{
    public static readonly XNamespace Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private readonly HttpClient _http;
    private readonly Uri _endpoint;

    public Ec2TestClient(Uri endpoint, string accessKeyId, string secretAccessKey, string region = "us-east-1")
        : this(endpoint, new BasicAWSCredentials(accessKeyId, secretAccessKey), region)
    {
    }

    /// <summary>A client signing with any SDK credentials (session credentials add <c>X-Amz-Security-Token</c>).</summary>
    public Ec2TestClient(Uri endpoint, AWSCredentials credentials, string region = "us-east-1")
    {
        _endpoint = endpoint;
        var parameters = new AWSSigV4Parameters
        {
            Credentials = credentials,
            Region = RegionEndpoint.GetBySystemName(region),
            Service = "ec2",
        };
        _http = new HttpClient(new SigV4SigningHandler(parameters, new HttpClientHandler()));
    }

    public async Task<Ec2Response> CallAsync(string action, params (string Key, string Value)[] parameters)
    {
        var (status, body) = await CallRawAsync(action, parameters);
        return new Ec2Response(status, XDocument.Parse(Encoding.UTF8.GetString(body)));
    }

    /// <summary>The response's status and body as sent, byte for byte.</summary>
    public async Task<(HttpStatusCode Status, byte[] Body)> CallRawAsync(string action, params (string Key, string Value)[] parameters)
    {
        var body = new StringBuilder("Action=").Append(action).Append("&Version=2016-11-15");
        foreach (var (key, value) in parameters)
        {
            body.Append('&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }
        using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await _http.PostAsync(_endpoint, content);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    public void Dispose() => _http.Dispose();
}

internal sealed record Ec2Response(HttpStatusCode Status, XDocument Xml)
{
    public string? ErrorCode => Xml.Root?.Element("Errors")?.Element("Error")?.Element("Code")?.Value;

    public string? ErrorMessage => Xml.Root?.Element("Errors")?.Element("Error")?.Element("Message")?.Value;

    /// <summary>Values of every element with the given local name, in document order.</summary>
    public IReadOnlyList<string> All(string name) =>
        Xml.Descendants(Ec2TestClient.Ns + name).Select(e => e.Value).ToList();

    public string? First(string name) => Xml.Descendants(Ec2TestClient.Ns + name).FirstOrDefault()?.Value;

    public Ec2Response Ok()
    {
        Assert.True(Status == HttpStatusCode.OK, $"expected 200, got {(int)Status} {ErrorCode}: {ErrorMessage}");
        return this;
    }

    public Ec2Response Error(string code, HttpStatusCode status)
    {
        Assert.Equal(code, ErrorCode);
        Assert.Equal(status, Status);
        Assert.NotNull(Xml.Root?.Element("RequestID"));
        return this;
    }
}
