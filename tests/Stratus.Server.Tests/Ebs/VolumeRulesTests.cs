using Stratus.Core;
using Stratus.Domain.Ebs;

namespace Stratus.Server.Tests.Ebs;

/// <summary>The EBS volume type rules as a pure function, the way launches reuse them for block device mappings.</summary>
public sealed class VolumeRulesTests
{
    [Theory]
    [InlineData(null, 8, null, null, "gp2", 8, 100, null)]
    [InlineData("gp2", 1000, null, null, "gp2", 1000, 3000, null)]
    [InlineData("gp2", 16384, null, null, "gp2", 16384, 16000, null)]
    [InlineData("gp3", 1, null, null, "gp3", 1, 3000, 125)]
    [InlineData("gp3", 160, 80000, 2000, "gp3", 160, 80000, 2000)]
    [InlineData("io1", 4, 200, null, "io1", 4, 200, null)]
    [InlineData("io2", 256, 256000, null, "io2", 256, 256000, null)]
    [InlineData("st1", 125, null, null, "st1", 125, null, null)]
    [InlineData("standard", 1024, null, null, "standard", 1024, null, null)]
    public void DefaultsAndLimitsThatPass(string? type, int size, int? iops, int? throughput, string expectedType, int expectedSize, int? expectedIops, int? expectedThroughput)
    {
        var effective = VolumeRules.Validate(type, size, iops, throughput);
        Assert.Equal(new EffectiveVolume(expectedType, expectedSize, expectedIops, expectedThroughput), effective);
    }

    [Theory]
    [InlineData("gp3", 0, null, null, "InvalidParameterValue")]
    [InlineData("io1", 10, null, null, "MissingParameter")]
    [InlineData("io1", 10, 501, null, "InvalidParameterValue")]
    [InlineData("io2", 10, 10001, null, "InvalidParameterValue")]
    [InlineData("gp3", 10, 5001, null, "InvalidParameterValue")]
    [InlineData("gp3", 10, 3000, 751, "InvalidParameterValue")]
    [InlineData("gp2", 10, 100, null, "InvalidParameterCombination")]
    [InlineData("sc1", 200, null, 200, "InvalidParameterCombination")]
    public void RulesThatFail(string type, int size, int? iops, int? throughput, string code)
    {
        var e = Assert.Throws<AwsException>(() => VolumeRules.Validate(type, size, iops, throughput));
        Assert.Equal(code, e.Code);
    }

    [Fact]
    public void SnapshotSizeIsTheDefaultAndTheMinimum()
    {
        Assert.Equal(30, VolumeRules.Validate("gp3", null, null, null, snapshotSize: 30, snapshotId: "snap-1").Size);
        Assert.Equal(40, VolumeRules.Validate("gp3", 40, null, null, snapshotSize: 30, snapshotId: "snap-1").Size);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => VolumeRules.Validate("gp3", 20, null, null, snapshotSize: 30, snapshotId: "snap-1")).Code);
        Assert.Equal("MissingParameter", Assert.Throws<AwsException>(() => VolumeRules.Validate("gp3", null, null, null)).Code);
    }

    [Fact]
    public void ModificationKeepsOrDefaultsPerformance()
    {
        var gp3 = new EffectiveVolume("gp3", 100, 6000, 500);
        Assert.Equal(new EffectiveVolume("gp3", 200, 6000, 500), VolumeRules.ValidateModification(gp3, null, 200, null, null, null, false));
        Assert.Equal(new EffectiveVolume("io2", 100, 3000, null), VolumeRules.ValidateModification(gp3, "io2", null, null, null, null, false));
        Assert.Equal(new EffectiveVolume("gp2", 100, 300, null), VolumeRules.ValidateModification(gp3, "gp2", null, null, null, null, false));
        var gp2 = new EffectiveVolume("gp2", 100, 300, null);
        Assert.Equal(new EffectiveVolume("gp3", 100, 3000, 125), VolumeRules.ValidateModification(gp2, "gp3", null, null, null, null, false));
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => VolumeRules.ValidateModification(gp2, null, 50, null, null, null, false)).Code);
        Assert.Equal("InvalidParameterValue", Assert.Throws<AwsException>(() => VolumeRules.ValidateModification(gp2, null, 100, null, null, null, false)).Code);
    }
}
