using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Fleets;
using Stratus.Domain.Instances.Launch;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;
using Stratus.Server.Ec2.Fleets;
using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>
/// The pools of a Spot Fleet or EC2 Fleet: every launch specification, or launch template with
/// each of its overrides, becomes one pool per subnet (comma-separated subnets and zones are
/// split; without a subnet or zone, one pool per default subnet of the region's zones). Each pool
/// is resolved once, when the fleet is made, into a domain <see cref="LaunchSpec"/> and checked as
/// RunInstances would check it (image, type, network, groups); what only quotas or capacity stop
/// is left to the launch.
/// </summary>
internal sealed partial class Ec2Service
{
    /// <summary>At most this many pools per fleet.</summary>
    private const int MaxFleetPools = 300;

    /// <summary>A launch specification or a launch template override, before it is resolved: <see cref="Build"/> makes its launch request for a subnet or zone.</summary>
    internal sealed record FleetPoolCandidate(
        int ConfigIndex, int? OverrideIndex, Func<string?, string?, RunInstancesRequest> Build,
        IReadOnlyList<string> Subnets, IReadOnlyList<string> Zones, double? Weight, double? Priority, string? MaxPrice);

    /// <summary>A pool that cannot be used, and why.</summary>
    internal sealed record FleetPoolFailure(int ConfigIndex, int? OverrideIndex, string? InstanceType, string? SubnetId, string? AvailabilityZone, AwsException Error);

    private static List<string> SplitList(string? value) =>
        value is null ? [] : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private async Task<(List<FleetPool> Pools, List<FleetPoolFailure> Failures)> ResolveFleetPoolsAsync(
        RequestContext context, IReadOnlyList<FleetPoolCandidate> candidates, bool spot)
    {
        var pools = new List<FleetPool>();
        var failures = new List<FleetPoolFailure>();
        List<SubnetResource>? defaults = null;
        foreach (var candidate in candidates)
        {
            var variants = candidate.Subnets.Count > 0 ? candidate.Subnets.Select(s => ((string?)s, (string?)null)).ToList()
                : candidate.Zones.Count > 0 ? candidate.Zones.Select(z => ((string?)null, (string?)z)).ToList()
                : [(null, null)];
            foreach (var (subnetId, zone) in variants)
            {
                var run = candidate.Build(subnetId, zone);
                run.MinCount = 1;
                run.MaxCount = 1;
                var applied = await ApplyLaunchTemplateAsync(context, run).ConfigureAwait(false);
                var spec = ToLaunchSpec(applied.Request, applied.InstanceTags) with { Spot = spot, ClientToken = null };
                var specs = new List<LaunchSpec> { spec };
                if (spec.SubnetId is null && spec.AvailabilityZone is null)
                {
                    defaults ??= [.. (await context.Store.ListAsync<SubnetResource>(context.Scope, ResourceTypes.Subnet, context.Cancellation).ConfigureAwait(false))
                        .Where(s => s.DefaultForAz).OrderBy(s => s.AvailabilityZone, StringComparer.Ordinal)];
                    if (defaults.Count > 0)
                    {
                        specs = [.. defaults.Select(s => spec with { SubnetId = s.Id })];
                    }
                }
                foreach (var one in specs)
                {
                    if (pools.Count >= MaxFleetPools)
                    {
                        throw AwsErrors.InvalidParameterValue($"A fleet can have at most {MaxFleetPools} launch specifications and overrides (counting each subnet and Availability Zone).");
                    }
                    try
                    {
                        var (type, subnet, az) = await ResolvePoolAsync(context, one).ConfigureAwait(false);
                        pools.Add(new FleetPool
                        {
                            Index = pools.Count,
                            InstanceType = type.Name,
                            AvailabilityZone = az,
                            SubnetId = subnet,
                            WeightedCapacity = candidate.Weight ?? 1,
                            WeightGiven = candidate.Weight is not null,
                            Priority = candidate.Priority,
                            MaxPrice = candidate.MaxPrice,
                            Launch = one with { InstanceType = type.Name, SubnetId = one.SubnetId ?? subnet },
                            ConfigIndex = candidate.ConfigIndex,
                            OverrideIndex = candidate.OverrideIndex,
                        });
                    }
                    catch (AwsException e)
                    {
                        failures.Add(new FleetPoolFailure(candidate.ConfigIndex, candidate.OverrideIndex, one.InstanceType, one.SubnetId, one.AvailabilityZone, e));
                    }
                }
            }
        }
        return (pools, failures);
    }

    /// <summary>Checks one pool's launch as RunInstances would; quota and capacity errors do not make a pool unusable.</summary>
    private async Task<(Domain.Compute.InstanceTypes.InstanceTypeInfo Type, string SubnetId, string Zone)> ResolvePoolAsync(RequestContext context, LaunchSpec spec)
    {
        try
        {
            var plan = await LaunchPlanner.PlanAsync(context.Store, context.Scope, spec, _lifecycle.Runtime.Name, context.Now, context.Cancellation).ConfigureAwait(false);
            return (plan.Type, plan.Subnet.Subnet.Id, plan.Subnet.Subnet.AvailabilityZone);
        }
        catch (AwsException e) when (FleetLauncher.CapacityErrors.Contains(e.Code))
        {
            var subnet = await LaunchPlanner.ChooseSubnetAsync(context.Store, context.Scope, spec.SubnetId, spec.AvailabilityZone, context.Cancellation).ConfigureAwait(false);
            var typeName = spec.InstanceType ?? LaunchPlanner.DefaultInstanceType(subnet.AvailabilityZone);
            var type = InstanceTypeCatalog.Find(typeName) ?? throw AwsErrors.InvalidParameterValue($"Invalid value '{typeName}' for InstanceType.");
            return (type, subnet.Id, subnet.AvailabilityZone);
        }
    }

    /// <summary>Checks a weight or priority of a launch specification or override.</summary>
    private static double? CheckWeight(double? weight, string name)
    {
        if (weight is { } w && (double.IsNaN(w) || w <= 0 || w > 1000))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({w}) for parameter {name} is invalid. Expected a positive number up to 1000.");
        }
        return weight;
    }

    private void WakeFleetController(RequestContext context)
    {
        if (!context.DryRun && _fleets is { } controller)
        {
            context.AfterCommit(() =>
            {
                controller.Wake();
                return Task.CompletedTask;
            });
        }
    }

    private static string FleetTimestamp(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
