using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Regions;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Hosts;

/// <summary>An instance placed on a Dedicated Host.</summary>
public sealed class HostInstanceRef
{
    public required string InstanceId { get; init; }
    public required string InstanceType { get; init; }
    public required int VCpus { get; init; }
}

/// <summary>A Dedicated Host allocated to the account: a physical server for one instance type or family in one zone.</summary>
public sealed class HostResource : ITaggable
{
    public required string Id { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string AvailabilityZoneId { get; init; }

    /// <summary>The one instance type the host runs (AllowsMultipleInstanceTypes off), or null for a family host.</summary>
    public string? InstanceType { get; set; }

    /// <summary>The instance family of the host (always set).</summary>
    public required string InstanceFamily { get; set; }

    public string AutoPlacement { get; set; } = "on";
    public string HostRecovery { get; set; } = "off";
    public string HostMaintenance { get; set; } = "on";
    public string State { get; set; } = DedicatedHosts.Available;
    public required DateTime AllocationTime { get; init; }
    public DateTime? ReleaseTime { get; set; }
    public string? ClientToken { get; init; }

    /// <summary>The Dedicated Host Reservation bought for the host (PurchaseHostReservation), if any.</summary>
    public string? HostReservationId { get; set; }

    /// <summary>vCPUs, cores and sockets of the server (the family's largest size).</summary>
    public required int TotalVCpus { get; set; }
    public required int Cores { get; set; }
    public required int Sockets { get; set; }

    /// <summary>Instances placed on the host while they run (pending, running, stopping, shutting-down).</summary>
    public List<HostInstanceRef> Instances { get; init; } = [];
    public List<Tag> Tags { get; init; } = [];
}

/// <summary>One size's capacity on a host.</summary>
public sealed record HostTypeCapacity(string InstanceType, int Available, int Total);

/// <summary>
/// Dedicated Hosts: AllocateHosts, ModifyHosts, ReleaseHosts and the placement of instances with
/// host tenancy. A host is sized like its family's largest type (an m5 host has 96 vCPUs: 48
/// m5.large, 24 m5.xlarge, ... or any mix of m5 sizes for a family host); an instance occupies its
/// vCPUs while pending, running or stopping, and leaves the host when it stops or terminates
/// (instances with affinity <c>host</c> return to the same host when started).
/// </summary>
public static class DedicatedHosts
{
    public const string Available = "available";
    public const string Released = "released";
    public const string Tenancy = "host";

    /// <summary>The store's type of hosts (ids <c>h-</c> + 17 hex digits).</summary>
    public static ResourceType Type => ResourceTypes.Host;

    /// <summary>Checks an AllocateHosts request and builds its hosts.</summary>
    public static List<HostResource> Plan(
        Scope scope, string? zoneName, string? zoneId, int? quantity, string? instanceType, string? instanceFamily,
        string? autoPlacement, string? hostRecovery, string? hostMaintenance, string? clientToken, List<Tag> tags, DateTime now)
    {
        var region = RegionCatalog.Get(scope.Region);
        if (zoneName is null && zoneId is null)
        {
            throw AwsErrors.MissingParameter("availabilityZone");
        }
        if (zoneName is not null && zoneId is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of availabilityZone or availabilityZoneId may be specified.");
        }
        var zone = region.Zones.FirstOrDefault(z => z.ZoneName == zoneName || z.ZoneId == zoneId)
            ?? throw AwsErrors.InvalidParameterValue($"Invalid availability zone: [{zoneName ?? zoneId}]");
        var count = quantity ?? 1;
        if (count < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({count}) for parameter quantity is invalid. Expected a positive integer.");
        }
        var (type, family) = ResolveTypeOrFamily(instanceType, instanceFamily);
        CheckOnOff(autoPlacement, "autoPlacement");
        CheckOnOff(hostRecovery, "hostRecovery");
        CheckOnOff(hostMaintenance, "hostMaintenance");
        var (vcpus, cores, sockets) = Hardware(family);
        return Enumerable.Range(0, count).Select(_ => new HostResource
        {
            Id = ResourceIds.New(ResourceTypes.Host.IdPrefix),
            AvailabilityZone = zone.ZoneName,
            AvailabilityZoneId = zone.ZoneId,
            InstanceType = type?.Name,
            InstanceFamily = family,
            AutoPlacement = autoPlacement ?? "on",
            HostRecovery = hostRecovery ?? "off",
            HostMaintenance = hostMaintenance ?? "on",
            AllocationTime = now,
            ClientToken = clientToken,
            TotalVCpus = vcpus,
            Cores = cores,
            Sockets = sockets,
            Tags = [.. tags],
        }).ToList();
    }

    /// <summary>The server behind a host of <paramref name="family"/>: the vCPUs of the family's largest type, two threads per core, two sockets from 64 vCPUs.</summary>
    public static (int VCpus, int Cores, int Sockets) Hardware(string family)
    {
        var largest = InstanceTypeCatalog.All.Where(t => t.Family == family).Max(t => t.DefaultVCpus);
        var threads = InstanceTypeCatalog.All.Where(t => t.Family == family).Max(t => t.DefaultThreadsPerCore);
        return (largest, largest / Math.Max(1, threads), largest >= 64 ? 2 : 1);
    }

    private static (InstanceTypeInfo? Type, string Family) ResolveTypeOrFamily(string? instanceType, string? instanceFamily)
    {
        if (instanceType is not null && instanceFamily is not null)
        {
            throw AwsErrors.InvalidParameterCombination("Only one of instanceType or instanceFamily may be specified.");
        }
        if (instanceType is null && instanceFamily is null)
        {
            throw new AwsException("MissingParameter", "Either instanceType or instanceFamily must be specified.");
        }
        if (instanceType is not null)
        {
            var type = InstanceTypeCatalog.Find(instanceType);
            if (type is null || !type.DedicatedHostsSupported)
            {
                throw AwsErrors.InvalidParameterValue($"Invalid value '{instanceType}' for instanceType. Dedicated Hosts do not support this instance type.");
            }
            return (type, type.Family);
        }
        if (!InstanceTypeCatalog.All.Any(t => t.Family == instanceFamily && t.DedicatedHostsSupported))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid value '{instanceFamily}' for instanceFamily. Dedicated Hosts do not support this instance family.");
        }
        return (null, instanceFamily!);
    }

    private static void CheckOnOff(string? value, string parameter)
    {
        if (value is not null and not ("on" or "off"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({value}) for parameter {parameter} is invalid. Valid values are: on, off.");
        }
    }

    /// <summary>The sizes a host can run: its one type, or every size of its family but bare metal.</summary>
    public static IEnumerable<InstanceTypeInfo> SupportedTypes(HostResource host) => host.InstanceType is { } only
        ? InstanceTypeCatalog.Find(only) is { } t ? [t] : []
        : InstanceTypeCatalog.All.Where(t => t.Family == host.InstanceFamily && t.DedicatedHostsSupported && !t.BareMetal).OrderBy(t => t.DefaultVCpus);

    public static bool Supports(HostResource host, InstanceTypeInfo type) =>
        host.InstanceType is { } only ? only == type.Name : host.InstanceFamily == type.Family && type.DedicatedHostsSupported && !type.BareMetal;

    public static int UsedVCpus(HostResource host) => host.Instances.Sum(i => i.VCpus);

    /// <summary>Capacity per size: for a one-type host, instances of that type; for a family host, what still fits in the free vCPUs.</summary>
    public static List<HostTypeCapacity> Capacity(HostResource host)
    {
        var free = host.TotalVCpus - UsedVCpus(host);
        return SupportedTypes(host).Select(t => host.InstanceType is not null
            ? new HostTypeCapacity(t.Name, host.TotalVCpus / t.DefaultVCpus - host.Instances.Count, host.TotalVCpus / t.DefaultVCpus)
            : new HostTypeCapacity(t.Name, Math.Max(0, free) / t.DefaultVCpus, host.TotalVCpus / t.DefaultVCpus)).ToList();
    }

    private static bool Fits(HostResource host, InstanceTypeInfo type) =>
        host.State == Available && Supports(host, type) && host.TotalVCpus - UsedVCpus(host) >= type.DefaultVCpus;

    /// <summary>
    /// Drops from the host's list the instances that no longer occupy it (stopped, terminated,
    /// gone, or moved). Returns true when the list changed.
    /// </summary>
    public static async Task<bool> ReconcileAsync(IStoreSession session, Scope scope, HostResource host, CancellationToken ct = default)
    {
        if (host.Instances.Count == 0)
        {
            return false;
        }
        var instances = await session.GetManyAsync<InstanceResource>(scope, ResourceTypes.Instance, host.Instances.Select(i => i.InstanceId).ToList(), ct).ConfigureAwait(false);
        var live = instances.Where(i => i.HostId == host.Id && Occupies(i.State)).Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        return host.Instances.RemoveAll(i => !live.Contains(i.InstanceId)) > 0;
    }

    private static bool Occupies(string state) =>
        state is InstanceStates.Pending or InstanceStates.Running or InstanceStates.Stopping or InstanceStates.ShuttingDown;

    /// <summary>The host named by <paramref name="hostId"/> (well-formed, existing, not released).</summary>
    public static async Task<HostResource> RequireAsync(IStoreSession session, Scope scope, string hostId, CancellationToken ct = default)
    {
        ResourceTypes.Host.CheckId(hostId);
        var host = await session.GetAsync<HostResource>(scope, ResourceTypes.Host, hostId, ct).ConfigureAwait(false);
        return host is null || host.State == Released ? throw ResourceTypes.Host.NotFound(hostId) : host;
    }

    /// <summary>True when a launch with this placement goes onto Dedicated Hosts.</summary>
    public static bool WantsHost(string? tenancy, string? hostId) => tenancy == Tenancy || hostId is not null;

    /// <summary>
    /// Places just-launched (or starting) instances on hosts: the named host, else a host of the
    /// instance's zone with auto-placement on that supports its type and has room. Instances that
    /// do not fit fail the whole call with <c>InsufficientHostCapacity</c>. The instances are
    /// written with their host, tenancy and affinity; the hosts with their new instances.
    /// </summary>
    public static async Task PlaceAsync(
        IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> instances, string? hostId, string? affinity, DateTime now, CancellationToken ct = default)
    {
        if (affinity is not null and not ("default" or "host"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({affinity}) for parameter affinity is invalid. Valid values are: default, host.");
        }
        var named = hostId is null ? null : await RequireAsync(tx, scope, hostId, ct).ConfigureAwait(false);
        var hosts = named is not null ? [named] : await tx.ListAsync<HostResource>(scope, ResourceTypes.Host, ct).ConfigureAwait(false);
        var changed = new Dictionary<string, HostResource>(StringComparer.Ordinal);
        var placing = instances.Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var host in hosts)
        {
            // An instance being placed again (a start) is counted once, where it lands now.
            if (await ReconcileAsync(tx, scope, host, ct).ConfigureAwait(false) | host.Instances.RemoveAll(i => placing.Contains(i.InstanceId)) > 0)
            {
                changed[host.Id] = host;
            }
        }
        foreach (var instance in instances)
        {
            var type = InstanceTypeCatalog.Find(instance.InstanceType) ?? throw AwsErrors.InvalidParameterValue($"Invalid instance type {instance.InstanceType}");
            HostResource host;
            if (named is not null)
            {
                if (named.AvailabilityZone != instance.AvailabilityZone)
                {
                    throw AwsErrors.InvalidParameterCombination($"The Dedicated Host {named.Id} is in {named.AvailabilityZone}, not in the availability zone of the launch ({instance.AvailabilityZone}).");
                }
                if (!Supports(named, type))
                {
                    throw AwsErrors.InvalidParameterCombination($"The Dedicated Host {named.Id} does not support instance type {type.Name}; it supports {named.InstanceType ?? named.InstanceFamily + " instances"}.");
                }
                host = Fits(named, type) ? named : throw InsufficientCapacity();
            }
            else
            {
                host = hosts.Where(h => h.AutoPlacement == "on" && h.AvailabilityZone == instance.AvailabilityZone && Fits(h, type))
                    .OrderBy(h => h.AllocationTime).ThenBy(h => h.Id, StringComparer.Ordinal).FirstOrDefault()
                    ?? throw InsufficientCapacity();
            }
            host.Instances.Add(new HostInstanceRef { InstanceId = instance.Id, InstanceType = type.Name, VCpus = type.DefaultVCpus });
            changed[host.Id] = host;
            instance.HostId = host.Id;
            instance.Tenancy = Tenancy;
            instance.Affinity = affinity ?? instance.Affinity ?? "default";
        }
        foreach (var host in changed.Values)
        {
            await tx.PutAsync(scope, ResourceTypes.Host, host.Id, host, host.AllocationTime, ct).ConfigureAwait(false);
        }
        await InstanceRecords.PutManyAsync(tx, scope, instances, now, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// StartInstances of instances with host tenancy: an instance with affinity <c>host</c> returns
    /// to its host, one with affinity <c>default</c> to any host with auto-placement and room.
    /// </summary>
    public static async Task PlaceStartingAsync(IStoreTransaction tx, Scope scope, IReadOnlyList<InstanceResource> starting, DateTime now, CancellationToken ct = default)
    {
        foreach (var instance in starting.Where(i => i.Tenancy == Tenancy))
        {
            var pinned = instance.Affinity == "host" ? instance.HostId : null;
            await PlaceAsync(tx, scope, [instance], pinned, instance.Affinity, now, ct).ConfigureAwait(false);
        }
    }

    public static AwsException InsufficientCapacity() =>
        new("InsufficientHostCapacity", "There is not enough capacity on the Dedicated Host to launch or start the instance.");

    /// <summary>ModifyHosts of one host: the error for it, or null when changed.</summary>
    public static async Task<AwsException?> ModifyAsync(IStoreTransaction tx, Scope scope, string hostId, string? autoPlacement, string? hostRecovery,
        string? hostMaintenance, string? instanceType, string? instanceFamily, CancellationToken ct = default)
    {
        HostResource host;
        try
        {
            host = await RequireAsync(tx, scope, hostId, ct).ConfigureAwait(false);
        }
        catch (AwsException e)
        {
            return e;
        }
        CheckOnOff(autoPlacement, "autoPlacement");
        CheckOnOff(hostRecovery, "hostRecovery");
        CheckOnOff(hostMaintenance, "hostMaintenance");
        if (instanceType is not null || instanceFamily is not null)
        {
            var (type, family) = ResolveTypeOrFamily(instanceType, instanceFamily);
            await ReconcileAsync(tx, scope, host, ct).ConfigureAwait(false);
            if (host.Instances.Count > 0)
            {
                return new AwsException("InvalidHost.Occupied", $"The Dedicated Host {host.Id} has running instances; its supported instance type cannot be changed.");
            }
            host.InstanceType = type?.Name;
            host.InstanceFamily = family;
            (host.TotalVCpus, host.Cores, host.Sockets) = Hardware(family);
        }
        host.AutoPlacement = autoPlacement ?? host.AutoPlacement;
        host.HostRecovery = hostRecovery ?? host.HostRecovery;
        host.HostMaintenance = hostMaintenance ?? host.HostMaintenance;
        await tx.PutAsync(scope, ResourceTypes.Host, host.Id, host, host.AllocationTime, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>ReleaseHosts of one host: refused while instances run on it or a host reservation covers it; released hosts stay visible in state <c>released</c>.</summary>
    public static async Task<AwsException?> ReleaseAsync(IStoreTransaction tx, Scope scope, string hostId, DateTime now, CancellationToken ct = default)
    {
        HostResource host;
        try
        {
            host = await RequireAsync(tx, scope, hostId, ct).ConfigureAwait(false);
        }
        catch (AwsException e)
        {
            return e;
        }
        await ReconcileAsync(tx, scope, host, ct).ConfigureAwait(false);
        if (host.Instances.Count > 0)
        {
            return new AwsException("InvalidHost.Occupied", $"The Dedicated Host {host.Id} cannot be released while instances run on it ({string.Join(", ", host.Instances.Select(i => i.InstanceId))}).");
        }
        if (await HostReservations.CoveringAsync(tx, scope, host, now, ct).ConfigureAwait(false) is { } reservation)
        {
            // Only On-Demand hosts are released; a reserved host stays for its reservation's term.
            return new AwsException("UnsupportedOperation",
                $"The Dedicated Host {host.Id} is covered by the Dedicated Host Reservation {reservation.Id} until {reservation.End:yyyy-MM-ddTHH:mm:ssZ}; only On-Demand Dedicated Hosts can be released.");
        }
        host.State = Released;
        host.ReleaseTime = now;
        host.AutoPlacement = "off";
        await tx.PutAsync(scope, ResourceTypes.Host, host.Id, host, host.AllocationTime, ct).ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// ModifyInstancePlacement: a stopped instance's tenancy, host and affinity. Naming a host makes
    /// the tenancy <c>host</c>; the host must exist, be in the instance's zone and support its type.
    /// </summary>
    public static async Task ModifyPlacementAsync(IStoreTransaction tx, Scope scope, InstanceResource instance, string? tenancy, string? hostId, string? affinity, DateTime now, CancellationToken ct = default)
    {
        if (instance.State != InstanceStates.Stopped)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in the 'stopped' state.");
        }
        if (tenancy is not null and not ("default" or "dedicated" or "host"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({tenancy}) for parameter tenancy is invalid. Valid values are: default, dedicated, host.");
        }
        if (affinity is not null and not ("default" or "host"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({affinity}) for parameter affinity is invalid. Valid values are: default, host.");
        }
        if (hostId is not null)
        {
            if (tenancy is not null and not Tenancy)
            {
                throw AwsErrors.InvalidParameterCombination("A host ID can only be specified with tenancy 'host'.");
            }
            var host = await RequireAsync(tx, scope, hostId, ct).ConfigureAwait(false);
            var type = InstanceTypeCatalog.Find(instance.InstanceType)!;
            if (host.AvailabilityZone != instance.AvailabilityZone)
            {
                throw AwsErrors.InvalidParameterCombination($"The Dedicated Host {host.Id} is in {host.AvailabilityZone}; the instance is in {instance.AvailabilityZone}.");
            }
            if (!Supports(host, type))
            {
                throw AwsErrors.InvalidParameterCombination($"The Dedicated Host {host.Id} does not support instance type {type.Name}.");
            }
            instance.HostId = host.Id;
            instance.Tenancy = Tenancy;
        }
        else if (tenancy is not null)
        {
            instance.Tenancy = tenancy;
            if (tenancy != Tenancy)
            {
                instance.HostId = null;
                instance.Affinity = null;
            }
        }
        if (affinity is not null)
        {
            if (affinity == "host" && instance.HostId is null && instance.Tenancy != Tenancy)
            {
                throw AwsErrors.InvalidParameterCombination("Affinity 'host' requires tenancy 'host'.");
            }
            instance.Affinity = affinity;
        }
        await InstanceRecords.PutAsync(tx, scope, instance, now, ct).ConfigureAwait(false);
    }
}
