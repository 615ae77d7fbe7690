using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>EC2 Fleet (instant) and Spot Fleet with AWSSDK.EC2.</summary>
public sealed class FleetClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    [Fact]
    public async Task InstantFleetAndSpotFleetWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var image = (await ec2.DescribeImagesAsync(new DescribeImagesRequest
        {
            Owners = ["amazon"],
            Filters = [new Filter { Name = "name", Values = ["stratus-minimal-*-x86_64"] }],
        })).Images[0].ImageId;
        var template = (await ec2.CreateLaunchTemplateAsync(new CreateLaunchTemplateRequest
        {
            LaunchTemplateName = "sdk-fleet",
            LaunchTemplateData = new RequestLaunchTemplateData { ImageId = image, InstanceType = InstanceType.T3Micro },
        })).LaunchTemplate.LaunchTemplateId;

        var created = await ec2.CreateFleetAsync(new CreateFleetRequest
        {
            Type = FleetType.Instant,
            TargetCapacitySpecification = new TargetCapacitySpecificationRequest { TotalTargetCapacity = 2, DefaultTargetCapacityType = DefaultTargetCapacityType.Spot },
            LaunchTemplateConfigs =
            [
                new FleetLaunchTemplateConfigRequest
                {
                    LaunchTemplateSpecification = new FleetLaunchTemplateSpecificationRequest { LaunchTemplateId = template, Version = "1" },
                    Overrides = [new FleetLaunchTemplateOverridesRequest { InstanceType = InstanceType.T3Small }, new FleetLaunchTemplateOverridesRequest { InstanceType = "t3.unknown" }],
                },
            ],
        });
        var group = Assert.Single(created.Instances);
        Assert.Equal(("spot", 2), (group.Lifecycle.Value, group.InstanceIds.Count));
        Assert.Equal(InstanceType.T3Small, group.InstanceType);
        Assert.Equal("InvalidParameterValue", Assert.Single(created.Errors).ErrorCode);
        var fleet = Assert.Single((await ec2.DescribeFleetsAsync(new DescribeFleetsRequest { FleetIds = [created.FleetId] })).Fleets);
        Assert.Equal(("active", 2.0), (fleet.FleetState.Value, fleet.FulfilledCapacity));
        var deleted = await ec2.DeleteFleetsAsync(new DeleteFleetsRequest { FleetIds = [created.FleetId], TerminateInstances = true });
        Assert.Equal("deleted_terminating", Assert.Single(deleted.SuccessfulFleetDeletions).CurrentFleetState.Value);

        var sfr = (await ec2.RequestSpotFleetAsync(new RequestSpotFleetRequest
        {
            SpotFleetRequestConfig = new SpotFleetRequestConfigData
            {
                IamFleetRole = "arn:aws:iam::123456789012:role/fleet",
                TargetCapacity = 0,
                AllocationStrategy = AllocationStrategy.PriceCapacityOptimized,
                LaunchSpecifications = [new SpotFleetLaunchSpecification { ImageId = image, InstanceType = InstanceType.T3Micro }],
            },
        })).SpotFleetRequestId;
        var config = Assert.Single((await ec2.DescribeSpotFleetRequestsAsync(new DescribeSpotFleetRequestsRequest { SpotFleetRequestIds = [sfr] })).SpotFleetRequestConfigs);
        Assert.Equal("priceCapacityOptimized", config.ConfigData.AllocationStrategy.Value);
        var cancelled = await ec2.CancelSpotFleetRequestsAsync(new CancelSpotFleetRequestsRequest { SpotFleetRequestIds = [sfr, "sfr-00000000-0000-0000-0000-000000000000"], TerminateInstances = true });
        Assert.Equal("cancelled", Assert.Single(cancelled.SuccessfulFleetRequests).CurrentSpotFleetRequestState.Value);
        Assert.Equal("fleetRequestIdDoesNotExist", Assert.Single(cancelled.UnsuccessfulFleetRequests).Error.Code.Value);
        var error = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeSpotFleetInstancesAsync(new DescribeSpotFleetInstancesRequest { SpotFleetRequestId = "sfr-bad" }));
        Assert.Equal("InvalidSpotFleetRequestId.Malformed", error.ErrorCode);
    }
}
