using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Xunit;

namespace Stratus.Sdk.Tests;

/// <summary>
/// Dedicated Host Reservations and Reserved Instance Marketplace listings with AWSSDK.EC2 (mock
/// runtime; the server's clock is moved on instead of waiting for purchases).
/// </summary>
public sealed class ReservationsMarketClientTests(ClockServer server) : IClassFixture<ClockServer>
{
    private AmazonEC2Client Ec2() =>
        new(new BasicAWSCredentials(server.Root.AccessKey.AccessKeyId, server.Root.AccessKey.SecretAccessKey),
            new AmazonEC2Config { ServiceURL = server.Endpoint, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });

    [Fact]
    public async Task HostReservationsWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var hosts = (await ec2.AllocateHostsAsync(new AllocateHostsRequest { AvailabilityZone = "us-east-1a", InstanceFamily = "c5", Quantity = 2 })).HostIds;
        var offering = Assert.Single((await ec2.DescribeHostReservationOfferingsAsync(new DescribeHostReservationOfferingsRequest
        {
            Filter = [new Filter { Name = "instance-family", Values = ["c5"] }, new Filter { Name = "payment-option", Values = ["NoUpfront"] }],
            MinDuration = 94608000,
        })).OfferingSet);
        Assert.Equal((PaymentOption.NoUpfront, 94608000, "0.000"), (offering.PaymentOption, offering.Duration, offering.UpfrontPrice));

        var preview = await ec2.GetHostReservationPurchasePreviewAsync(new GetHostReservationPurchasePreviewRequest { OfferingId = offering.OfferingId, HostIdSet = hosts });
        Assert.Equal(2 * decimal.Parse(offering.HourlyPrice, System.Globalization.CultureInfo.InvariantCulture),
            decimal.Parse(preview.TotalHourlyPrice, System.Globalization.CultureInfo.InvariantCulture));

        var purchase = Assert.Single((await ec2.PurchaseHostReservationAsync(new PurchaseHostReservationRequest
        {
            OfferingId = offering.OfferingId,
            HostIdSet = hosts,
            ClientToken = "sdk-host-reservation",
            TagSpecifications = [new TagSpecification { ResourceType = ResourceType.HostReservation, Tags = [new Tag("env", "sdk")] }],
        })).Purchase);
        var reservation = Assert.Single((await ec2.DescribeHostReservationsAsync(new DescribeHostReservationsRequest { HostReservationIdSet = [purchase.HostReservationId] }))
            .HostReservationSet);
        Assert.Equal((ReservationState.Active, 2, "env"), (reservation.State, reservation.Count, reservation.Tags[0].Key));
        Assert.All((await ec2.DescribeHostsAsync(new DescribeHostsRequest { HostIds = hosts })).Hosts, h => Assert.Equal(purchase.HostReservationId, h.HostReservationId));

        var covered = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.PurchaseHostReservationAsync(new PurchaseHostReservationRequest { OfferingId = offering.OfferingId, HostIdSet = [hosts[0]] }));
        Assert.Equal("HostAlreadyCoveredByReservation", covered.ErrorCode);
        var malformed = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.DescribeHostReservationsAsync(new DescribeHostReservationsRequest { HostReservationIdSet = ["hr-x"] }));
        Assert.Equal("InvalidHostReservationId.Malformed", malformed.ErrorCode);
    }

    [Fact]
    public async Task ReservedInstancesListingsWithTheDotnetSdk()
    {
        using var ec2 = Ec2();
        var offering = (await ec2.DescribeReservedInstancesOfferingsAsync(new DescribeReservedInstancesOfferingsRequest
        {
            InstanceType = InstanceType.C5Large,
            ProductDescription = RIProductDescription.LinuxUNIX,
            InstanceTenancy = Tenancy.Default,
            OfferingClass = OfferingClassType.Standard,
            OfferingType = OfferingTypeValues.PartialUpfront,
            AvailabilityZone = "us-east-1b",
            MaxDuration = 31536000,
        })).ReservedInstancesOfferings[0];
        var ri = (await ec2.PurchaseReservedInstancesOfferingAsync(new PurchaseReservedInstancesOfferingRequest
        {
            ReservedInstancesOfferingId = offering.ReservedInstancesOfferingId,
            InstanceCount = 2,
        })).ReservedInstancesId;
        server.Clock.Offset += TimeSpan.FromSeconds(3);

        var listing = Assert.Single((await ec2.CreateReservedInstancesListingAsync(new CreateReservedInstancesListingRequest
        {
            ReservedInstancesId = ri,
            InstanceCount = 1,
            ClientToken = "sdk-listing",
            PriceSchedules = [new PriceScheduleSpecification { Term = 4, Price = 120, CurrencyCode = CurrencyCodeValues.USD }],
        })).ReservedInstancesListings);
        Assert.Equal(ListingStatus.Active, listing.Status);
        Assert.Equal(1, Assert.Single(listing.InstanceCounts, c => c.State == ListingState.Available).Count);
        Assert.True(listing.PriceSchedules[0].Active);

        var described = Assert.Single((await ec2.DescribeReservedInstancesListingsAsync(new DescribeReservedInstancesListingsRequest
        {
            Filters = [new Filter { Name = "reserved-instances-id", Values = [ri] }],
        })).ReservedInstancesListings);
        Assert.Equal(listing.ReservedInstancesListingId, described.ReservedInstancesListingId);

        var cancelled = Assert.Single((await ec2.CancelReservedInstancesListingAsync(new CancelReservedInstancesListingRequest
        {
            ReservedInstancesListingId = listing.ReservedInstancesListingId,
        })).ReservedInstancesListings);
        Assert.Equal(ListingStatus.Cancelled, cancelled.Status);
        var twice = await Assert.ThrowsAsync<AmazonEC2Exception>(() => ec2.CancelReservedInstancesListingAsync(new CancelReservedInstancesListingRequest
        {
            ReservedInstancesListingId = listing.ReservedInstancesListingId,
        }));
        Assert.Equal("InvalidInput", twice.ErrorCode);
    }
}
