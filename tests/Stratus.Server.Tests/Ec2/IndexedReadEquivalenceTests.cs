using System.Text.Json;
using System.Xml.Linq;
using Stratus.Server.Ec2;

namespace Stratus.Server.Tests.Ec2;

/// <summary>
/// Describe calls answer the same through the store's index as by reading every resource and
/// filtering in memory: for every documented filter of DescribeInstances, DescribeVolumes,
/// DescribeSecurityGroups, DescribeNetworkInterfaces and DescribeTags, random queries (values
/// drawn from what the resources hold, literal and with wildcards, alone and combined with another
/// filter) are sent with the index on and off and the answers compared, whole and page by page
/// (the indexed pages are keyset reads of the store).
/// </summary>
public sealed class IndexedReadEquivalenceTests(LiveServer server) : IClassFixture<LiveServer>
{
    private static readonly Dictionary<string, List<string>> Documented =
        JsonSerializer.Deserialize<Dictionary<string, List<string>>>(File.ReadAllText(RepoPaths.Of("spec", "ec2", "filters.json")))!;

    private static readonly string[] TagKeys = ["Name", "env", "team"];
    private static readonly string[] TagValues = ["web", "db", "prod", "dev", ""];

    [Fact]
    public async Task EveryDocumentedFilter_AnswersTheSameThroughTheIndex()
    {
        using var ec2 = new Ec2TestClient(server.Endpoint, server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey);
        var random = new Random(1206);
        await PopulateAsync(ec2, random);

        // Unfiltered, page by page: the same pages and tokens.
        foreach (var operation in (string[])["DescribeInstances", "DescribeVolumes", "DescribeSecurityGroups", "DescribeNetworkInterfaces", "DescribeVpcs", "DescribeSubnets"])
        {
            Ec2Service.IndexedReads = true;
            var indexedPages = await PagesAsync(ec2, operation, []);
            Ec2Service.IndexedReads = false;
            var scannedPages = await PagesAsync(ec2, operation, []);
            Ec2Service.IndexedReads = true;
            Assert.Equal(scannedPages, indexedPages);
        }
        Assert.Contains("<nextToken>", await PagesAsync(ec2, "DescribeInstances", []), StringComparison.Ordinal);

        string[] operations = ["DescribeInstances", "DescribeVolumes", "DescribeSecurityGroups", "DescribeNetworkInterfaces", "DescribeTags"];
        var compared = 0;
        var nonEmpty = 0;
        foreach (var operation in operations)
        {
            var everything = await CallAsync(ec2, operation, []);
            // Values to draw from: every text the unfiltered answer holds, and the tags used.
            var pool = everything.Descendants().Where(e => !e.HasElements && e.Name.LocalName != "requestId").Select(e => e.Value)
                .Concat(TagKeys).Concat(TagValues).Concat(["true", "false", "running", "stopped", "terminated", "in-use", "available", "attached", "instance", "volume", "security-group", "network-interface"])
                .Distinct(StringComparer.Ordinal).ToList();
            // Ids, tags and states: the values the indexed filters are asked for most.
            var likely = pool.Where(v => v.StartsWith("i-", StringComparison.Ordinal) || v.StartsWith("vpc-", StringComparison.Ordinal)
                || v.StartsWith("subnet-", StringComparison.Ordinal) || v.StartsWith("sg-", StringComparison.Ordinal) || v.StartsWith("r-", StringComparison.Ordinal)
                || v.StartsWith("vol-", StringComparison.Ordinal) || v.StartsWith("eni-", StringComparison.Ordinal)
                || TagKeys.Contains(v) || TagValues.Contains(v) || v is "running" or "stopped" or "terminated" or "in-use" or "available" or "attached" or "default").ToList();
            var names = Documented[operation].SelectMany(n => n == "tag" ? TagKeys.Select(k => "tag:" + k) : [n]).ToList();
            foreach (var name in names)
            {
                for (var q = 0; q < 4; q++)
                {
                    var filters = new List<(string Name, List<string> Values)> { (name, Values(random, q < 2 ? likely : pool)) };
                    if (q == 3)
                    {
                        filters.Add((names[random.Next(names.Count)], Values(random, likely)));
                    }
                    var parameters = filters.SelectMany((f, i) => f.Values.Select((v, j) => ($"Filter.{i + 1}.Value.{j + 1}", v)).Prepend(($"Filter.{i + 1}.Name", f.Name))).ToArray();
                    Ec2Service.IndexedReads = true;
                    var indexed = Canonical(await CallAsync(ec2, operation, parameters));
                    Ec2Service.IndexedReads = false;
                    var scanned = Canonical(await CallAsync(ec2, operation, parameters));
                    Ec2Service.IndexedReads = true;
                    Assert.True(scanned == indexed, $"{operation} {string.Join(", ", filters.Select(f => f.Name + "=" + string.Join("|", f.Values)))}:\n  scanned: {scanned}\n  indexed: {indexed}");
                    compared++;
                    nonEmpty += indexed.Contains("<item>", StringComparison.Ordinal) ? 1 : 0;
                    if (q is 0 or 3)
                    {
                        // Page by page (a keyset read of the store when indexed): the same pages and tokens.
                        Ec2Service.IndexedReads = true;
                        var indexedPages = await PagesAsync(ec2, operation, parameters);
                        Ec2Service.IndexedReads = false;
                        var scannedPages = await PagesAsync(ec2, operation, parameters);
                        Ec2Service.IndexedReads = true;
                        Assert.True(scannedPages == indexedPages, $"{operation} paged {string.Join(", ", filters.Select(f => f.Name + "=" + string.Join("|", f.Values)))}:\n  scanned: {scannedPages}\n  indexed: {indexedPages}");
                    }
                }
            }
        }
        Assert.True(nonEmpty >= 25, $"only {nonEmpty} of {compared} queries matched anything");
    }

    /// <summary>Every page at MaxResults 5, canonical and joined; a bad token's error at the end.</summary>
    private static async Task<string> PagesAsync(Ec2TestClient ec2, string operation, (string, string)[] parameters)
    {
        var pages = new List<string>();
        string? token = null;
        for (var page = 0; page < 100; page++)
        {
            (string, string)[] paging = token is null ? [("MaxResults", "5")] : [("MaxResults", "5"), ("NextToken", token)];
            var root = await CallAsync(ec2, operation, [.. parameters, .. paging]);
            pages.Add(Canonical(root));
            token = root.Descendants().FirstOrDefault(e => e.Name.LocalName == "nextToken")?.Value;
            if (token is null)
            {
                break;
            }
        }
        pages.Add(Canonical(await CallAsync(ec2, operation, [.. parameters, ("MaxResults", "5"), ("NextToken", "bm90IGEgdG9rZW4=")])));
        return string.Join("\n", pages);
    }

    private static List<string> Values(Random random, List<string> pool)
    {
        var values = new List<string>();
        for (var k = random.Next(1, 4); k > 0; k--)
        {
            var value = pool[random.Next(pool.Count)];
            values.Add(random.Next(5) switch
            {
                0 when value.Length > 2 => value[..2] + "*",
                1 when value.Length > 2 => "?" + value[1..],
                _ => value,
            });
        }
        return values;
    }

    private static async Task<XElement> CallAsync(Ec2TestClient ec2, string operation, (string, string)[] parameters)
    {
        var response = await ec2.CallAsync(operation, parameters);
        return response.Xml.Root!;
    }

    /// <summary>The answer without its request id (errors compared by code).</summary>
    private static string Canonical(XElement root)
    {
        var copy = new XElement(root);
        copy.Descendants().Where(e => e.Name.LocalName is "requestId" or "RequestID").Remove();
        return copy.ToString(SaveOptions.DisableFormatting);
    }

    private static async Task PopulateAsync(Ec2TestClient ec2, Random random)
    {
        (string, string)[] Tags(string type, int prefix = 1) =>
            [.. TagKeys.Where(_ => random.Next(3) > 0).SelectMany((k, i) => new[]
            {
                ($"TagSpecification.{prefix}.Tag.{i + 1}.Key", k), ($"TagSpecification.{prefix}.Tag.{i + 1}.Value", TagValues[random.Next(TagValues.Length)]),
            }).Prepend(($"TagSpecification.{prefix}.ResourceType", type))];

        var ami = (await ec2.CallAsync("DescribeImages", ("Owner.1", "amazon"), ("Filter.1.Name", "architecture"), ("Filter.1.Value.1", "x86_64"))).All("imageId")[0];
        var vpcs = new List<string>();
        var subnets = new List<string>();
        var groups = new List<string>();
        for (var v = 0; v < 2; v++)
        {
            var vpc = (await ec2.CallAsync("CreateVpc", [("CidrBlock", $"10.{v}.0.0/16"), .. Tags("vpc")])).First("vpcId")!;
            vpcs.Add(vpc);
            subnets.Add((await ec2.CallAsync("CreateSubnet", [("VpcId", vpc), ("CidrBlock", $"10.{v}.1.0/24"), .. Tags("subnet")])).First("subnetId")!);
            for (var g = 0; g < 2; g++)
            {
                var group = (await ec2.CallAsync("CreateSecurityGroup", [("VpcId", vpc), ("GroupName", $"eq-{v}-{g}"), ("GroupDescription", $"group {g}"), .. Tags("security-group")])).First("groupId")!;
                groups.Add(group);
                await ec2.CallAsync("AuthorizeSecurityGroupIngress", ("GroupId", group), ("IpPermissions.1.IpProtocol", "tcp"),
                    ("IpPermissions.1.FromPort", $"{22 + g}"), ("IpPermissions.1.ToPort", $"{22 + g}"), ("IpPermissions.1.IpRanges.1.CidrIp", "10.0.0.0/8"));
            }
        }
        var instances = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var v = random.Next(2);
            var run = await ec2.CallAsync("RunInstances", [("ImageId", ami), ("InstanceType", "t3.micro"), ("MinCount", "1"), ("MaxCount", $"{1 + random.Next(2)}"),
                ("SubnetId", subnets[v]), ("SecurityGroupId.1", groups[(2 * v) + random.Next(2)]), .. Tags("instance")]);
            Assert.True(run.ErrorCode is null, $"RunInstances: {run.ErrorCode} {run.ErrorMessage}");
            instances.AddRange(run.All("instanceId").Distinct());
        }
        for (var i = 0; i < 6; i++)
        {
            var volume = (await ec2.CallAsync("CreateVolume", [("AvailabilityZone", "us-east-1a"), ("Size", $"{1 + i}"), .. Tags("volume")])).First("volumeId")!;
            if (i < 2)
            {
                await ec2.CallAsync("CreateTags", ("ResourceId.1", volume), ("Tag.1.Key", "attached"), ("Tag.1.Value", "yes"));
            }
        }
        for (var i = 0; i < 4; i++)
        {
            await ec2.CallAsync("CreateNetworkInterface", [("SubnetId", subnets[i % 2]), ("Description", $"eni {i}"), .. Tags("network-interface")]);
        }
        await ec2.CallAsync("StopInstances", ("InstanceId.1", instances[0]), ("InstanceId.2", instances[1]));
        await ec2.CallAsync("TerminateInstances", ("InstanceId.1", instances[2]));
        await ec2.CallAsync("CreateTags", ("ResourceId.1", instances[3]), ("ResourceId.2", groups[0]), ("Tag.1.Key", "env"), ("Tag.1.Value", "late"));
        await ec2.CallAsync("DeleteTags", ("ResourceId.1", instances[4]), ("Tag.1.Key", "Name"));
        // Tag edits that leave some of a resource's tags as they were (only the changed keys'
        // index entries are replaced), set a tag to the value it has, or delete by key and value.
        await ec2.CallAsync("CreateTags", ("ResourceId.1", instances[5]), ("ResourceId.2", instances[6]), ("ResourceId.3", groups[1]),
            ("Tag.1.Key", "team"), ("Tag.1.Value", "web"), ("Tag.2.Key", "env"), ("Tag.2.Value", "prod"));
        await ec2.CallAsync("CreateTags", ("ResourceId.1", instances[5]), ("ResourceId.2", instances[7]), ("Tag.1.Key", "team"), ("Tag.1.Value", "web"));
        await ec2.CallAsync("DeleteTags", ("ResourceId.1", instances[6]), ("ResourceId.2", instances[8]), ("Tag.1.Key", "env"), ("Tag.1.Value", "prod"));

        // Let the mock runtime settle every transition, so both answers see the same states.
        for (var wait = 0; wait < 100; wait++)
        {
            var states = (await ec2.CallAsync("DescribeInstances")).All("name");
            var volumes = (await ec2.CallAsync("DescribeVolumes")).All("status");
            if (!states.Any(s => s is "pending" or "stopping" or "shutting-down") && !volumes.Contains("creating"))
            {
                return;
            }
            await Task.Delay(200);
        }
    }
}
