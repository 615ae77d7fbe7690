using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>
/// Detailed monitoring, Reserved Instances, instance event windows and attribute resets with
/// AWSSDK.EC2 (mock runtime; the server's clock is moved on instead of waiting for purchases).
/// </summary>
public sealed class ComputeClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    private void Settle() => server.Clock.Offset += TimeSpan.FromSeconds(3);

    [Fact]
    public async Task MonitoringReservedInstancesAndEventWindowsWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var image = (await ec2.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = ["amazon"],
            Filters = [new Filter { Name = "name", Values = ["stratus-minimal-*-x86_64"] }],
        })).Images[0].ImageId;
        var instance = (await ec2.RunInstancesAsync(new RunInstancesRequest { ImageId = image, InstanceType = InstanceType.T3Micro, MinCount = 1, MaxCount = 1 }))
            .Reservation.Instances[0].InstanceId;

        var monitored = Assert.Single((await ec2.MonitorInstancesAsync(new MonitorInstancesRequest { InstanceIds = [instance] })).InstanceMonitorings);
        Assert.Equal(MonitoringState.Pending, monitored.Monitoring.State);
        var unknown = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.MonitorInstancesAsync(new MonitorInstancesRequest { InstanceIds = ["i-0123456789abcdef0"] }));
        Assert.Equal("InvalidInstanceID.NotFound", unknown.ErrorCode);

        var offerings = (await ec2.DescribeReservedInstancesOfferingsAsync(new DescribeReservedInstancesOfferingsRequest
        {
            InstanceType = InstanceType.M5Large,
            ProductDescription = RIProductDescription.LinuxUNIX,
            OfferingClass = OfferingClassType.Standard,
            OfferingType = OfferingTypeValues.AllUpfront,
            MinDuration = 31536000,
            MaxDuration = 31536000,
        })).ReservedInstancesOfferings;
        Assert.NotEmpty(offerings);
        Assert.All(offerings, o => Assert.Equal(("m5.large", 31536000L), (o.InstanceType.Value, o.Duration)));
        var offering = offerings[0];
        Assert.True(offering.FixedPrice > 0);
        var purchased = (await ec2.PurchaseReservedInstancesOfferingAsync(new PurchaseReservedInstancesOfferingRequest
        {
            ReservedInstancesOfferingId = offering.ReservedInstancesOfferingId,
            InstanceCount = 2,
        })).ReservedInstancesId;
        Settle();
        var reserved = Assert.Single((await ec2.DescribeReservedInstancesAsync(new DescribeReservedInstancesRequest { ReservedInstancesIds = [purchased] })).ReservedInstances);
        Assert.Equal((ReservedInstanceState.Active, 2), (reserved.State, reserved.InstanceCount));
        var bogus = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.PurchaseReservedInstancesOfferingAsync(new PurchaseReservedInstancesOfferingRequest
        {
            ReservedInstancesOfferingId = "00000000-0000-0000-0000-000000000000",
            InstanceCount = 1,
        }));
        Assert.Equal("InvalidReservedInstancesOfferingId", bogus.ErrorCode);

        var window = (await ec2.CreateInstanceEventWindowAsync(new CreateInstanceEventWindowRequest
        {
            Name = "nightly",
            TimeRanges = [new InstanceEventWindowTimeRangeRequest { StartWeekDay = WeekDay.Monday, StartHour = 2, EndWeekDay = WeekDay.Monday, EndHour = 8 }],
        })).InstanceEventWindow.InstanceEventWindowId;
        var associated = (await ec2.AssociateInstanceEventWindowAsync(new AssociateInstanceEventWindowRequest
        {
            InstanceEventWindowId = window,
            AssociationTarget = new InstanceEventWindowAssociationRequest { InstanceIds = [instance] },
        })).InstanceEventWindow;
        Assert.Equal([instance], associated.AssociationTarget.InstanceIds);
        var tooShort = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.CreateInstanceEventWindowAsync(new CreateInstanceEventWindowRequest
        {
            TimeRanges = [new InstanceEventWindowTimeRangeRequest { StartWeekDay = WeekDay.Tuesday, StartHour = 2, EndWeekDay = WeekDay.Tuesday, EndHour = 3 }],
        }));
        Assert.Equal("InvalidParameterValue", tooShort.ErrorCode);

        await ec2.ModifyInstanceAttributeAsync(new ModifyInstanceAttributeRequest { InstanceId = instance, SourceDestCheck = false });
        await ec2.ResetInstanceAttributeAsync(new ResetInstanceAttributeRequest { InstanceId = instance, Attribute = InstanceAttributeName.SourceDestCheck });
        var check = await ec2.DescribeInstanceAttributeAsync(new DescribeInstanceAttributeRequest { InstanceId = instance, Attribute = InstanceAttributeName.SourceDestCheck });
        Assert.True(check.InstanceAttribute.SourceDestCheck);
    }
}
