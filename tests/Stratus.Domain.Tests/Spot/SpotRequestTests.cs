using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Spot;

namespace Stratus.Domain.Tests.Spot;

/// <summary>The life of a spot instance request (states and status codes) and the Spot price model.</summary>
public sealed class SpotRequestTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Notice = TimeSpan.FromMinutes(2);

    private static SpotInstanceRequestResource Request(string type = SpotRequestTypes.OneTime, string behaviour = SpotInterruptionBehaviors.Terminate, string price = "1.000000",
        DateTime? validFrom = null, DateTime? validUntil = null) => new()
        {
            Id = "sir-0123abcd",
            Type = type,
            State = SpotRequestStates.Open,
            StatusCode = SpotStatusCodes.PendingEvaluation,
            StatusMessage = "",
            StatusUpdateTime = T0,
            CreateTime = T0,
            SpotPrice = price,
            InstanceInterruptionBehavior = behaviour,
            ValidFrom = validFrom,
            ValidUntil = validUntil,
            Launch = new LaunchSpec { ImageId = "ami-0123456789abcdef0", MinCount = 1, MaxCount = 1 },
        };

    private static InstanceResource Instance(string id = "i-0123456789abcdef0") => new()
    {
        Id = id,
        ReservationId = "r-0",
        OwnerId = "000000000000",
        ImageId = "ami-0",
        InstanceType = "t3.micro",
        State = InstanceStates.Running,
        LaunchTime = T0,
        AvailabilityZone = "us-east-1a",
        AvailabilityZoneId = "use1-az1",
        SubnetId = "subnet-0",
        VpcId = "vpc-0",
        PrivateIpAddress = "10.0.0.1",
        PrivateDnsName = "ip-10-0-0-1.ec2.internal",
    };

    [Fact]
    public void OpenRequestsLaunchUnlessNotScheduledYetOrExpired()
    {
        Assert.Equal(SpotWork.Launch, SpotRequests.Advance(Request(), null, null, T0, Notice));

        var later = Request(validFrom: T0.AddHours(1));
        Assert.Equal(SpotWork.None, SpotRequests.Advance(later, null, null, T0, Notice));
        Assert.Equal((SpotRequestStates.Open, SpotStatusCodes.NotScheduledYet), (later.State, later.StatusCode));

        var expired = Request(validUntil: T0);
        Assert.Equal(SpotWork.None, SpotRequests.Advance(expired, null, null, T0, Notice));
        Assert.Equal((SpotRequestStates.Closed, SpotStatusCodes.ScheduleExpired), (expired.State, expired.StatusCode));
    }

    [Theory]
    [InlineData(SpotRequestTypes.OneTime, SpotRequestStates.Closed)]
    [InlineData(SpotRequestTypes.Persistent, SpotRequestStates.Open)]
    public void AnInterruptionIsNoticedThenCarriedOutWhenDue(string type, string stateAfter)
    {
        var request = Request(type);
        SpotRequests.Fulfilled(request, Instance(), T0);
        Assert.Equal((SpotRequestStates.Active, SpotStatusCodes.Fulfilled, 1), (request.State, request.StatusCode, request.Fulfilments));
        request.Interruption = new SpotInterruption { Action = SpotInterruptionBehaviors.Terminate, Reason = SpotInterruptionReasons.Capacity, RequestedAt = T0 };

        Assert.Equal(SpotWork.None, SpotRequests.Advance(request, InstanceStates.Running, 0.01m, T0.AddSeconds(1), Notice));
        Assert.Equal(SpotStatusCodes.MarkedForTermination, request.StatusCode);
        Assert.Equal(T0.AddSeconds(1) + Notice, request.Interruption!.DueTime);

        Assert.Equal(SpotWork.None, SpotRequests.Advance(request, InstanceStates.Running, 0.01m, T0.AddSeconds(60), Notice));
        Assert.Equal(SpotWork.Terminate, SpotRequests.Advance(request, InstanceStates.Running, 0.01m, T0.AddSeconds(121), Notice));
        SpotRequests.CompleteInterruption(request, T0.AddSeconds(121));
        Assert.Equal((stateAfter, SpotStatusCodes.InstanceTerminatedNoCapacity), (request.State, request.StatusCode));
        Assert.Null(request.Interruption);
    }

    [Fact]
    public void APriceAboveTheMaximumInterruptsByPrice()
    {
        var request = Request(SpotRequestTypes.Persistent, SpotInterruptionBehaviors.Stop, price: "0.010000");
        SpotRequests.Fulfilled(request, Instance(), T0);
        Assert.Equal(SpotWork.None, SpotRequests.Advance(request, InstanceStates.Running, 0.005m, T0, Notice));
        Assert.Null(request.Interruption);
        Assert.Equal(SpotWork.None, SpotRequests.Advance(request, InstanceStates.Running, 0.02m, T0, Notice));
        Assert.Equal((SpotInterruptionReasons.Price, SpotStatusCodes.MarkedForStop), (request.Interruption!.Reason, request.StatusCode));
        Assert.Equal(SpotWork.Stop, SpotRequests.Advance(request, InstanceStates.Running, 0.02m, T0 + Notice, Notice));
        SpotRequests.CompleteInterruption(request, T0 + Notice);
        Assert.Equal((SpotRequestStates.Disabled, SpotStatusCodes.InstanceStoppedByPrice), (request.State, request.StatusCode));
        // The user starts it again: active and fulfilled.
        Assert.Equal(SpotWork.None, SpotRequests.Advance(request, InstanceStates.Pending, 0.005m, T0 + Notice, Notice));
        Assert.Equal((SpotRequestStates.Active, SpotStatusCodes.Fulfilled), (request.State, request.StatusCode));
    }

    [Fact]
    public void TheUserTerminatingOrStoppingTheInstanceShowsInTheRequest()
    {
        var oneTime = Request();
        SpotRequests.Fulfilled(oneTime, Instance(), T0);
        SpotRequests.Advance(oneTime, InstanceStates.ShuttingDown, null, T0, Notice);
        Assert.Equal((SpotRequestStates.Closed, SpotStatusCodes.InstanceTerminatedByUser), (oneTime.State, oneTime.StatusCode));

        var persistent = Request(SpotRequestTypes.Persistent);
        SpotRequests.Fulfilled(persistent, Instance(), T0);
        SpotRequests.Advance(persistent, InstanceStates.Stopped, null, T0, Notice);
        Assert.Equal((SpotRequestStates.Disabled, SpotStatusCodes.InstanceStoppedByUser), (persistent.State, persistent.StatusCode));
        SpotRequests.Advance(persistent, null, null, T0, Notice);
        Assert.Equal((SpotRequestStates.Open, SpotStatusCodes.InstanceTerminatedByUser), (persistent.State, persistent.StatusCode));
        Assert.Equal(SpotWork.Launch, SpotRequests.Advance(persistent, null, null, T0, Notice));
    }

    [Fact]
    public void CancellingLeavesTheInstanceRunning()
    {
        var open = Request();
        Assert.Equal(SpotRequestStates.Cancelled, SpotRequests.Cancel(open, T0));
        Assert.Equal(SpotStatusCodes.CanceledBeforeFulfillment, open.StatusCode);

        var active = Request(SpotRequestTypes.Persistent);
        SpotRequests.Fulfilled(active, Instance(), T0);
        Assert.Equal(SpotRequestStates.Cancelled, SpotRequests.Cancel(active, T0));
        Assert.Equal(SpotStatusCodes.RequestCanceledAndInstanceRunning, active.StatusCode);
        // Its instance terminated later: it never re-opens.
        SpotRequests.Advance(active, InstanceStates.Terminated, null, T0, Notice);
        Assert.Equal((SpotRequestStates.Cancelled, SpotStatusCodes.InstanceTerminatedByUser), (active.State, active.StatusCode));

        var closed = Request();
        closed.SetStatus(SpotRequestStates.Closed, SpotStatusCodes.ScheduleExpired, T0);
        Assert.Equal(SpotRequestStates.Closed, SpotRequests.Cancel(closed, T0));
    }

    [Fact]
    public void LaunchFailuresHoldForCapacityAndCloseOtherwise()
    {
        var short_ = Request();
        SpotRequests.LaunchFailed(short_, new AwsException("InsufficientInstanceCapacity", "none left"), T0);
        Assert.Equal((SpotRequestStates.Open, SpotStatusCodes.CapacityNotAvailable), (short_.State, short_.StatusCode));

        var bad = Request();
        SpotRequests.LaunchFailed(bad, new AwsException("InvalidAMIID.NotFound", "gone"), T0);
        Assert.Equal((SpotRequestStates.Closed, SpotStatusCodes.BadParameters, "InvalidAMIID.NotFound"), (bad.State, bad.StatusCode, bad.FaultCode));
    }

    [Fact]
    public void PricesAreDeterministicMoveOverTimeAndStayBelowOnDemand()
    {
        var type = InstanceTypeCatalog.Find("m5.large")!;
        var onDemand = SpotPriceModel.OnDemandPrice(type, "us-east-1");
        Assert.Equal(0.0928m, onDemand);
        var day = Enumerable.Range(0, 24).Select(h => SpotPriceModel.PriceAt(type, "us-east-1", "us-east-1a", SpotPriceModel.LinuxUnix, T0.AddHours(h))).ToList();
        Assert.True(day.Distinct().Count() > 5);
        Assert.All(day, p => Assert.InRange(p, onDemand * 0.2m - 0.0001m, onDemand * 0.45m + 0.0001m));
        Assert.Equal(day[3], SpotPriceModel.PriceAt(type, "us-east-1", "us-east-1a", SpotPriceModel.LinuxUnix, T0.AddHours(3).AddMinutes(59)));
        Assert.NotEqual(day, Enumerable.Range(0, 24).Select(h => SpotPriceModel.PriceAt(type, "us-east-1", "us-east-1b", SpotPriceModel.LinuxUnix, T0.AddHours(h))).ToList());
        Assert.True(SpotPriceModel.OnDemandPrice(type, "us-east-1", "Windows") > onDemand);
        Assert.Null(SpotPriceModel.Parse("-1"));
        Assert.Null(SpotPriceModel.Parse("abc"));
        Assert.Equal("0.050000", SpotPriceModel.Format(SpotPriceModel.Parse("0.05")!.Value));
    }

    [Fact]
    public void PlacementScoresFallAsTheCapacityFillsThePools()
    {
        var types = new List<(string, int, long)> { ("m5.large", 2, 8192) };
        IReadOnlyList<string> Zones(string region) => ["a", "b", "c"];
        var small = SpotPlacementScores.Score(types, 1, "units", ["us-east-1"], false, Zones);
        var huge = SpotPlacementScores.Score(types, 1_000_000, "units", ["us-east-1"], false, Zones);
        Assert.InRange(small[0].Score, 8, 10);
        Assert.Equal(1, huge[0].Score);
        Assert.Equal(3, SpotPlacementScores.Score(types, 1, "units", ["us-east-1"], true, Zones).Count);
    }
}
