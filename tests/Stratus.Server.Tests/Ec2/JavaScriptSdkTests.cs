using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Stratus.Server.Tests.Ec2;

/// <summary>
/// The same acceptance checks through the AWS SDK for JavaScript v3 (@aws-sdk/client-ec2),
/// unchanged but for its endpoint, against a live server (tests/roundtrip/js/live_ec2.mjs).
/// </summary>
public sealed class JavaScriptSdkTests(LiveServer server) : IClassFixture<LiveServer>
{
    [Fact]
    public async Task EveryCheckPasses()
    {
        var dir = RepoPaths.Of("tests", "roundtrip", "js");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "@aws-sdk", "client-ec2")),
            "the AWS SDK for JavaScript is not installed: run scripts/install-deps.sh (npm ci --prefix tests/roundtrip/js)");
        var start = new ProcessStartInfo("node", "live_ec2.mjs")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["STRATUS_ENDPOINT"] = server.Endpoint.ToString().TrimEnd('/');
        start.Environment["AWS_ACCESS_KEY_ID"] = server.Root.AccessKey.AccessKeyId;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = server.Root.AccessKey.SecretAccessKey;
        using var node = Process.Start(start)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await node.WaitForExitAsync(timeout.Token);
        var error = await stderr;
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {error}");
        var checks = JsonNode.Parse(await stdout)!["checks"]!.AsArray();
        Assert.Equal(9, checks.Count);
        var failed = checks.Where(c => !c!["ok"]!.GetValue<bool>()).Select(c => c!.ToJsonString()).ToList();
        Assert.True(failed.Count == 0, string.Join('\n', failed));
    }
}
