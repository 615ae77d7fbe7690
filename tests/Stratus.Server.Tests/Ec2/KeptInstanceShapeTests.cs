using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Stratus.Server.Ec2;

namespace Stratus.Server.Tests.Ec2;

/// <summary>
/// DescribeInstances reuses the shapes (and their XML) it made for unchanged instances; its
/// answers are byte for byte those made afresh: for a varied set of instances (several types,
/// groups, awkward tag text, secondary addresses, a second interface, an Elastic IP, stopped and
/// terminated ones), unfiltered, by id, filtered and page by page, before and after changes to
/// instances, their tags and their interfaces.
/// </summary>
public sealed partial class KeptInstanceShapeTests(LiveServer server) : IClassFixture<LiveServer>
{
    [Fact]
    public async Task KeptShapes_AnswerAsShapesMadeAfresh()
    {
        using var ec2 = new Ec2TestClient(server.Endpoint, server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey);
        var instances = await PopulateAsync(ec2);

        await AssertSameAsync(ec2, instances, "populated");

        // Changes to instances, their tags and their interfaces: the kept shapes of those go stale.
        await ec2.CallAsync("CreateTags", ("ResourceId.1", instances[5]), ("ResourceId.2", instances[6]), ("Tag.1.Key", "late"), ("Tag.1.Value", "a & b < c"));
        await ec2.CallAsync("DeleteTags", ("ResourceId.1", instances[7]), ("Tag.1.Key", "Name"));
        await ec2.CallAsync("StopInstances", ("InstanceId.1", instances[8]));
        await ec2.CallAsync("ModifyInstanceAttribute", ("InstanceId", instances[9]), ("SourceDestCheck.Value", "false"));
        var eni = (await ec2.CallAsync("DescribeInstances", ("InstanceId.1", instances[10]))).First("networkInterfaceId")!;
        (await ec2.CallAsync("AssignPrivateIpAddresses", ("NetworkInterfaceId", eni), ("SecondaryPrivateIpAddressCount", "2"))).Ok();
        await SettleAsync(ec2);
        await AssertSameAsync(ec2, instances, "changed");
    }

    /// <summary>Each call answered with shapes made afresh, then twice with kept ones (made and kept, then copied): the same bytes.</summary>
    private static async Task AssertSameAsync(Ec2TestClient ec2, List<string> instances, string when)
    {
        (string, string)[][] calls =
        [
            [],
            [("InstanceId.1", instances[0]), ("InstanceId.2", instances[3]), ("InstanceId.3", instances[10])],
            [("Filter.1.Name", "instance-state-name"), ("Filter.1.Value.1", "running")],
            [("Filter.1.Name", "tag:team"), ("Filter.1.Value.1", "*")],
            [("MaxResults", "5")],
        ];
        var compared = 0;
        foreach (var parameters in calls)
        {
            try
            {
                Ec2Service.KeepInstanceShapes = false;
                var afresh = await PagesAsync(ec2, parameters);
                Ec2Service.KeepInstanceShapes = true;
                var kept = await PagesAsync(ec2, parameters);
                var copied = await PagesAsync(ec2, parameters);
                Assert.True(afresh.Count > 0 && afresh.All(p => p.Contains("<instancesSet><item>", StringComparison.Ordinal)), $"{when}: nothing listed");
                Assert.Equal(afresh, kept);
                Assert.Equal(afresh, copied);
                compared += afresh.Count;
            }
            finally
            {
                Ec2Service.KeepInstanceShapes = true;
            }
        }
        Assert.True(compared >= 7, $"{when}: only {compared} answers compared");
    }

    /// <summary>The bodies of every page (MaxResults given) or the one answer, request ids blanked.</summary>
    private static async Task<List<string>> PagesAsync(Ec2TestClient ec2, (string, string)[] parameters)
    {
        var pages = new List<string>();
        string? token = null;
        do
        {
            (string, string)[] next = token is null ? parameters : [.. parameters, ("NextToken", token)];
            var (status, body) = await ec2.CallRawAsync("DescribeInstances", next);
            var text = Encoding.UTF8.GetString(body);
            Assert.True(status == HttpStatusCode.OK, text);
            pages.Add(RequestId().Replace(text, "<requestId/>"));
            token = NextToken().Match(text) is { Success: true } m ? m.Groups[1].Value : null;
        }
        while (token is not null && pages.Count < 50);
        return pages;
    }

    private static async Task<List<string>> PopulateAsync(Ec2TestClient ec2)
    {
        var ami = (await ec2.CallAsync("DescribeImages", ("Owner.1", "amazon"), ("Filter.1.Name", "architecture"), ("Filter.1.Value.1", "x86_64"))).All("imageId")[0];
        var vpc = (await ec2.CallAsync("CreateVpc", ("CidrBlock", "10.7.0.0/16"))).First("vpcId")!;
        var subnet = (await ec2.CallAsync("CreateSubnet", ("VpcId", vpc), ("CidrBlock", "10.7.1.0/24"))).First("subnetId")!;
        var groups = new List<string>();
        for (var g = 0; g < 2; g++)
        {
            groups.Add((await ec2.CallAsync("CreateSecurityGroup", ("VpcId", vpc), ("GroupName", $"kept-{g}"), ("GroupDescription", $"group {g}"))).First("groupId")!);
        }
        string[] types = ["t3.micro", "t3.small", "m5.large"];
        string[] names = ["web", "db <primary> & \"replica\"", "日本 é", "cr\rlf\n", ""];
        var instances = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            (string, string)[] parameters =
            [
                ("ImageId", ami), ("InstanceType", types[i % types.Length]), ("MinCount", "1"), ("MaxCount", $"{1 + (i % 3)}"), ("SubnetId", subnet),
                ("SecurityGroupId.1", groups[i % 2]), .. i % 3 == 0 ? [("SecurityGroupId.2", groups[1 - (i % 2)])] : Array.Empty<(string, string)>(),
                ("TagSpecification.1.ResourceType", "instance"), ("TagSpecification.1.Tag.1.Key", "Name"), ("TagSpecification.1.Tag.1.Value", names[i % names.Length]),
                .. i % 2 == 0 ? [("TagSpecification.1.Tag.2.Key", "team"), ("TagSpecification.1.Tag.2.Value", $"t{i}")] : Array.Empty<(string, string)>(),
            ];
            var run = await ec2.CallAsync("RunInstances", parameters);
            Assert.True(run.ErrorCode is null, $"RunInstances: {run.ErrorCode} {run.ErrorMessage}");
            instances.AddRange(run.All("instanceId").Distinct());
        }
        Assert.True(instances.Count >= 12, $"{instances.Count} instances");
        await SettleAsync(ec2);

        // A second interface on one instance, an Elastic IP on another, one stopped, one terminated.
        var second = (await ec2.CallAsync("CreateNetworkInterface", ("SubnetId", subnet), ("Description", "second"), ("SecurityGroupId.1", groups[1]), ("SecondaryPrivateIpAddressCount", "2"))).First("networkInterfaceId")!;
        (await ec2.CallAsync("AttachNetworkInterface", ("NetworkInterfaceId", second), ("InstanceId", instances[1]), ("DeviceIndex", "1"))).Ok();
        var igw = (await ec2.CallAsync("CreateInternetGateway")).First("internetGatewayId")!;
        await ec2.CallAsync("AttachInternetGateway", ("InternetGatewayId", igw), ("VpcId", vpc));
        var allocation = (await ec2.CallAsync("AllocateAddress", ("Domain", "vpc"))).First("allocationId")!;
        (await ec2.CallAsync("AssociateAddress", ("AllocationId", allocation), ("InstanceId", instances[2]))).Ok();
        await ec2.CallAsync("StopInstances", ("InstanceId.1", instances[3]));
        await ec2.CallAsync("TerminateInstances", ("InstanceId.1", instances[4]));
        await SettleAsync(ec2);
        return instances;
    }

    /// <summary>Waits until the mock runtime has settled every transition.</summary>
    private static async Task SettleAsync(Ec2TestClient ec2)
    {
        for (var wait = 0; wait < 100; wait++)
        {
            var states = (await ec2.CallAsync("DescribeInstances")).All("name");
            if (!states.Any(s => s is "pending" or "stopping" or "shutting-down"))
            {
                return;
            }
            await Task.Delay(200);
        }
        Assert.Fail("instances did not settle");
    }

    [GeneratedRegex("<requestId>[^<]*</requestId>")]
    private static partial Regex RequestId();

    [GeneratedRegex("<nextToken>([^<]*)</nextToken>")]
    private static partial Regex NextToken();
}
