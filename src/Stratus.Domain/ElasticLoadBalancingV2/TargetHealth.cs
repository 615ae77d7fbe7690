using System.Collections.Concurrent;
using System.Globalization;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.ElasticLoadBalancingV2;

/// <summary>Target health states as DescribeTargetHealth names them.</summary>
public static class TargetStates
{
    public const string Initial = "initial", Healthy = "healthy", Unhealthy = "unhealthy", Unused = "unused", Draining = "draining", Unavailable = "unavailable";
}

/// <summary>How one health check probe ended.</summary>
public enum ProbeOutcome
{
    Success,
    Timeout,
    CodeMismatch,
    Failed,
}

/// <summary>One probe's result: the outcome and, for HTTP, the status code received.</summary>
public readonly record struct ProbeResult(ProbeOutcome Outcome, int? StatusCode = null);

/// <summary>A target's current health: state, reason code, description and the run of equal results behind it.</summary>
public sealed record TargetHealthRecord(string State, string? Reason, string? Description, int Successes, int Failures)
{
    public static TargetHealthRecord Registering { get; } = new(TargetStates.Initial, "Elb.RegistrationInProgress", "Target registration is in progress", 0, 0);
}

/// <summary>
/// The health check state machine, as Elastic Load Balancing runs it: a new target is
/// <c>initial</c> (<c>Elb.RegistrationInProgress</c>, then <c>Elb.InitialHealthChecking</c> once
/// probed); HealthyThresholdCount consecutive successes make it <c>healthy</c>,
/// UnhealthyThresholdCount consecutive failures <c>unhealthy</c> with the reason of the last
/// failure (<c>Target.ResponseCodeMismatch</c>, <c>Target.Timeout</c>, <c>Target.FailedHealthChecks</c>).
/// </summary>
public static class HealthStateMachine
{
    public static TargetHealthRecord Next(TargetHealthRecord current, ProbeResult result, int healthyThreshold, int unhealthyThreshold)
    {
        if (result.Outcome == ProbeOutcome.Success)
        {
            var successes = current.Successes + 1;
            if (current.State == TargetStates.Healthy || successes >= healthyThreshold)
            {
                return new TargetHealthRecord(TargetStates.Healthy, null, null, successes, 0);
            }
            return current.State == TargetStates.Unhealthy
                ? current with { Successes = successes, Failures = 0 }
                : new TargetHealthRecord(TargetStates.Initial, "Elb.InitialHealthChecking", "Initial health checks in progress", successes, 0);
        }
        var failures = current.Failures + 1;
        var (reason, description) = result.Outcome switch
        {
            ProbeOutcome.Timeout => ("Target.Timeout", "Request timed out"),
            ProbeOutcome.CodeMismatch => ("Target.ResponseCodeMismatch", $"Health checks failed with these codes: [{result.StatusCode?.ToString(CultureInfo.InvariantCulture)}]"),
            _ => ("Target.FailedHealthChecks", "Health checks failed"),
        };
        if (current.State == TargetStates.Unhealthy || failures >= unhealthyThreshold)
        {
            return new TargetHealthRecord(TargetStates.Unhealthy, reason, description, 0, failures);
        }
        return current.State == TargetStates.Healthy
            ? current with { Successes = 0, Failures = failures }
            : new TargetHealthRecord(TargetStates.Initial, "Elb.InitialHealthChecking", "Initial health checks in progress", 0, failures);
    }
}

/// <summary>
/// The health of every target of every target group, fed by the health checker and read by
/// DescribeTargetHealth and the proxies. In memory: after a restart targets start over as
/// <c>initial</c>, as after a load balancer node replacement.
/// </summary>
public sealed class TargetHealthTracker
{
    private readonly ConcurrentDictionary<(string Group, string Target, int Port), TargetHealthRecord> _records = new();

    public TargetHealthRecord Get(string targetGroupArn, string targetId, int port) =>
        _records.GetValueOrDefault((targetGroupArn, targetId, port), TargetHealthRecord.Registering);

    public TargetHealthRecord Observe(string targetGroupArn, string targetId, int port, ProbeResult result, int healthyThreshold, int unhealthyThreshold) =>
        _records.AddOrUpdate((targetGroupArn, targetId, port),
            _ => HealthStateMachine.Next(TargetHealthRecord.Registering, result, healthyThreshold, unhealthyThreshold),
            (_, current) => HealthStateMachine.Next(current, result, healthyThreshold, unhealthyThreshold));

    /// <summary>Forgets targets no longer registered (<paramref name="keep"/> holds the ones that are).</summary>
    public void Retain(IReadOnlySet<(string Group, string Target, int Port)> keep)
    {
        foreach (var key in _records.Keys)
        {
            if (!keep.Contains(key))
            {
                _records.TryRemove(key, out _);
            }
        }
    }
}

/// <summary>A health check matcher: codes (<c>200</c>), lists (<c>200,202</c>) and ranges (<c>200-299</c>).</summary>
public static class HealthMatcher
{
    public static bool TryParse(string text, out List<(int From, int To)> ranges)
    {
        ranges = [];
        foreach (var part in text.Split(','))
        {
            var bounds = part.Trim().Split('-');
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c is >= 200 and <= 499))
            {
                return false;
            }
            var from = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var to = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (to < from)
            {
                return false;
            }
            ranges.Add((from, to));
        }
        return ranges.Count > 0;
    }

    public static bool Matches(string? matcher, int statusCode) =>
        TryParse(matcher ?? "200", out var ranges) && ranges.Any(r => statusCode >= r.From && statusCode <= r.To);
}

/// <summary>
/// What other services (Auto Scaling) use to put instances behind load balancers: register and
/// deregister instance targets of a target group inside their own store transaction, and read
/// the targets' health (ELB health checks of a group).
/// </summary>
public interface ITargetRegistry
{
    /// <summary>Registers instances (port: the group's when null); as RegisterTargets, with its errors.</summary>
    Task RegisterInstancesAsync(IStoreTransaction tx, Scope scope, string targetGroupArn, IReadOnlyList<(string InstanceId, int? Port)> instances, DateTime now, CancellationToken ct = default);

    /// <summary>Deregisters instances; they drain for the group's deregistration delay, as DeregisterTargets.</summary>
    Task DeregisterInstancesAsync(IStoreTransaction tx, Scope scope, string targetGroupArn, IReadOnlyList<string> instanceIds, DateTime now, CancellationToken ct = default);

    /// <summary>The health of every registered target of the group, as DescribeTargetHealth answers it.</summary>
    Task<IReadOnlyList<TargetHealthView>> DescribeHealthAsync(IStoreSession session, Scope scope, string targetGroupArn, CancellationToken ct = default);
}

/// <summary>The <see cref="ITargetRegistry"/> over the store and the running health checks.</summary>
public sealed class TargetRegistry(TargetHealthTracker tracker) : ITargetRegistry
{
    public Task RegisterInstancesAsync(IStoreTransaction tx, Scope scope, string targetGroupArn, IReadOnlyList<(string InstanceId, int? Port)> instances, DateTime now, CancellationToken ct = default) =>
        TargetGroups.RegisterAsync(tx, scope, targetGroupArn, instances.Select(i => new TargetRef(i.InstanceId, i.Port, null)).ToList(), now, ct);

    public Task DeregisterInstancesAsync(IStoreTransaction tx, Scope scope, string targetGroupArn, IReadOnlyList<string> instanceIds, DateTime now, CancellationToken ct = default) =>
        TargetGroups.DeregisterAsync(tx, scope, targetGroupArn, instanceIds.Select(i => new TargetRef(i, null, null)).ToList(), now, ct);

    public async Task<IReadOnlyList<TargetHealthView>> DescribeHealthAsync(IStoreSession session, Scope scope, string targetGroupArn, CancellationToken ct = default) =>
        await TargetGroups.DescribeHealthAsync(session, scope, targetGroupArn, null, tracker, ct).ConfigureAwait(false);
}
