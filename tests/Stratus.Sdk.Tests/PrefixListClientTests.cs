using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>Managed prefix lists, subnet CIDR reservations and VPC Block Public Access with AWSSDK.EC2.</summary>
public sealed class PrefixListClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    [Fact]
    public async Task PrefixListInARuleAndARouteWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.60.0.0/16" })).Vpc.VpcId;
        var list = (await ec2.CreateManagedPrefixListAsync(new CreateManagedPrefixListRequest
        {
            PrefixListName = "sdk",
            AddressFamily = "IPv4",
            MaxEntries = 4,
            Entries = [new AddPrefixListEntry { Cidr = "198.51.100.0/24", Description = "docs" }],
        })).PrefixList;
        Assert.Equal(PrefixListState.CreateInProgress, list.State);
        Assert.Equal(1L, list.Version);

        var modified = (await ec2.ModifyManagedPrefixListAsync(new ModifyManagedPrefixListRequest
        {
            PrefixListId = list.PrefixListId,
            CurrentVersion = 1,
            AddEntries = [new AddPrefixListEntry { Cidr = "203.0.113.0/24" }],
        })).PrefixList;
        Assert.Equal(2L, modified.Version);
        var stale = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.ModifyManagedPrefixListAsync(new ModifyManagedPrefixListRequest
        {
            PrefixListId = list.PrefixListId,
            CurrentVersion = 1,
            RemoveEntries = [new RemovePrefixListEntry { Cidr = "203.0.113.0/24" }],
        }));
        Assert.Equal("PrefixListVersionMismatch", stale.ErrorCode);

        var group = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "sdk-pl", Description = "d", VpcId = vpc })).GroupId;
        await ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 443, ToPort = 443, PrefixListIds = [new PrefixListId { Id = list.PrefixListId }] }],
        });
        var table = (await ec2.CreateRouteTableAsync(new CreateRouteTableRequest { VpcId = vpc })).RouteTable.RouteTableId;
        var igw = (await ec2.CreateInternetGatewayAsync(new CreateInternetGatewayRequest())).InternetGateway.InternetGatewayId;
        await ec2.AttachInternetGatewayAsync(new AttachInternetGatewayRequest { InternetGatewayId = igw, VpcId = vpc });
        await ec2.CreateRouteAsync(new CreateRouteRequest { RouteTableId = table, DestinationPrefixListId = list.PrefixListId, GatewayId = igw });

        var associations = (await ec2.GetManagedPrefixListAssociationsAsync(new GetManagedPrefixListAssociationsRequest { PrefixListId = list.PrefixListId })).PrefixListAssociations;
        Assert.Equal(new[] { group, table }.Order(StringComparer.Ordinal), associations.Select(a => a.ResourceId).Order(StringComparer.Ordinal));
        var inUse = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DeleteManagedPrefixListAsync(new DeleteManagedPrefixListRequest { PrefixListId = list.PrefixListId }));
        Assert.Equal("DependencyViolation", inUse.ErrorCode);

        var entries = (await ec2.GetManagedPrefixListEntriesAsync(new GetManagedPrefixListEntriesRequest { PrefixListId = list.PrefixListId, TargetVersion = 1 })).Entries;
        Assert.Equal("198.51.100.0/24", Assert.Single(entries).Cidr);
        var aws = (await ec2.DescribePrefixListsAsync(new DescribePrefixListsRequest())).PrefixLists;
        Assert.Contains(aws, p => p.PrefixListName == "com.amazonaws.us-east-1.s3");
    }

    [Fact]
    public async Task CidrReservationsAndBlockPublicAccessWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.61.0.0/16" })).Vpc.VpcId;
        var subnet = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.61.1.0/24", AvailabilityZone = "us-east-1a" })).Subnet.SubnetId;
        var reservation = (await ec2.CreateSubnetCidrReservationAsync(new CreateSubnetCidrReservationRequest
        {
            SubnetId = subnet,
            Cidr = "10.61.1.0/28",
            ReservationType = SubnetCidrReservationType.Explicit,
        })).SubnetCidrReservation;
        var listed = await ec2.GetSubnetCidrReservationsAsync(new GetSubnetCidrReservationsRequest { SubnetId = subnet });
        Assert.Equal(reservation.SubnetCidrReservationId, Assert.Single(listed.SubnetIpv4CidrReservations).SubnetCidrReservationId);
        var overlap = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.CreateSubnetCidrReservationAsync(new CreateSubnetCidrReservationRequest
        {
            SubnetId = subnet,
            Cidr = "10.61.1.8/29",
            ReservationType = SubnetCidrReservationType.Prefix,
        }));
        Assert.Equal("InvalidSubnetCidrReservation.Overlap", overlap.ErrorCode);

        var options = (await ec2.ModifyVpcBlockPublicAccessOptionsAsync(new ModifyVpcBlockPublicAccessOptionsRequest
        {
            InternetGatewayBlockMode = InternetGatewayBlockMode.BlockIngress,
        })).VpcBlockPublicAccessOptions;
        Assert.Equal(InternetGatewayBlockMode.BlockIngress, options.InternetGatewayBlockMode);
        var exclusion = (await ec2.CreateVpcBlockPublicAccessExclusionAsync(new CreateVpcBlockPublicAccessExclusionRequest
        {
            VpcId = vpc,
            InternetGatewayExclusionMode = InternetGatewayExclusionMode.AllowBidirectional,
        })).VpcBlockPublicAccessExclusion;
        Assert.EndsWith($":vpc/{vpc}", exclusion.ResourceArn, StringComparison.Ordinal);
        await ec2.DeleteVpcBlockPublicAccessExclusionAsync(new DeleteVpcBlockPublicAccessExclusionRequest { ExclusionId = exclusion.ExclusionId });
        await ec2.ModifyVpcBlockPublicAccessOptionsAsync(new ModifyVpcBlockPublicAccessOptionsRequest { InternetGatewayBlockMode = InternetGatewayBlockMode.Off });
    }
}
