using Stratus.Core;
using Stratus.Domain.Addressing;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Tests;

public sealed class AddressAllocatorTests
{
    [Fact]
    public void Bitmap_TakesReleasesAndFindsTheLowestFree()
    {
        var bitmap = new AddressBitmap(1000, 130);
        Assert.Equal(1000u, bitmap.NextFree(1000));
        for (var a = 1000u; a < 1070; a++)
        {
            Assert.True(bitmap.TryTake(a));
        }
        Assert.False(bitmap.TryTake(1005));
        Assert.Equal(70, bitmap.Used);
        Assert.Equal(1070u, bitmap.NextFree(1000));
        Assert.True(bitmap.Release(1003));
        Assert.False(bitmap.Release(1003));
        Assert.Equal(1003u, bitmap.NextFree(1000));
        Assert.Equal(1070u, bitmap.NextFree(1004));
        Assert.Null(bitmap.NextFree(1130));
        Assert.False(bitmap.Contains(999));
        Assert.Throws<ArgumentOutOfRangeException>(() => bitmap.TryTake(1130));
    }

    [Fact]
    public void Bitmap_RoundTripsThroughItsStoredForm()
    {
        var bitmap = new AddressBitmap(5, 200);
        foreach (var a in new uint[] { 5, 6, 70, 133, 204 })
        {
            bitmap.TryTake(a);
        }
        var back = AddressBitmap.FromBase64(5, 200, bitmap.ToBase64());
        Assert.Equal(5, back.Used);
        Assert.True(back.IsUsed(133));
        Assert.True(back.IsUsed(204));
        Assert.False(back.IsUsed(7));
    }

    [Fact]
    public void Bitmap_FullRangeHasNoFreeAddress()
    {
        var bitmap = new AddressBitmap(0, 64);
        for (var a = 0u; a < 64; a++)
        {
            bitmap.TryTake(a);
        }
        Assert.Null(bitmap.NextFree(0));
        Assert.Equal(0, bitmap.Free);
    }

    [Fact]
    public void Subnet_AllocatesLowestFirstSkippingAwsReservedAddresses()
    {
        var addresses = SubnetAddresses.Empty(Subnet("10.0.1.0/28"));
        Assert.Equal(11, addresses.Available); // 16 - 4 at the start - 1 at the end
        Assert.Equal(["10.0.1.4", "10.0.1.5", "10.0.1.6"], addresses.Allocate(3));
        Assert.Equal(8, addresses.Available);
    }

    [Fact]
    public void Subnet_NeverHandsOutAnAddressTwice()
    {
        var addresses = SubnetAddresses.Empty(Subnet("10.0.0.0/24"));
        var seen = new HashSet<string>();
        addresses.Take("10.0.0.100");
        seen.Add("10.0.0.100");
        while (addresses.Available > 0)
        {
            foreach (var a in addresses.Allocate(Math.Min(7, addresses.Available)))
            {
                Assert.True(seen.Add(a), a);
            }
        }
        Assert.Equal(251, seen.Count);
    }

    [Fact]
    public void Subnet_ExhaustionIsInsufficientFreeAddressesInSubnet_AndNothingIsTaken()
    {
        var addresses = SubnetAddresses.Empty(Subnet("10.0.1.0/28"));
        addresses.Allocate(10);
        var error = Assert.Throws<AwsException>(() => addresses.Allocate(2));
        Assert.Equal("InsufficientFreeAddressesInSubnet", error.Code);
        Assert.Equal(1, addresses.Available);
        Assert.Equal(["10.0.1.14"], addresses.Allocate(1));
        Assert.Equal("InsufficientFreeAddressesInSubnet", Assert.Throws<AwsException>(() => addresses.Allocate(1)).Code);
    }

    [Fact]
    public void Subnet_ReleasedAddressesAreReused()
    {
        var addresses = SubnetAddresses.Empty(Subnet("10.0.1.0/28"));
        var first = addresses.Allocate(11);
        addresses.Release(first[3]);
        addresses.Release(first[7]);
        Assert.Equal(2, addresses.Available);
        Assert.Equal([first[3], first[7]], addresses.Allocate(2));
    }

    [Theory]
    [InlineData("10.0.1.1", "InvalidParameterValue")] // reserved by AWS
    [InlineData("10.0.1.15", "InvalidParameterValue")] // the subnet's last address
    [InlineData("10.0.2.4", "InvalidParameterValue")] // outside the subnet
    [InlineData("10.0.1", "InvalidParameterValue")]
    [InlineData("10.0.1.4", "InvalidIPAddress.InUse")]
    public void Subnet_RefusesRequestedAddressesAsEc2Does(string address, string code)
    {
        var addresses = SubnetAddresses.Empty(Subnet("10.0.1.0/28"));
        addresses.Take("10.0.1.4");
        Assert.Equal(code, Assert.Throws<AwsException>(() => addresses.Take(address)).Code);
    }

    internal static SubnetResource Subnet(string cidr) => new()
    {
        Id = "subnet-0123456789abcdef0",
        OwnerId = "123456789012",
        VpcId = "vpc-0123456789abcdef0",
        CidrBlock = cidr,
        AvailabilityZone = "us-east-1a",
        AvailabilityZoneId = "use1-az1",
    };
}
