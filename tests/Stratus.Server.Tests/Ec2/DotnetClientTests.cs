using System.Net;

namespace Stratus.Server.Tests.Ec2;

/// <summary>The API acceptance checks from C#, with requests signed by the AWS SDK for .NET.</summary>
public sealed class DotnetClientTests(LiveServer server) : IClassFixture<LiveServer>
{
    private Ec2TestClient Client(string region = "us-east-1") =>
        new(server.Endpoint, server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey, region);

    [Fact]
    public async Task DescribeRegionsListsEveryRegion()
    {
        using var ec2 = Client();
        var regions = (await ec2.CallAsync("DescribeRegions")).Ok().All("regionName");
        Assert.Contains("us-east-1", regions);
        Assert.Contains("us-west-2", regions);
        Assert.Contains("eu-west-1", regions);
    }

    [Fact]
    public async Task AvailabilityZonesAreThoseOfTheSigningRegion()
    {
        using var west = Client("us-west-2");
        var zones = (await west.CallAsync("DescribeAvailabilityZones")).Ok().All("zoneName");
        Assert.Equal(["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"], zones);
        var filtered = (await west.CallAsync("DescribeAvailabilityZones", ("Filter.1.Name", "zone-name"), ("Filter.1.Value.1", "*b"))).Ok().All("zoneName");
        Assert.Equal(["us-west-2b"], filtered);
    }

    [Fact]
    public async Task DefaultVpcAndSecurityGroupExist()
    {
        using var ec2 = Client("eu-west-1");
        var vpcs = (await ec2.CallAsync("DescribeVpcs", ("Filter.1.Name", "is-default"), ("Filter.1.Value.1", "true"))).Ok();
        Assert.Equal("172.31.0.0/16", vpcs.First("cidrBlock"));
        var vpcId = vpcs.First("vpcId")!;
        var groups = (await ec2.CallAsync("DescribeSecurityGroups", ("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpcId))).Ok();
        Assert.Equal(["default"], groups.All("groupName"));
        var subnets = (await ec2.CallAsync("DescribeSubnets", ("Filter.1.Name", "default-for-az"), ("Filter.1.Value.1", "true"))).Ok();
        Assert.Equal(3, subnets.All("subnetId").Count);
    }

    [Fact]
    public async Task WrongSignatureIsRefused()
    {
        using var ec2 = new Ec2TestClient(server.Endpoint, server.Root.AccessKey.AccessKeyId, "not-the-secret");
        (await ec2.CallAsync("DescribeRegions")).Error("SignatureDoesNotMatch", HttpStatusCode.Forbidden);
        using var stranger = new Ec2TestClient(server.Endpoint, "AKIAIOSFODNN7EXAMPLE", "whatever");
        (await stranger.CallAsync("DescribeRegions")).Error("AuthFailure", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task DryRunIsRefusedWithDryRunOperationAndChangesNothing()
    {
        using var ec2 = Client();
        (await ec2.CallAsync("DescribeVpcs", ("DryRun", "true"))).Error("DryRunOperation", HttpStatusCode.PreconditionFailed);
        var vpcId = (await ec2.CallAsync("DescribeVpcs")).Ok().First("vpcId")!;
        (await ec2.CallAsync("CreateTags", ("ResourceId.1", vpcId), ("Tag.1.Key", "dry"), ("Tag.1.Value", "run"), ("DryRun", "true")))
            .Error("DryRunOperation", HttpStatusCode.PreconditionFailed);
        var tags = (await ec2.CallAsync("DescribeTags", ("Filter.1.Name", "key"), ("Filter.1.Value.1", "dry"))).Ok();
        Assert.Empty(tags.All("resourceId"));
    }

    [Fact]
    public async Task UnimplementedAndUnknownActionsAnswerClearly()
    {
        using var ec2 = Client();
        var unsupported = (await ec2.CallAsync("DescribeFpgaImages")).Error("UnsupportedOperation", HttpStatusCode.BadRequest);
        Assert.Contains("DescribeFpgaImages", unsupported.ErrorMessage, StringComparison.Ordinal);
        (await ec2.CallAsync("NoSuchAction")).Error("InvalidAction", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task PaginationWithMaxResultsVisitsEveryItemOnce()
    {
        using var ec2 = Client("ap-southeast-2");
        var vpcId = (await ec2.CallAsync("DescribeVpcs")).Ok().First("vpcId")!;
        for (var i = 0; i < 7; i++)
        {
            (await ec2.CallAsync("CreateRouteTable", ("VpcId", vpcId))).Ok();
        }
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var parameters = new List<(string, string)> { ("MaxResults", "5") };
            if (token is not null)
            {
                parameters.Add(("NextToken", token));
            }
            var page = (await ec2.CallAsync("DescribeRouteTables", [.. parameters])).Ok();
            var ids = page.Xml.Root!.Element(Ec2TestClient.Ns + "routeTableSet")!.Elements().Select(e => e.Element(Ec2TestClient.Ns + "routeTableId")!.Value).ToList();
            Assert.InRange(ids.Count, 1, 5);
            seen.AddRange(ids);
            token = page.Xml.Root!.Element(Ec2TestClient.Ns + "nextToken")?.Value;
            pages++;
        }
        while (token is not null);
        Assert.Equal(2, pages);
        Assert.Equal(8, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        (await ec2.CallAsync("DescribeRouteTables", ("MaxResults", "2"))).Error("InvalidParameterValue", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DescribeRouteTables", ("NextToken", "garbage"))).Error("InvalidPaginationToken", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ClientTokenMakesCreateIdempotent()
    {
        using var ec2 = Client("us-east-2");
        var vpcId = (await ec2.CallAsync("DescribeVpcs")).Ok().First("vpcId")!;
        var first = (await ec2.CallAsync("CreateRouteTable", ("VpcId", vpcId), ("ClientToken", "token-1"))).Ok().First("routeTableId");
        var again = (await ec2.CallAsync("CreateRouteTable", ("VpcId", vpcId), ("ClientToken", "token-1"))).Ok().First("routeTableId");
        Assert.Equal(first, again);
        (await ec2.CallAsync("CreateRouteTable", ("VpcId", vpcId), ("ClientToken", "token-1"), ("TagSpecification.1.ResourceType", "route-table"), ("TagSpecification.1.Tag.1.Key", "k"), ("TagSpecification.1.Tag.1.Value", "v")))
            .Error("IdempotentParameterMismatch", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ParameterErrorsUseEc2Codes()
    {
        using var ec2 = Client();
        (await ec2.CallAsync("DescribeVpcs", ("VpcId.1", "vpc-0123456789abcdef0"))).Error("InvalidVpcID.NotFound", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DescribeVpcs", ("VpcId.1", "nope"))).Error("InvalidVpcID.Malformed", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DescribeVpcs", ("Bogus", "1"))).Error("UnknownParameter", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("DescribeVpcs", ("Filter.1.Name", "no-such-filter"), ("Filter.1.Value.1", "x"))).Error("InvalidParameterValue", HttpStatusCode.BadRequest);
        (await ec2.CallAsync("CreateRouteTable")).Error("MissingParameter", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AccountsSeeOnlyTheirOwnResources()
    {
        var other = await server.Accounts.CreateAsync("other");
        using var mine = Client("eu-central-1");
        using var theirs = new Ec2TestClient(server.Endpoint, other.AccessKey.AccessKeyId, other.AccessKey.SecretAccessKey, "eu-central-1");
        var myVpc = (await mine.CallAsync("DescribeVpcs")).Ok().First("vpcId")!;
        var theirVpc = (await theirs.CallAsync("DescribeVpcs")).Ok().First("vpcId")!;
        Assert.NotEqual(myVpc, theirVpc);
        (await theirs.CallAsync("DescribeVpcs", ("VpcId.1", myVpc))).Error("InvalidVpcID.NotFound", HttpStatusCode.BadRequest);
        (await theirs.CallAsync("CreateTags", ("ResourceId.1", myVpc), ("Tag.1.Key", "x"), ("Tag.1.Value", "y"))).Error("InvalidVpcID.NotFound", HttpStatusCode.BadRequest);
    }
}
