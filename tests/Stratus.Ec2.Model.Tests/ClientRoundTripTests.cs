using System.Text;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Protocol;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Model;
using Xunit;

namespace Stratus.Ec2.Model.Tests;

/// <summary>
/// The EC2 parser and serializer agree with real AWS clients over every operation of the model:
/// requests that botocore and the AWS SDK for JavaScript produce from generated inputs parse into
/// the same values, and responses serialized from generated outputs parse back in both clients
/// to the same values (tests/roundtrip holds the client side).
/// </summary>
public sealed class ClientRoundTripTests
{
    private const int Seed = 20261122;
    private const int PerOperation = 2;
    private static readonly ServiceInfo Service = Ec2Shapes.Service;

    [Fact]
    public void BotocoreRequestsParse() =>
        AssertRequestsParse(ExternalProcess.Run("python3",
            ["tests/roundtrip/botocore_requests.py", "--model", "spec/ec2/service-2.json", "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--count", PerOperation.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            ExternalProcess.RepoRoot));

    [Fact]
    public void JavaScriptSdkRequestsParse() =>
        AssertRequestsParse(ExternalProcess.Run("node",
            [JsScript(), "requests", "--model", Path.Combine(ExternalProcess.RepoRoot, "spec/ec2/service-2.json"), "--seed", (Seed + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "--count", PerOperation.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Path.Combine(ExternalProcess.RepoRoot, "tests/roundtrip/js")));

    [Fact]
    public void ResponsesParseInBotocore() =>
        AssertResponsesParse(ExternalProcess.Run("python3", ["tests/roundtrip/botocore_responses.py"], ExternalProcess.RepoRoot, GenerateResponses(Seed)));

    [Fact]
    public void ResponsesParseInJavaScriptSdk() =>
        AssertResponsesParse(ExternalProcess.Run("node", [JsScript(), "responses"], Path.Combine(ExternalProcess.RepoRoot, "tests/roundtrip/js"), GenerateResponses(Seed + 2)));

    private static string JsScript()
    {
        var dir = Path.Combine(ExternalProcess.RepoRoot, "tests/roundtrip/js");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "@aws-sdk", "client-ec2")),
            "the AWS SDK for JavaScript is not installed: run scripts/install-deps.sh (npm ci --prefix tests/roundtrip/js)");
        return Path.Combine(dir, "sdk_roundtrip.mjs");
    }

    private static void AssertRequestsParse(string jsonl)
    {
        var failures = new List<string>();
        var operations = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var entry = JsonNode.Parse(line)!;
            var name = entry["operation"]!.GetValue<string>();
            Assert.Null(entry["skipped"]);
            operations.Add(name);
            var operation = Service.FindOperation(name) ?? throw new InvalidOperationException($"unknown operation {name}");
            try
            {
                var parameters = FormDecoder.Decode(Encoding.UTF8.GetBytes(entry["body"]!.GetValue<string>()));
                Assert.Contains(parameters, p => p.Key == "Action" && p.Value == name);
                var parsed = Ec2ProtocolParser.Parse(operation.Input!, parameters);
                foreach (var difference in ShapeJson.Diff(entry["params"], ShapeJson.Write(operation.Input!, parsed)).Take(3))
                {
                    failures.Add($"{name}: {difference}");
                }
            }
            catch (AwsException e)
            {
                failures.Add($"{name}: {e.Code}: {e.Message}");
            }
        }
        Assert.Equal(Service.Operations.Count, operations.Count);
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n{string.Join('\n', failures.Take(40))}");
    }

    private static string GenerateResponses(int seed)
    {
        var values = new ShapeValues(seed);
        var sb = new StringBuilder();
        foreach (var operation in Service.Operations)
        {
            for (var i = 0; i < PerOperation; i++)
            {
                var output = operation.Output is { } shape ? values.Create(shape) : null;
                var xml = Ec2ProtocolSerializer.Serialize(Service, operation, output, $"req-{operation.Name}-{i}");
                var expected = operation.Output is { } s ? ShapeJson.Write(s, output) : new JsonObject();
                var line = new JsonObject { ["operation"] = operation.Name, ["xml"] = xml, ["expected"] = expected };
                sb.Append(line.ToJsonString()).Append('\n');
            }
        }
        return sb.ToString();
    }

    private static void AssertResponsesParse(string reportJson)
    {
        var report = JsonNode.Parse(reportJson)!;
        Assert.Equal(Service.Operations.Count * PerOperation, report["checked"]!.GetValue<int>());
        Assert.True(report["skipped"] is null || report["skipped"]!.AsArray().Count == 0, $"skipped: {report["skipped"]}");
        var failures = report["failures"]!.AsArray();
        Assert.True(failures.Count == 0, $"{report["failed"]} responses differ:\n{string.Join('\n', failures.Take(40).Select(f => f!.ToJsonString()))}");
    }
}
