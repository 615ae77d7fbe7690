using System.Net;
using Stratus.Domain.Vpc;
using Stratus.Domain.Vpc.Ipv6;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>The /56 pool, /64 subnets and interface addresses.</summary>
public sealed class Ipv6CidrsTests
{
    [Fact]
    public void Vpc_blocks_are_56s_of_the_pool_and_skip_taken_ones()
    {
        var pool = IPNetwork.Parse(Ipv6Cidrs.AmazonPool);
        Assert.Equal("2001:db8::/56", Ipv6Cidrs.VpcBlock(0));
        Assert.Equal("2001:db8:0:100::/56", Ipv6Cidrs.VpcBlock(1));
        Assert.Equal("2001:db8:ffff:ff00::/56", Ipv6Cidrs.VpcBlock(0xFFFFFF));
        var preferred = Ipv6Cidrs.PreferredIndex("123456789012", "us-east-1", "vpc-0123456789abcdef0");
        Assert.Equal(preferred, Ipv6Cidrs.PreferredIndex("123456789012", "us-east-1", "vpc-0123456789abcdef0"));
        var first = Ipv6Cidrs.AllocateVpcBlock(preferred, new HashSet<string>());
        Assert.Equal(Ipv6Cidrs.VpcBlock(preferred), first);
        var second = Ipv6Cidrs.AllocateVpcBlock(preferred, new HashSet<string> { first });
        Assert.NotEqual(first, second);
        var block = IPNetwork.Parse(second);
        Assert.Equal(56, block.PrefixLength);
        Assert.True(Ipv6Cidrs.Contains(pool, block));
        // The search wraps around the end of the pool.
        Assert.Equal(Ipv6Cidrs.VpcBlock(0), Ipv6Cidrs.AllocateVpcBlock(0xFFFFFF, new HashSet<string> { Ipv6Cidrs.VpcBlock(0xFFFFFF) }));
    }

    [Fact]
    public void Subnet_blocks_contain_and_overlap_as_cidrs_do()
    {
        var vpc = IPNetwork.Parse("2001:db8:0:100::/56");
        Assert.True(Ipv6Cidrs.Contains(vpc, IPNetwork.Parse("2001:db8:0:1ff::/64")));
        Assert.False(Ipv6Cidrs.Contains(vpc, IPNetwork.Parse("2001:db8:0:200::/64")));
        Assert.False(Ipv6Cidrs.Contains(IPNetwork.Parse("2001:db8:0:100::/64"), vpc));
        Assert.True(Ipv6Cidrs.Overlaps(vpc, IPNetwork.Parse("2001:db8:0:100::/64")));
        Assert.True(Ipv6Cidrs.TryParse("2001:db8:0:100::/64", out _));
        Assert.False(Ipv6Cidrs.TryParse("10.0.0.0/16", out _));
        Assert.False(Ipv6Cidrs.TryParse("2001:db8:0:100::1/64", out _));
        Assert.Equal("2001:db8:0:100::1", Ipv6Cidrs.Router("2001:db8:0:100::/64"));
    }

    [Fact]
    public void Interface_addresses_avoid_the_reserved_ones_and_those_taken()
    {
        var subnet = IPNetwork.Parse("2001:db8:0:100::/64");
        Assert.False(Ipv6Cidrs.Assignable(subnet, IPAddress.Parse("2001:db8:0:100::3")));
        Assert.True(Ipv6Cidrs.Assignable(subnet, IPAddress.Parse("2001:db8:0:100::4")));
        Assert.False(Ipv6Cidrs.Assignable(subnet, IPAddress.Parse("2001:db8:0:100:ffff:ffff:ffff:ffff")));
        Assert.False(Ipv6Cidrs.Assignable(subnet, IPAddress.Parse("2001:db8:0:101::4")));
        var taken = new HashSet<string>();
        for (var i = 0; i < 100; i++)
        {
            var address = Ipv6Cidrs.RandomAddress(subnet, taken);
            Assert.True(Ipv6Cidrs.Assignable(subnet, IPAddress.Parse(address)));
            Assert.True(taken.Add(address));
        }
    }

    [Fact]
    public void A_new_interface_gets_named_counted_or_automatic_addresses()
    {
        var subnet = new SubnetResource
        {
            Id = "subnet-1",
            OwnerId = "123456789012",
            VpcId = "vpc-1",
            CidrBlock = "10.0.1.0/24",
            AvailabilityZone = "us-east-1a",
            AvailabilityZoneId = "use1-az1",
            Ipv6CidrBlocks = [new Ipv6CidrAssociation { AssociationId = "subnet-cidr-assoc-1", Ipv6CidrBlock = "2001:db8:0:100::/64" }],
        };
        var taken = new HashSet<string>();
        Assert.Empty(Ipv6Blocks.ChooseForNewInterface(subnet, null, [], taken, 2));
        Assert.Equal(["2001:db8:0:100::10"], Ipv6Blocks.ChooseForNewInterface(subnet, null, ["2001:DB8:0:100:0::10"], taken, 2));
        var ex = Assert.Throws<Stratus.Core.AwsException>(() => Ipv6Blocks.ChooseForNewInterface(subnet, null, ["2001:db8:0:100::10"], taken, 2));
        Assert.Equal("InvalidIPAddress.InUse", ex.Code);
        Assert.Equal(2, Ipv6Blocks.ChooseForNewInterface(subnet, 2, [], taken, 2).Count);
        Assert.Equal("InvalidParameterValue", Assert.Throws<Stratus.Core.AwsException>(() => Ipv6Blocks.ChooseForNewInterface(subnet, 3, [], taken, 2)).Code);
        subnet.AssignIpv6AddressOnCreation = true;
        Assert.Single(Ipv6Blocks.ChooseForNewInterface(subnet, null, [], taken, 2));
        Assert.Equal(4, taken.Count);
    }

    [Fact]
    public void A_default_acl_gets_rule_101_only_while_untouched()
    {
        var acl = DefaultVpcProvisioner.NewDefaultNetworkAcl("123456789012", "vpc-1");
        Assert.True(Ipv6Blocks.AddIpv6AclEntries(acl));
        Assert.Equal(8, acl.Entries.Count);
        Assert.Equal(2, acl.Entries.Count(e => e.RuleNumber == 101 && e.Ipv6CidrBlock == "::/0" && e.RuleAction == "allow"));
        Assert.False(Ipv6Blocks.AddIpv6AclEntries(acl));
        var changed = DefaultVpcProvisioner.NewDefaultNetworkAcl("123456789012", "vpc-2");
        changed.Entries.RemoveAt(0);
        Assert.True(Ipv6Blocks.AddIpv6AclEntries(changed));
        Assert.DoesNotContain(changed.Entries, e => e.RuleNumber == 101);
        Assert.Equal(2, changed.Entries.Count(e => e.RuleNumber == 32767 && e.Ipv6CidrBlock == "::/0"));
    }
}
