using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;

namespace Stratus.Domain.Spot;

/// <summary>EC2's spot instance request states (<c>SpotInstanceState</c>).</summary>
public static class SpotRequestStates
{
    public const string Open = "open";
    public const string Active = "active";
    public const string Closed = "closed";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";
    public const string Disabled = "disabled";
}

/// <summary>
/// The status codes of a spot instance request, as the EC2 User Guide lists them ("Spot request
/// status codes"), with their messages.
/// </summary>
public static class SpotStatusCodes
{
    public const string PendingEvaluation = "pending-evaluation";
    public const string BadParameters = "bad-parameters";
    public const string CapacityNotAvailable = "capacity-not-available";
    public const string PriceTooLow = "price-too-low";
    public const string NotScheduledYet = "not-scheduled-yet";
    public const string LaunchGroupConstraint = "launch-group-constraint";
    public const string AzGroupConstraint = "az-group-constraint";
    public const string PendingFulfillment = "pending-fulfillment";
    public const string ScheduleExpired = "schedule-expired";
    public const string CanceledBeforeFulfillment = "canceled-before-fulfillment";
    public const string SystemError = "system-error";
    public const string Fulfilled = "fulfilled";
    public const string RequestCanceledAndInstanceRunning = "request-canceled-and-instance-running";
    public const string MarkedForStop = "marked-for-stop";
    public const string MarkedForTermination = "marked-for-termination";
    public const string MarkedForHibernation = "marked-for-hibernation";
    public const string InstanceStoppedByPrice = "instance-stopped-by-price";
    public const string InstanceStoppedByUser = "instance-stopped-by-user";
    public const string InstanceStoppedNoCapacity = "instance-stopped-no-capacity";
    public const string InstanceTerminatedByPrice = "instance-terminated-by-price";
    public const string InstanceTerminatedByUser = "instance-terminated-by-user";
    public const string InstanceTerminatedNoCapacity = "instance-terminated-no-capacity";
    public const string InstanceTerminatedLaunchGroupConstraint = "instance-terminated-launch-group-constraint";

    public static string Message(string code, DateTime now, string? detail = null) => code switch
    {
        PendingEvaluation => "Your Spot request has been submitted for review, and is pending evaluation.",
        BadParameters => detail ?? "Your Spot request has bad parameters.",
        CapacityNotAvailable => detail ?? "There is no capacity available for your Spot request.",
        PriceTooLow => "Your Spot request price is lower than the minimum required Spot request fulfillment price.",
        NotScheduledYet => "Your Spot request will not be evaluated until the scheduled date.",
        LaunchGroupConstraint => "Your Spot request cannot be fulfilled with its launch group.",
        AzGroupConstraint => "Your Spot request cannot be fulfilled in the Availability Zone of its group.",
        PendingFulfillment => "Your Spot request is pending fulfillment.",
        ScheduleExpired => "Your Spot request has expired.",
        CanceledBeforeFulfillment => "Your Spot request was canceled before it was fulfilled.",
        Fulfilled => "Your spot request is fulfilled.",
        RequestCanceledAndInstanceRunning => "Spot Instance request canceled but the instance is still running.",
        MarkedForStop => $"Spot Instance marked for stop at {now:yyyy-MM-ddTHH:mm:ssZ}.",
        MarkedForTermination => $"Spot Instance marked for termination at {now:yyyy-MM-ddTHH:mm:ssZ}.",
        MarkedForHibernation => $"Spot Instance marked for hibernation at {now:yyyy-MM-ddTHH:mm:ssZ}.",
        InstanceStoppedByPrice => "Your Spot Instance was stopped because your maximum price was lower than the Spot price.",
        InstanceStoppedByUser => "Your Spot Instance was stopped by you.",
        InstanceStoppedNoCapacity => "Your Spot Instance was stopped because there was no more capacity available for it.",
        InstanceTerminatedByPrice => "Your Spot Instance was terminated because your maximum price was lower than the Spot price.",
        InstanceTerminatedByUser => "Spot Instance terminated by user.",
        InstanceTerminatedNoCapacity => "Your Spot Instance was terminated because there was no more capacity available for it.",
        InstanceTerminatedLaunchGroupConstraint => "Your Spot Instance was terminated with the other instances of its launch group.",
        _ => detail ?? code,
    };
}

/// <summary>What a Spot interruption does to the instance (<c>InstanceInterruptionBehavior</c>).</summary>
public static class SpotInterruptionBehaviors
{
    public const string Terminate = "terminate";
    public const string Stop = "stop";
    public const string Hibernate = "hibernate";

    public static bool IsValid(string? value) => value is Terminate or Stop or Hibernate;
}

/// <summary>Why Stratus interrupts a Spot Instance: the Spot price rose above the request's maximum price, or capacity is needed (an operator's <c>stratus spot interrupt</c>).</summary>
public static class SpotInterruptionReasons
{
    public const string Price = "price";
    public const string Capacity = "capacity";
}

/// <summary>
/// An interruption of a request's instance. It is asked for (by the price model or an operator),
/// then noticed (<see cref="NoticeTime"/>: IMDS shows <c>spot/instance-action</c> and the
/// rebalance recommendation from then on) and carried out at <see cref="DueTime"/>. Both times are
/// stored, so an interruption survives a restart of Stratus.
/// </summary>
public sealed class SpotInterruption
{
    public required string Action { get; init; }
    public required string Reason { get; init; }
    public required DateTime RequestedAt { get; init; }
    public DateTime? NoticeTime { get; set; }
    public DateTime? DueTime { get; set; }
}

/// <summary>A network interface of a spot launch specification as it was asked for (for Describe and its <c>network-interface.*</c> filters).</summary>
public sealed record SpotLaunchInterface
{
    public int DeviceIndex { get; init; }
    public string? NetworkInterfaceId { get; init; }
    public string? SubnetId { get; init; }
    public string? Description { get; init; }
    public string? PrivateIpAddress { get; init; }
    public bool? DeleteOnTermination { get; init; }
    public bool? AssociatePublicIpAddress { get; init; }
    public IReadOnlyList<string> GroupIds { get; init; } = [];
}

/// <summary>A spot instance request (<c>sir-…</c>) of an account's region, as the control plane keeps it.</summary>
public sealed class SpotInstanceRequestResource : ITaggable
{
    public required string Id { get; init; }

    /// <summary><c>one-time</c> or <c>persistent</c>.</summary>
    public required string Type { get; init; }
    public required string State { get; set; }
    public required string StatusCode { get; set; }
    public required string StatusMessage { get; set; }
    public required DateTime StatusUpdateTime { get; set; }
    public required DateTime CreateTime { get; init; }

    /// <summary>The maximum price per hour, as the request gave it (or the on-demand price when it gave none).</summary>
    public required string SpotPrice { get; init; }
    public string ProductDescription { get; init; } = SpotPriceModel.LinuxUnix;
    public DateTime? ValidFrom { get; init; }
    public DateTime? ValidUntil { get; init; }
    public string? LaunchGroup { get; init; }
    public string? AvailabilityZoneGroup { get; init; }
    public string InstanceInterruptionBehavior { get; init; } = SpotInterruptionBehaviors.Terminate;

    /// <summary>What each fulfilment launches (one instance), in the domain's terms.</summary>
    public required LaunchSpec Launch { get; init; }

    /// <summary>The launch's security groups by id and name, resolved when the request was made.</summary>
    public List<Instances.SecurityGroupRef> LaunchGroups { get; init; } = [];
    public SpotLaunchInterface? LaunchInterface { get; init; }

    /// <summary>The instance that fulfils the request now (or did last).</summary>
    public string? InstanceId { get; set; }
    public string? LaunchedAvailabilityZone { get; set; }
    public string? LaunchedAvailabilityZoneId { get; set; }

    public string? FaultCode { get; set; }
    public string? FaultMessage { get; set; }

    /// <summary>True when the request was created by RunInstances with spot market options (it is never fulfilled again).</summary>
    public bool FromRunInstances { get; init; }

    /// <summary>The interruption asked for, noticed or due for the current instance.</summary>
    public SpotInterruption? Interruption { get; set; }

    /// <summary>The ClientToken of the RequestSpotInstances call that made the request, and the request's place in that call.</summary>
    public string? ClientToken { get; init; }
    public int BatchIndex { get; init; }

    /// <summary>How many instances fulfilled this request so far.</summary>
    public int Fulfilments { get; set; }

    public List<Tag> Tags { get; init; } = [];

    public bool IsPersistent => Type == SpotRequestTypes.Persistent;

    /// <summary>Sets the status (and its update time); the message is the code's own unless given.</summary>
    public void SetStatus(string state, string code, DateTime now, string? detail = null)
    {
        State = state;
        if (StatusCode != code || detail is not null)
        {
            StatusUpdateTime = now;
        }
        StatusCode = code;
        StatusMessage = SpotStatusCodes.Message(code, now, detail);
    }
}

/// <summary><c>SpotInstanceType</c>.</summary>
public static class SpotRequestTypes
{
    public const string OneTime = "one-time";
    public const string Persistent = "persistent";
}
