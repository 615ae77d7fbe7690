using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>
/// Previous-generation instance types, an instance's UEFI variable store and its NitroTPM
/// endorsement key with AWSSDK.EC2 (mock runtime).
/// </summary>
public sealed class FirmwareClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    [Fact]
    public async Task PreviousGenerationTypesUefiDataAndTpmKeysWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var previous = (await ec2.DescribeInstanceTypesAsync(new DescribeInstanceTypesRequest
        {
            Filters = [new Filter { Name = "current-generation", Values = ["false"] }, new Filter { Name = "instance-type", Values = ["m1.*"] }],
        })).InstanceTypes;
        Assert.Equal(["m1.large", "m1.medium", "m1.small", "m1.xlarge"], previous.Select(t => t.InstanceType.Value).Order(StringComparer.Ordinal));
        Assert.All(previous, t => Assert.Equal(InstanceTypeHypervisor.Xen, t.Hypervisor));

        var image = (await ec2.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = ["amazon"],
            Filters = [new Filter { Name = "name", Values = ["stratus-minimal-*-x86_64"] }],
        })).Images[0].ImageId;
        var instance = (await ec2.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.M5Large, MinCount = 1, MaxCount = 1 }))
            .Reservation.Instances[0].InstanceId;
        var uefi = await ec2.GetInstanceUefiDataAsync(new GetInstanceUefiDataRequest { InstanceId = instance });
        Assert.Equal("AMZNUEFI", System.Text.Encoding.ASCII.GetString(Convert.FromBase64String(uefi.UefiData)[..8]));

        var noTpm = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.GetInstanceTpmEkPubAsync(new GetInstanceTpmEkPubRequest
        {
            InstanceId = instance,
            KeyType = EkPubKeyType.Rsa2048,
            KeyFormat = EkPubKeyFormat.Der,
        }));
        Assert.Equal("UnsupportedOperation", noTpm.ErrorCode);
        var legacy = (await ec2.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.M4Large, MinCount = 1, MaxCount = 1 }))
            .Reservation.Instances[0].InstanceId;
        var notUefi = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.GetInstanceUefiDataAsync(new GetInstanceUefiDataRequest { InstanceId = legacy }));
        Assert.Equal("UnsupportedOperation", notUefi.ErrorCode);
        await ec2.TerminateInstancesAsync(new TerminateInstancesRequest { InstanceIds = [instance, legacy] });
    }
}
