namespace Stratus.Domain.AutoScaling;

/// <summary>
/// Where a group launches and which instances it terminates, as Amazon EC2 Auto Scaling decides:
/// launches go to the Availability Zone with the fewest instances (then the subnet with the
/// fewest in it), and scale-in first picks the zone with the most instances, then applies the
/// termination policies in order, <c>Default</c> last, among the unprotected instances there.
/// </summary>
public static class GroupPlacement
{
    /// <summary>The termination policies DescribeTerminationPolicyTypes lists.</summary>
    public static IReadOnlyList<string> TerminationPolicyTypes { get; } =
        ["AllocationStrategy", "ClosestToNextInstanceHour", "Default", "NewestInstance", "OldestInstance", "OldestLaunchConfiguration", "OldestLaunchTemplate"];

    /// <summary>
    /// The subnets for <paramref name="count"/> new instances, balancing zones given the group's
    /// current instances (those counting towards capacity). Zones are tried in the order of the
    /// group's subnets; <paramref name="avoidZones"/> (zones that just failed to launch) are used
    /// only when no other zone is left.
    /// </summary>
    public static List<string> ChooseSubnets(AutoScalingGroup group, int count, IReadOnlySet<string>? avoidZones = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        var result = new List<string>(count);
        if (group.Subnets.Count == 0)
        {
            return result;
        }
        var zones = group.Subnets.Select(s => group.SubnetZones.GetValueOrDefault(s, s)).Distinct(StringComparer.Ordinal).ToList();
        if (avoidZones is { Count: > 0 } && zones.Any(z => !avoidZones.Contains(z)))
        {
            zones = zones.Where(z => !avoidZones.Contains(z)).ToList();
        }
        var live = group.Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) && i.ReplacementCause is null).ToList();
        var perZone = zones.ToDictionary(z => z, z => live.Count(i => i.AvailabilityZone == z), StringComparer.Ordinal);
        var perSubnet = group.Subnets.ToDictionary(s => s, s => live.Count(i => i.SubnetId == s), StringComparer.Ordinal);
        for (var n = 0; n < count; n++)
        {
            var zone = zones.OrderBy(z => perZone[z]).ThenBy(zones.IndexOf).First();
            var subnet = group.Subnets.Where(s => group.SubnetZones.GetValueOrDefault(s, s) == zone).OrderBy(s => perSubnet[s]).ThenBy(group.Subnets.IndexOf).First();
            perZone[zone]++;
            perSubnet[subnet]++;
            result.Add(subnet);
        }
        return result;
    }

    /// <summary>
    /// AZRebalance: when the group's zones hold numbers of in-service instances that differ by more
    /// than one, the instance to replace — in the most crowded zone (unprotected, the oldest there);
    /// its replacement goes to the zone with the fewest (<see cref="ChooseSubnets"/> no longer counts
    /// it), and it is terminated once that one is in service. Null when the group is balanced.
    /// </summary>
    public static GroupInstance? RebalanceCandidate(AutoScalingGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var zones = group.Subnets.Select(s => group.SubnetZones.GetValueOrDefault(s, s)).Distinct(StringComparer.Ordinal).ToList();
        if (zones.Count < 2)
        {
            return null;
        }
        var live = group.Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState) && i.ReplacementCause is null).ToList();
        var perZone = zones.ToDictionary(z => z, z => live.Count(i => i.AvailabilityZone == z), StringComparer.Ordinal);
        var most = zones.OrderByDescending(z => perZone[z]).ThenBy(zones.IndexOf).First();
        var fewest = perZone.Values.Min();
        if (perZone[most] - fewest <= 1)
        {
            return null;
        }
        return live.Where(i => i.AvailabilityZone == most && i.LifecycleState == LifecycleStates.InService && !i.ProtectedFromScaleIn)
            .OrderBy(i => i.LaunchTime).ThenBy(i => i.InstanceId, StringComparer.Ordinal).FirstOrDefault();
    }

    /// <summary>
    /// The instances to terminate to remove <paramref name="count"/> units of capacity (fewer when
    /// not enough are unprotected), one at a time so that zones stay balanced.
    /// <paramref name="currentTemplateVersion"/> is the group's launch template version resolved to a
    /// number (what OldestLaunchTemplate compares against).
    /// </summary>
    public static List<GroupInstance> ChooseForScaleIn(AutoScalingGroup group, int count, DateTime now, string? currentTemplateVersion = null)
    {
        ArgumentNullException.ThrowIfNull(group);
        var live = group.Instances.Where(i => LifecycleStates.CountsTowardsCapacity(i.LifecycleState)).ToList();
        var candidates = live.Where(i => !i.ProtectedFromScaleIn).ToList();
        var chosen = new List<GroupInstance>();
        var removed = 0;
        while (removed < count && candidates.Count > 0)
        {
            // The zone with the most instances that still has an instance it may terminate.
            var zoneCounts = live.GroupBy(i => i.AvailabilityZone).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var zone = candidates.Select(i => i.AvailabilityZone).Distinct(StringComparer.Ordinal)
                .OrderByDescending(z => zoneCounts.GetValueOrDefault(z)).ThenBy(z => z, StringComparer.Ordinal).First();
            var inZone = candidates.Where(i => i.AvailabilityZone == zone).ToList();
            var victim = Apply(group, inZone, now, currentTemplateVersion);
            chosen.Add(victim);
            candidates.Remove(victim);
            live.Remove(victim);
            removed += victim.WeightedCapacity ?? 1;
        }
        return chosen;
    }

    /// <summary>Narrows <paramref name="instances"/> (one zone) by the group's policies, then Default, to one instance.</summary>
    public static GroupInstance Apply(AutoScalingGroup group, IReadOnlyList<GroupInstance> instances, DateTime now, string? currentTemplateVersion)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(instances);
        IReadOnlyList<GroupInstance> left = instances;
        foreach (var policy in group.TerminationPolicies.Append("Default"))
        {
            if (left.Count <= 1)
            {
                break;
            }
            left = policy switch
            {
                "OldestInstance" => Keep(left, l => l.Where(i => i.LaunchTime == l.Min(x => x.LaunchTime))),
                "NewestInstance" => Keep(left, l => l.Where(i => i.LaunchTime == l.Max(x => x.LaunchTime))),
                "OldestLaunchConfiguration" => OldestLaunchConfiguration(group, left),
                "OldestLaunchTemplate" => OldestLaunchTemplate(group, left, currentTemplateVersion),
                "ClosestToNextInstanceHour" => ClosestToNextInstanceHour(left, now),
                "AllocationStrategy" => AllocationStrategy(group, left),
                "Default" => ClosestToNextInstanceHour(OldestLaunchTemplate(group, OldestLaunchConfiguration(group, AllocationStrategy(group, left)), currentTemplateVersion), now),
                _ => left,
            };
        }
        return left.OrderBy(i => i.InstanceId, StringComparer.Ordinal).First();
    }

    private static IReadOnlyList<GroupInstance> Keep(IReadOnlyList<GroupInstance> left, Func<IReadOnlyList<GroupInstance>, IEnumerable<GroupInstance>> filter)
    {
        var kept = filter(left).ToList();
        return kept.Count > 0 ? kept : left;
    }

    /// <summary>Instances not launched from the group's launch configuration (or with none) go first.</summary>
    private static IReadOnlyList<GroupInstance> OldestLaunchConfiguration(AutoScalingGroup group, IReadOnlyList<GroupInstance> left) =>
        group.LaunchConfigurationName is null ? left : Keep(left, l => l.Where(i => i.LaunchConfigurationName != group.LaunchConfigurationName));

    /// <summary>Instances from another template, then those from the lowest version other than the current one, go first.</summary>
    private static IReadOnlyList<GroupInstance> OldestLaunchTemplate(AutoScalingGroup group, IReadOnlyList<GroupInstance> left, string? currentVersion)
    {
        var template = group.MixedInstancesPolicy?.LaunchTemplate ?? group.LaunchTemplate;
        if (template is null)
        {
            return left;
        }
        var otherTemplate = left.Where(i => i.LaunchTemplate is null || i.LaunchTemplate.LaunchTemplateId != template.LaunchTemplateId).ToList();
        if (otherTemplate.Count > 0)
        {
            return otherTemplate;
        }
        if (currentVersion is null)
        {
            return left;
        }
        var older = left.Where(i => i.LaunchTemplate?.Version != currentVersion).ToList();
        if (older.Count == 0)
        {
            return left;
        }
        var lowest = older.Min(VersionNumber);
        return older.Where(i => VersionNumber(i) == lowest).ToList();
    }

    private static long VersionNumber(GroupInstance instance) =>
        long.TryParse(instance.LaunchTemplate?.Version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>Instances closest to their next billing hour go first.</summary>
    private static List<GroupInstance> ClosestToNextInstanceHour(IReadOnlyList<GroupInstance> left, DateTime now)
    {
        static double ToNextHour(GroupInstance i, DateTime now) => 3600 - ((now - i.LaunchTime).TotalSeconds % 3600 + 3600) % 3600;
        var best = left.Min(i => Math.Floor(ToNextHour(i, now)));
        return left.Where(i => Math.Floor(ToNextHour(i, now)) == best).ToList();
    }

    /// <summary>
    /// With a mixed instances policy whose on-demand strategy is <c>prioritized</c>, instances of
    /// the lowest-priority type (latest in the overrides) go first; others are left as they are.
    /// </summary>
    private static IReadOnlyList<GroupInstance> AllocationStrategy(AutoScalingGroup group, IReadOnlyList<GroupInstance> left)
    {
        if (group.MixedInstancesPolicy is not { Overrides.Count: > 1 } mixed)
        {
            return left;
        }
        int Priority(GroupInstance i)
        {
            var index = mixed.Overrides.FindIndex(o => o.InstanceType == i.InstanceType);
            return index < 0 ? int.MaxValue : index;
        }
        var lowest = left.Max(Priority);
        return left.Where(i => Priority(i) == lowest).ToList();
    }
}
