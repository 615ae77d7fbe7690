using Stratus.Core;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Spot;

/// <summary>What the Spot controller must do for a request after <see cref="SpotRequests.Advance"/>.</summary>
public enum SpotWork
{
    None,

    /// <summary>Launch an instance for the open request (the price is checked once the zone is known).</summary>
    Launch,

    /// <summary>The interruption is due: terminate the instance.</summary>
    Terminate,

    /// <summary>The interruption is due: stop the instance (stop and hibernate).</summary>
    Stop,
}

/// <summary>
/// The life of a spot instance request (EC2 User Guide, "State changes for a Spot request"):
/// <c>open</c> (pending-evaluation, not-scheduled-yet, price-too-low, capacity-not-available) →
/// <c>active</c> (fulfilled; marked-for-termination / -stop / -hibernation two minutes before an
/// interruption) → after an interruption <c>open</c> again for persistent requests, <c>closed</c> for
/// one-time ones, <c>disabled</c> when the instance was stopped; <c>cancelled</c> by
/// CancelSpotInstanceRequests (the instance keeps running); <c>closed</c> with schedule-expired once
/// ValidUntil passes before fulfilment. These functions only change the document; the controller
/// stores it and carries out the <see cref="SpotWork"/>.
/// </summary>
public static class SpotRequests
{
    /// <summary>Error codes of a launch that mean "no capacity now" rather than "this request can never be fulfilled".</summary>
    private static readonly HashSet<string> CapacityErrors = new(StringComparer.Ordinal)
    {
        "InsufficientInstanceCapacity", "MaxSpotInstanceCountExceeded", "VcpuLimitExceeded", "InsufficientFreeAddressesInSubnet",
        "InsufficientAddressCapacity", "AddressLimitExceeded",
    };

    /// <summary>
    /// Moves <paramref name="request"/> on by what is true at <paramref name="now"/>: the state of its
    /// instance (null when it has none or it is gone), the Spot price of its pool (null when unknown),
    /// and the notice an interruption gets.
    /// </summary>
    public static SpotWork Advance(SpotInstanceRequestResource request, string? instanceState, decimal? currentPrice, DateTime now, TimeSpan notice)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request.State)
        {
            case SpotRequestStates.Open:
                if (request.ValidUntil is { } until && now >= until)
                {
                    request.SetStatus(SpotRequestStates.Closed, SpotStatusCodes.ScheduleExpired, now);
                    return SpotWork.None;
                }
                if (request.ValidFrom is { } from && now < from)
                {
                    request.SetStatus(SpotRequestStates.Open, SpotStatusCodes.NotScheduledYet, now);
                    return SpotWork.None;
                }
                return SpotWork.Launch;
            case SpotRequestStates.Active:
            case SpotRequestStates.Cancelled when request.InstanceId is not null && request.StatusCode is not SpotStatusCodes.CanceledBeforeFulfillment:
            case SpotRequestStates.Disabled:
                return AdvanceWithInstance(request, instanceState, currentPrice, now, notice);
            default:
                return SpotWork.None;
        }
    }

    private static SpotWork AdvanceWithInstance(SpotInstanceRequestResource request, string? instanceState, decimal? currentPrice, DateTime now, TimeSpan notice)
    {
        var cancelled = request.State == SpotRequestStates.Cancelled;
        var gone = instanceState is null or InstanceStates.ShuttingDown or InstanceStates.Terminated;
        if (gone)
        {
            if (request.StatusCode is SpotStatusCodes.InstanceTerminatedByUser or SpotStatusCodes.InstanceTerminatedByPrice
                or SpotStatusCodes.InstanceTerminatedNoCapacity or SpotStatusCodes.InstanceTerminatedLaunchGroupConstraint)
            {
                return SpotWork.None;
            }
            request.Interruption = null;
            var state = cancelled ? SpotRequestStates.Cancelled : Reopens(request, now) ? SpotRequestStates.Open : SpotRequestStates.Closed;
            request.SetStatus(state, SpotStatusCodes.InstanceTerminatedByUser, now);
            return SpotWork.None;
        }
        if (request.Interruption is { } interruption)
        {
            if (interruption.NoticeTime is null)
            {
                interruption.NoticeTime = now;
                interruption.DueTime = now + notice;
                var code = interruption.Action switch
                {
                    SpotInterruptionBehaviors.Stop => SpotStatusCodes.MarkedForStop,
                    SpotInterruptionBehaviors.Hibernate => SpotStatusCodes.MarkedForHibernation,
                    _ => SpotStatusCodes.MarkedForTermination,
                };
                request.SetStatus(request.State, code, now);
                return SpotWork.None;
            }
            if (interruption.DueTime is { } due && now >= due)
            {
                if (instanceState is InstanceStates.Stopping or InstanceStates.Stopped && interruption.Action != SpotInterruptionBehaviors.Terminate)
                {
                    CompleteInterruption(request, now);
                    return SpotWork.None;
                }
                return interruption.Action == SpotInterruptionBehaviors.Terminate ? SpotWork.Terminate : SpotWork.Stop;
            }
            return SpotWork.None;
        }
        if (instanceState is InstanceStates.Stopping or InstanceStates.Stopped)
        {
            if (request.State == SpotRequestStates.Active)
            {
                request.SetStatus(SpotRequestStates.Disabled, SpotStatusCodes.InstanceStoppedByUser, now);
            }
            return SpotWork.None;
        }
        // pending or running
        if (request.State == SpotRequestStates.Disabled)
        {
            request.SetStatus(SpotRequestStates.Active, SpotStatusCodes.Fulfilled, now);
        }
        if (!cancelled && currentPrice is { } price && SpotPriceModel.Parse(request.SpotPrice) is { } max && price > max && instanceState == InstanceStates.Running)
        {
            request.Interruption = new SpotInterruption { Action = request.InstanceInterruptionBehavior, Reason = SpotInterruptionReasons.Price, RequestedAt = now };
            return AdvanceWithInstance(request, instanceState, currentPrice, now, notice);
        }
        return SpotWork.None;
    }

    /// <summary>Records that the due interruption was carried out (the instance is shutting down or stopping).</summary>
    public static void CompleteInterruption(SpotInstanceRequestResource request, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var interruption = request.Interruption ?? throw new InvalidOperationException("no interruption to complete");
        var byPrice = interruption.Reason == SpotInterruptionReasons.Price;
        var cancelled = request.State == SpotRequestStates.Cancelled;
        if (interruption.Action == SpotInterruptionBehaviors.Terminate)
        {
            var state = cancelled ? SpotRequestStates.Cancelled : Reopens(request, now) ? SpotRequestStates.Open : SpotRequestStates.Closed;
            request.SetStatus(state, byPrice ? SpotStatusCodes.InstanceTerminatedByPrice : SpotStatusCodes.InstanceTerminatedNoCapacity, now);
        }
        else
        {
            request.SetStatus(cancelled ? SpotRequestStates.Cancelled : SpotRequestStates.Disabled,
                byPrice ? SpotStatusCodes.InstanceStoppedByPrice : SpotStatusCodes.InstanceStoppedNoCapacity, now);
        }
        request.Interruption = null;
    }

    /// <summary>Whether the request opens again once its instance is gone: persistent, not from RunInstances, still valid.</summary>
    private static bool Reopens(SpotInstanceRequestResource request, DateTime now) =>
        request.IsPersistent && !request.FromRunInstances && (request.ValidUntil is not { } until || now < until);

    /// <summary>The request was fulfilled by <paramref name="instance"/>.</summary>
    public static void Fulfilled(SpotInstanceRequestResource request, InstanceResource instance, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(instance);
        request.InstanceId = instance.Id;
        request.LaunchedAvailabilityZone = instance.AvailabilityZone;
        request.LaunchedAvailabilityZoneId = instance.AvailabilityZoneId;
        request.Interruption = null;
        request.FaultCode = null;
        request.FaultMessage = null;
        request.Fulfilments++;
        request.SetStatus(SpotRequestStates.Active, SpotStatusCodes.Fulfilled, now);
    }

    /// <summary>The request stays open, holding for <paramref name="code"/> (price-too-low, capacity-not-available, ...).</summary>
    public static void Hold(SpotInstanceRequestResource request, string code, DateTime now, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.SetStatus(SpotRequestStates.Open, code, now, detail);
    }

    /// <summary>A launch for the request failed with <paramref name="error"/>: hold when capacity is short, close with bad-parameters otherwise.</summary>
    public static void LaunchFailed(SpotInstanceRequestResource request, AwsException error, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(error);
        if (CapacityErrors.Contains(error.Code))
        {
            Hold(request, SpotStatusCodes.CapacityNotAvailable, now, error.Message);
            return;
        }
        request.FaultCode = error.Code;
        request.FaultMessage = error.Message;
        request.SetStatus(SpotRequestStates.Closed, SpotStatusCodes.BadParameters, now, error.Message);
    }

    /// <summary>
    /// CancelSpotInstanceRequests for one request: open ones are cancelled before fulfilment, those
    /// with an instance are cancelled and the instance keeps running; closed, failed and cancelled
    /// requests stay as they are. Returns the state afterwards.
    /// </summary>
    public static string Cancel(SpotInstanceRequestResource request, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (request.State)
        {
            case SpotRequestStates.Open:
                request.SetStatus(SpotRequestStates.Cancelled, SpotStatusCodes.CanceledBeforeFulfillment, now);
                break;
            case SpotRequestStates.Active:
            case SpotRequestStates.Disabled:
                request.SetStatus(SpotRequestStates.Cancelled, SpotStatusCodes.RequestCanceledAndInstanceRunning, now);
                break;
        }
        return request.State;
    }

    /// <summary>Whether a Spot Instance may be stopped: only one of a persistent request (EC2 refuses the others with UnsupportedOperation).</summary>
    public static async Task<bool> StoppableAsync(IStoreSession session, Scope scope, InstanceResource instance, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        return instance.SpotInstanceRequestId is { } id
            && await session.GetAsync<SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, id, ct).ConfigureAwait(false) is { IsPersistent: true };
    }

    /// <summary>
    /// Asks for an interruption of the Spot Instance <paramref name="instance"/> (and of the other
    /// instances of its launch group): its request gets an <see cref="SpotInterruption"/> that the
    /// controller notices on its next pass and carries out when due. <paramref name="action"/>
    /// null means the request's InstanceInterruptionBehavior.
    /// </summary>
    public static async Task<IReadOnlyList<SpotInstanceRequestResource>> RequestInterruptionAsync(
        IStoreTransaction tx, Scope scope, InstanceResource instance, string? action, string reason, DateTime now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(instance);
        if (instance.InstanceLifecycle != "spot" || instance.SpotInstanceRequestId is not { } requestId)
        {
            throw AwsErrors.InvalidParameterValue($"The instance '{instance.Id}' is not a Spot Instance.");
        }
        if (instance.State is not (InstanceStates.Pending or InstanceStates.Running))
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a state from which it can be interrupted ({instance.State}).");
        }
        if (action is not null && !SpotInterruptionBehaviors.IsValid(action))
        {
            throw AwsErrors.InvalidParameterValue($"'{action}' is not an interruption action: terminate, stop or hibernate.");
        }
        var request = await tx.GetAsync<SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, requestId, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.SpotInstanceRequest.NotFound(requestId);
        var marked = new List<SpotInstanceRequestResource>();
        var group = new List<SpotInstanceRequestResource> { request };
        if (request.LaunchGroup is { } launchGroup)
        {
            group.AddRange((await tx.ListAsync<SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, ct).ConfigureAwait(false))
                .Where(r => r.Id != request.Id && r.LaunchGroup == launchGroup && r.State == SpotRequestStates.Active));
        }
        foreach (var member in group)
        {
            if (member.Interruption is not null || member.InstanceId is null)
            {
                continue;
            }
            member.Interruption = new SpotInterruption
            {
                Action = action ?? member.InstanceInterruptionBehavior,
                Reason = reason,
                RequestedAt = now,
            };
            await tx.PutAsync(scope, ResourceTypes.SpotInstanceRequest, member.Id, member, member.CreateTime, ct).ConfigureAwait(false);
            marked.Add(member);
        }
        if (marked.Count == 0)
        {
            throw new AwsException("IncorrectInstanceState", $"An interruption of the instance '{instance.Id}' is already under way.");
        }
        return marked;
    }
}
