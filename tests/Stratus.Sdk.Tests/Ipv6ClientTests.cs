using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>IPv6 in a VPC with AWSSDK.EC2: an Amazon-provided /56, a /64 subnet, interface addresses and the errors.</summary>
public sealed class Ipv6ClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    [Fact]
    public async Task DualStackSubnetAndInterfaceAddressesWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.70.0.0/16", AmazonProvidedIpv6CidrBlock = true })).Vpc;
        var block = Assert.Single(vpc.Ipv6CidrBlockAssociationSet);
        Assert.Equal(VpcCidrBlockStateCode.Associating, block.Ipv6CidrBlockState.State);
        Assert.Equal("Amazon", block.Ipv6Pool);
        var network = System.Net.IPNetwork.Parse(block.Ipv6CidrBlock);
        Assert.Equal(56, network.PrefixLength);

        var bytes = network.BaseAddress.GetAddressBytes();
        bytes[7] = 1;
        var subnetBlock = new System.Net.IPNetwork(new System.Net.IPAddress(bytes), 64).ToString();
        var subnet = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc.VpcId, CidrBlock = "10.70.1.0/24", Ipv6CidrBlock = subnetBlock })).Subnet;
        Assert.Equal(subnetBlock, Assert.Single(subnet.Ipv6CidrBlockAssociationSet).Ipv6CidrBlock);
        await ec2.ModifySubnetAttributeAsync(new ModifySubnetAttributeRequest { SubnetId = subnet.SubnetId, AssignIpv6AddressOnCreation = true });

        var eni = (await ec2.CreateNetworkInterfaceAsync(new CreateNetworkInterfaceRequest { SubnetId = subnet.SubnetId })).NetworkInterface;
        var first = Assert.Single(eni.Ipv6Addresses).Ipv6Address;
        Assert.True(System.Net.IPNetwork.Parse(subnetBlock).Contains(System.Net.IPAddress.Parse(first)));
        var assigned = await ec2.AssignIpv6AddressesAsync(new AssignIpv6AddressesRequest { NetworkInterfaceId = eni.NetworkInterfaceId, Ipv6AddressCount = 2 });
        Assert.Equal(2, assigned.AssignedIpv6Addresses.Count);
        var described = (await ec2.DescribeNetworkInterfacesAsync(new DescribeNetworkInterfacesRequest
        {
            Filters = [new Filter { Name = "ipv6-addresses.ipv6-address", Values = [assigned.AssignedIpv6Addresses[1]] }],
        })).NetworkInterfaces;
        Assert.Equal(3, Assert.Single(described).Ipv6Addresses.Count);

        // An address another interface holds is in use.
        var other = (await ec2.CreateNetworkInterfaceAsync(new CreateNetworkInterfaceRequest { SubnetId = subnet.SubnetId })).NetworkInterface;
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.AssignIpv6AddressesAsync(new AssignIpv6AddressesRequest
        {
            NetworkInterfaceId = other.NetworkInterfaceId,
            Ipv6Addresses = [first],
        }));
        Assert.Equal("InvalidIPAddress.InUse", error.ErrorCode);
        error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.AssociateSubnetCidrBlockAsync(new AssociateSubnetCidrBlockRequest
        {
            SubnetId = subnet.SubnetId,
            Ipv6CidrBlock = "2001:db9::/64",
        }));
        Assert.Equal("InvalidSubnet.Conflict", error.ErrorCode);

        await ec2.UnassignIpv6AddressesAsync(new UnassignIpv6AddressesRequest { NetworkInterfaceId = eni.NetworkInterfaceId, Ipv6Addresses = assigned.AssignedIpv6Addresses });
        await ec2.DeleteNetworkInterfaceAsync(new DeleteNetworkInterfaceRequest { NetworkInterfaceId = eni.NetworkInterfaceId });
        await ec2.DeleteNetworkInterfaceAsync(new DeleteNetworkInterfaceRequest { NetworkInterfaceId = other.NetworkInterfaceId });
        Assert.Empty((await ec2.DescribeIpv6PoolsAsync(new DescribeIpv6PoolsRequest())).Ipv6Pools ?? []);
    }
}
