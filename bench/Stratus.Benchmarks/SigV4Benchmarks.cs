using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using BenchmarkDotNet.Attributes;
using Stratus.Protocol.Auth;

namespace Stratus.Benchmarks;

/// <summary>Verifying a Signature Version 4 header on an EC2 POST signed by the AWS SDK for .NET.</summary>
[MemoryDiagnoser]
public class SigV4Benchmarks
{
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset SignedAt = new(2026, 11, 22, 3, 0, 0, TimeSpan.Zero);
    private readonly SigV4Verifier _verifier = new(new SigV4Options());
    private SigV4Request _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        const string body = "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-state-name&Filter.1.Value.1=running&MaxResults=100";
        var signing = new AWSSigningRequest
        {
            HttpMethod = HttpMethod.Post,
            RequestUri = new Uri("http://127.0.0.1:4566/"),
            Content = Encoding.UTF8.GetBytes(body),
        };
        signing.Headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8";
        var signed = AWSSigV4Signer.Sign(signing, new AWSSigV4Parameters
        {
            Credentials = new BasicAWSCredentials(AccessKey, Secret),
            Region = RegionEndpoint.USEast1,
            Service = "ec2",
            SignedAt = SignedAt.UtcDateTime,
        });
        var headers = signing.Headers.Concat(signed.Headers)
            .GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(g => g.Last())
            .Append(new KeyValuePair<string, string>("Host", "127.0.0.1:4566"))
            .ToList();
        _request = new SigV4Request("POST", "/", "", headers, Encoding.UTF8.GetBytes(body));
        Verify();
    }

    [Benchmark]
    public SigV4Identity Verify() => _verifier.Verify(_request, id => id == AccessKey ? Secret : null, SignedAt);
}
