using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Ec2.Model.Tests;
using Stratus.Protocol;
using Stratus.Protocol.Model;
using Stratus.Services.Model.AutoScaling;
using Stratus.Services.Model.CloudWatch;
using Stratus.Services.Model.ElasticLoadBalancingV2;
using Stratus.Services.Model.Iam;
using Stratus.Services.Model.Sts;
using Xunit;
using ServiceQuotasShapes = Stratus.Services.Model.ServiceQuotas.ServiceQuotasShapes;

namespace Stratus.Services.Model.Tests;

/// <summary>
/// Every service's codecs agree with real AWS clients over every operation, in every protocol
/// the service speaks: requests that botocore and the AWS SDK for JavaScript serialize from
/// generated inputs parse to the same values; outputs (and errors) that Stratus serializes parse
/// back identically in both clients. One client process per service and protocol
/// (tests/roundtrip/botocore_services.py, tests/roundtrip/js/services_roundtrip.mjs).
/// </summary>
public sealed class ServiceRoundTripTests
{
    private const int Seed = 20261206;
    private const int PerOperation = 2;

    public static TheoryData<string, string> Cases => new()
    {
        { "sts", "query" },
        { "service-quotas", "json" },
        { "iam", "query" },
        { "autoscaling", "query" },
        { "elbv2", "query" },
        { "cloudwatch", "query" },
        { "cloudwatch", "json" },
        { "cloudwatch", "smithy-rpc-v2-cbor" },
    };

    internal static ServiceInfo ServiceOf(string service) => service switch
    {
        "sts" => StsShapes.Service,
        "service-quotas" => ServiceQuotasShapes.Service,
        "iam" => IamShapes.Service,
        "autoscaling" => AutoScalingShapes.Service,
        "elbv2" => ElasticLoadBalancingV2Shapes.Service,
        "cloudwatch" => CloudWatchShapes.Service,
        _ => throw new ArgumentOutOfRangeException(nameof(service)),
    };

    private static string Model(string service) => Path.Combine(ExternalProcess.RepoRoot, "spec", service, "service-2.json");

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(Cases))]
    public void BotocoreRequestsParse(string service, string protocol) =>
        AssertRequestsParse(service, protocol, ExternalProcess.Run("python3",
            ["tests/roundtrip/botocore_services.py", "requests", "--model", Model(service), "--protocol", protocol, "--seed", Num(Seed), "--count", Num(PerOperation)],
            ExternalProcess.RepoRoot));

    [Theory]
    [MemberData(nameof(Cases))]
    public void JavaScriptSdkRequestsParse(string service, string protocol) =>
        AssertRequestsParse(service, protocol, ExternalProcess.Run("node",
            [JsScript(), "requests", "--service", service, "--model", Model(service), "--protocol", protocol, "--seed", Num(Seed + 1), "--count", Num(PerOperation)],
            Path.Combine(ExternalProcess.RepoRoot, "tests/roundtrip/js")));

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResponsesParseInBotocore(string service, string protocol) =>
        AssertResponsesParse(service, ExternalProcess.Run("python3",
            ["tests/roundtrip/botocore_services.py", "responses", "--model", Model(service), "--protocol", protocol],
            ExternalProcess.RepoRoot, GenerateResponses(service, protocol, Seed, botocore: true)));

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResponsesParseInJavaScriptSdk(string service, string protocol) =>
        AssertResponsesParse(service, ExternalProcess.Run("node",
            [JsScript(), "responses", "--service", service, "--model", Model(service), "--protocol", protocol],
            Path.Combine(ExternalProcess.RepoRoot, "tests/roundtrip/js"), GenerateResponses(service, protocol, Seed + 2, botocore: false)));

    private static string JsScript()
    {
        var dir = Path.Combine(ExternalProcess.RepoRoot, "tests/roundtrip/js");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "@aws-sdk", "client-cloudwatch")),
            "the AWS SDK for JavaScript is not installed: run scripts/install-deps.sh (npm ci --prefix tests/roundtrip/js)");
        return Path.Combine(dir, "services_roundtrip.mjs");
    }

    private static void AssertRequestsParse(string serviceName, string protocol, string jsonl)
    {
        var service = ServiceOf(serviceName);
        var codec = ProtocolCodecs.For(protocol)!;
        var failures = new List<string>();
        var operations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var entry = JsonNode.Parse(line)!;
            var name = entry["operation"]!.GetValue<string>();
            Assert.True(entry["skipped"] is null, $"{name}: {entry["skipped"]}");
            operations.Add(name);
            var operation = service.FindOperation(name) ?? throw new InvalidOperationException($"unknown operation {name}");
            var body = Convert.FromBase64String(entry["body"]!.GetValue<string>());
            var headers = entry["headers"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.OrdinalIgnoreCase);
            var path = entry["path"]!.GetValue<string>();
            var parameters = protocol == "query" ? FormDecoder.Decode(body) : [];
            try
            {
                switch (protocol)
                {
                    case "query":
                        Assert.Contains(parameters, p => p.Key == "Action" && p.Value == name);
                        Assert.Contains(parameters, p => p.Key == "Version" && p.Value == service.ApiVersion);
                        break;
                    case "json":
                        Assert.Equal($"{service.TargetPrefix}.{name}", headers["x-amz-target"]);
                        Assert.StartsWith($"application/x-amz-json-{service.JsonVersion}", headers["content-type"], StringComparison.Ordinal);
                        break;
                    default:
                        Assert.Equal($"/service/{service.TargetPrefix}/operation/{name}", path);
                        Assert.Equal("rpc-v2-cbor", headers["smithy-protocol"]);
                        break;
                }
                var request = new WireRequest("POST", path, parameters, headers, body);
                var parsed = codec.ParseInput(service, operation, request);
                if (operation.Input is { } input)
                {
                    foreach (var difference in ShapeJson.Diff(entry["params"], ShapeJson.Write(input, parsed)).Take(3))
                    {
                        failures.Add($"{name}: {difference}");
                    }
                }
            }
            catch (AwsException e)
            {
                failures.Add($"{name}: {e.Code}: {e.Message}");
            }
        }
        Assert.Equal(service.Operations.Count, operations.Count);
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n{string.Join('\n', failures.Take(40))}");
    }

    /// <summary>Outputs of every operation, then every model error and a not-implemented error, as the codec writes them.</summary>
    internal static string GenerateResponses(string serviceName, string protocol, int seed, bool botocore)
    {
        var service = ServiceOf(serviceName);
        var codec = ProtocolCodecs.For(protocol)!;
        var values = new ShapeValues(seed);
        var sb = new StringBuilder();
        foreach (var operation in service.Operations)
        {
            for (var i = 0; i < PerOperation; i++)
            {
                var output = operation.Output is { } shape ? values.Create(shape) : null;
                var response = codec.WriteOutput(service, operation, output, $"req-{operation.Name}-{i}");
                var expected = operation.Output is { } s ? ShapeJson.Write(s, output) : new JsonObject();
                sb.Append(Line(operation, response, new JsonObject { ["expected"] = expected })).Append('\n');
            }
        }
        var errors = service.Errors.Select(e => (Code: e.ErrorCode ?? e.Name, Type: e.Name, Status: e.ErrorStatusCode))
            .Append((Code: "UnsupportedOperation", Type: "UnsupportedOperation", Status: 400));
        foreach (var (code, type, status) in errors)
        {
            var operation = service.Operations.FirstOrDefault(o => o.Errors.Any(e => e.Name == type)) ?? service.Operations[0];
            var message = $"{code} happened: <&> \"quoted\" é 日本";
            var response = codec.WriteError(service, new AwsException(code, message, status), "req-error");
            // botocore reads __type for json/cbor unless the service is query-compatible (then x-amzn-query-error).
            var expectedCode = protocol == "query" || service.AwsQueryCompatible || !botocore ? code : type;
            sb.Append(Line(operation, response, new JsonObject { ["error"] = new JsonObject { ["code"] = expectedCode, ["type"] = type, ["message"] = message } })).Append('\n');
        }
        return sb.ToString();
    }

    private static string Line(OperationInfo operation, WireResponse response, JsonObject extra)
    {
        var headers = new JsonObject { ["content-type"] = response.ContentType };
        foreach (var (key, value) in response.Headers)
        {
            headers[key.ToLowerInvariant()] = value;
        }
        var line = new JsonObject
        {
            ["operation"] = operation.Name,
            ["status"] = response.StatusCode,
            ["headers"] = headers,
            ["body"] = Convert.ToBase64String(response.Body.ToArray()),
        };
        foreach (var (key, value) in extra.ToList())
        {
            extra.Remove(key);
            line[key] = value;
        }
        return line.ToJsonString();
    }

    private static void AssertResponsesParse(string serviceName, string reportJson)
    {
        var service = ServiceOf(serviceName);
        var report = JsonNode.Parse(reportJson)!;
        Assert.Equal(service.Operations.Count * PerOperation + service.Errors.Count + 1, report["checked"]!.GetValue<int>());
        Assert.True(report["skipped"] is null || report["skipped"]!.AsArray().Count == 0, $"skipped: {report["skipped"]}");
        var failures = report["failures"]!.AsArray();
        Assert.True(failures.Count == 0, $"{report["failed"]} responses differ:\n{string.Join('\n', failures.Take(40).Select(f => f!.ToJsonString()))}");
    }
}
