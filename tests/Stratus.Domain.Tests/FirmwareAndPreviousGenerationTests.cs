using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances.Firmware;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Quotas;
using Stratus.Domain.Spot;

namespace Stratus.Domain.Tests;

public sealed class FirmwareAndPreviousGenerationTests
{
    [Fact]
    public void PreviousGenerationTypesCarryAwsFiguresAndCountAgainstTheirBuckets()
    {
        var m1 = InstanceTypeCatalog.Find("m1.small")!;
        Assert.False(m1.CurrentGeneration);
        Assert.Equal((1, 1740L, "xen", 160), (m1.DefaultVCpus, m1.MemoryMiB, m1.Hypervisor, m1.InstanceStorageGb!.Value));
        Assert.Equal(627, InstanceTypeCatalog.Find("t1.micro")!.MemoryMiB);
        Assert.True(InstanceTypeCatalog.Find("m4.large")!.CurrentGeneration);
        Assert.Equal(36, InstanceTypeCatalog.Find("c4.8xlarge")!.DefaultVCpus);
        Assert.Equal(16, InstanceTypeCatalog.Find("p2.16xlarge")!.Gpus!.Count);

        Assert.True(InstanceTypeCatalog.IsOffered("m1.small", "us-east-1d"));
        Assert.False(InstanceTypeCatalog.IsOffered("m1.small", "us-east-1e"));
        Assert.True(InstanceTypeCatalog.IsOffered("m1.small", "sa-east-1b"));
        Assert.False(InstanceTypeCatalog.IsOfferedInRegion("m1.small", "us-east-2"));
        Assert.True(InstanceTypeCatalog.IsOfferedInRegion("m4.large", "eu-north-1"));
        Assert.Equal("m1.small", LaunchPlanner.DefaultInstanceType("us-east-1a"));
        Assert.Equal("t2.micro", LaunchPlanner.DefaultInstanceType("us-east-2a"));

        Assert.Equal(QuotaCatalog.StandardOnDemand, VcpuQuotas.BucketOf(m1)!.Value.OnDemand);
        Assert.Equal(QuotaCatalog.GOnDemand, VcpuQuotas.BucketOf(InstanceTypeCatalog.Find("g2.2xlarge")!)!.Value.OnDemand);
        Assert.Equal(QuotaCatalog.XOnDemand, VcpuQuotas.BucketOf(InstanceTypeCatalog.Find("x1e.xlarge")!)!.Value.OnDemand);
        Assert.All(InstanceTypeCatalog.All.Where(t => t.Hypervisor == "xen"), t => Assert.True(SpotPriceModel.OnDemandPrice(t, "us-east-1") > 0));
    }

    [Fact]
    public void UefiVariableStoresRoundTripAndBadOnesAreRefused()
    {
        var empty = UefiVariableStore.Empty();
        Assert.Equal(empty, UefiVariableStore.Validate(empty));
        Assert.Equal(0, UefiVariableStore.CountVariables(empty));
        Assert.Equal("AMZNUEFI", System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(empty)[..8]));
        var corrupted = Convert.FromBase64String(empty);
        corrupted[^1] ^= 0xFF;
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => UefiVariableStore.Validate(Convert.ToBase64String(corrupted))).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => UefiVariableStore.Validate("%%%")).Code);
        Assert.True(UefiVariableStore.BootsUefi("uefi-preferred", ["legacy-bios", "uefi"]));
        Assert.False(UefiVariableStore.BootsUefi("uefi-preferred", ["legacy-bios"]));
        Assert.False(UefiVariableStore.BootsUefi(null, ["uefi"]));
    }

    [Fact]
    public void EndorsementKeysComeInDerAndTpmtForm()
    {
        var keys = NitroTpm.Generate();
        var rsaTpmt = Convert.FromBase64String(NitroTpm.PublicKey(keys, "rsa-2048", "tpmt"));
        Assert.Equal(2 + 2 + 4 + 2 + 32 + 6 + 2 + 2 + 4 + 2 + 256, rsaTpmt.Length);
        Assert.Equal(Convert.FromHexString("0001000B000300B20020"), rsaTpmt[..10]);
        var eccTpmt = Convert.FromBase64String(NitroTpm.PublicKey(keys, "ecc-sec-p384", "tpmt"));
        Assert.Equal(2 + 2 + 4 + 2 + 48 + 6 + 2 + 2 + 2 + 2 + 48 + 2 + 48, eccTpmt.Length);
        Assert.Equal(keys.RsaPublicKey, NitroTpm.PublicKey(keys, "rsa-2048", "der"));
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => NitroTpm.CheckRequest("rsa-4096", "der")).Code);
        Assert.Equal("MissingParameter", Assert.Throws<AwsException>(() => NitroTpm.CheckRequest(null, "der")).Code);
        Assert.True(NitroTpm.HasTpm("v2.0", "supported", bootsUefi: true));
        Assert.False(NitroTpm.HasTpm("v2.0", "unsupported", bootsUefi: true));
    }
}
