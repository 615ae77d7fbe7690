using System.Globalization;
using Stratus.Domain.Filtering;
using Stratus.Domain.Instances;
using Stratus.Domain.Vpc;
using Stratus.Protocol;

namespace Stratus.Server.Ec2;

/// <summary>An instance with the network interfaces attached to it, as Describe and its filters see it.</summary>
internal sealed record InstanceView(InstanceResource Instance, IReadOnlyList<NetworkInterfaceResource> Interfaces)
{
    /// <summary>What the runtime reports of the guest (null under the mock runtime or when no guest runs).</summary>
    public GuestHealth? Health { get; init; }

    /// <summary>
    /// The system status check: the guest process/VM is alive. Reachability: passed, failed, or
    /// null when the instance is not running (not-applicable).
    /// </summary>
    public string? SystemReachability => Instance.State != InstanceStates.Running ? null : Health is { Running: false } ? "failed" : "passed";

    /// <summary>
    /// The instance status check: the guest's init reported in ("passed"), never did ("failed"),
    /// or is still booting ("initializing"); null when the instance is not running.
    /// </summary>
    public string? InstanceReachability => Instance.State != InstanceStates.Running ? null : Health switch
    {
        null => "passed",
        { Running: false } or { ReachedInit: false } => "failed",
        { ReachedInit: true } => "passed",
        _ => "initializing",
    };

    /// <summary>The summary status AWS derives from a reachability detail.</summary>
    public static string StatusOf(string? reachability) => reachability switch
    {
        null => "not-applicable",
        "passed" => "ok",
        "failed" => "impaired",
        _ => "initializing",
    };

    /// <summary>False once terminated: a terminated instance keeps no address, subnet or groups.</summary>
    public bool Live => Instance.State != InstanceStates.Terminated;

    private static string? Text(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string? Time(DateTime? value) => value is { } t ? ProtocolFormats.FormatTimestamp(t) : null;

    /// <summary>DescribeInstances' filters, exactly the ones the API reference documents.</summary>
    public static FilterSet<InstanceView> Filters { get; } = Build();

    private static FilterSet<InstanceView> Build()
    {
        var f = new FilterSet<InstanceView>();
        IEnumerable<string?> None(InstanceView _) => [];
        f.Add("affinity", v => v.Instance.Affinity)
            .Add("architecture", v => v.Instance.Architecture)
            .Add("availability-zone", v => v.Instance.AvailabilityZone)
            .Add("availability-zone-id", v => v.Instance.AvailabilityZoneId)
            .AddMany("block-device-mapping.attach-time", v => v.Instance.BlockDevices.Select(b => Time(b.AttachTime)))
            .AddMany("block-device-mapping.delete-on-termination", v => v.Instance.BlockDevices.Select(b => Bool(b.DeleteOnTermination)))
            .AddMany("block-device-mapping.device-name", v => v.Instance.BlockDevices.Select(b => b.DeviceName))
            .AddMany("block-device-mapping.status", v => v.Instance.BlockDevices.Select(b => b.Status))
            .AddMany("block-device-mapping.volume-id", v => v.Instance.BlockDevices.Select(b => b.VolumeId))
            .Add("boot-mode", v => v.Instance.BootMode)
            .Add("capacity-reservation-id", v => v.Instance.CapacityReservationId)
            .Add("capacity-reservation-specification.capacity-reservation-preference", _ => "open")
            .Add("capacity-reservation-specification.capacity-reservation-target.capacity-reservation-id", _ => null)
            .Add("capacity-reservation-specification.capacity-reservation-target.capacity-reservation-resource-group-arn", _ => null)
            .Add("client-token", v => v.Instance.ClientToken)
            .Add("current-instance-boot-mode", v => v.Instance.BootMode == "uefi" ? "uefi" : "legacy-bios")
            .Add("dns-name", v => v.Instance.PublicDnsName)
            .Add("ebs-optimized", v => v.Instance.EbsOptimized)
            .Add("ena-support", v => v.Instance.EnaSupport)
            .Add("enclave-options.enabled", _ => false)
            .Add("hibernation-options.configured", _ => false)
            .Add("host-id", v => v.Instance.HostId)
            .Add("hypervisor", v => v.Instance.Hypervisor)
            .Add("iam-instance-profile.arn", v => v.Instance.IamInstanceProfileArn)
            .Add("iam-instance-profile.id", v => v.Instance.IamInstanceProfileId)
            .Add("image-id", v => v.Instance.ImageId)
            .Add("instance-id", v => v.Instance.Id)
            .Add("instance-lifecycle", v => v.Instance.InstanceLifecycle)
            .Add("instance-state-code", v => Text(InstanceStates.Code(v.Instance.State)))
            .Add("instance-state-name", v => v.Instance.State)
            .Add("instance-type", v => v.Instance.InstanceType)
            .AddMany("instance.group-id", v => v.Live ? v.Instance.SecurityGroups.Select(g => g.GroupId) : [])
            .AddMany("instance.group-name", v => v.Live ? v.Instance.SecurityGroups.Select(g => g.GroupName) : [])
            .Add("ip-address", v => v.Instance.PublicIpAddress)
            .AddMany("ipv6-address", v => v.Interfaces.SelectMany(n => n.Ipv6Addresses))
            .Add("kernel-id", _ => null)
            .Add("key-name", v => v.Instance.KeyName)
            .Add("launch-index", v => Text(v.Instance.AmiLaunchIndex))
            .Add("launch-time", v => Time(v.Instance.LaunchTime))
            .Add("maintenance-options.auto-recovery", v => v.Instance.AutoRecovery)
            .Add("metadata-options.http-endpoint", v => v.Instance.MetadataOptions.HttpEndpoint)
            .Add("metadata-options.http-protocol-ipv4", _ => "enabled")
            .Add("metadata-options.http-protocol-ipv6", v => v.Instance.MetadataOptions.HttpProtocolIpv6)
            .Add("metadata-options.http-put-response-hop-limit", v => Text(v.Instance.MetadataOptions.HttpPutResponseHopLimit))
            .Add("metadata-options.http-tokens", v => v.Instance.MetadataOptions.HttpTokens)
            .Add("metadata-options.instance-metadata-tags", v => v.Instance.MetadataOptions.InstanceMetadataTags)
            .Add("metadata-options.state", _ => "applied")
            .Add("monitoring-state", v => v.Instance.MonitoringEnabled ? "enabled" : "disabled")
            .AddMany("network-interface.addresses.association.allocation-id", v => v.Interfaces.Select(n => n.Association?.AllocationId))
            .AddMany("network-interface.addresses.association.association-id", v => v.Interfaces.Select(n => n.Association?.AssociationId))
            .AddMany("network-interface.addresses.association.carrier-ip", None)
            .AddMany("network-interface.addresses.association.customer-owned-ip", None)
            .AddMany("network-interface.addresses.association.ip-owner-id", v => v.Interfaces.Select(n => n.Association?.IpOwnerId))
            .AddMany("network-interface.addresses.association.public-dns-name", v => v.Interfaces.Select(n => n.Association?.PublicDnsName))
            .AddMany("network-interface.addresses.association.public-ip", v => v.Interfaces.Select(n => n.Association?.PublicIp))
            .AddMany("network-interface.addresses.primary", v => v.Interfaces.SelectMany(n => n.SecondaryPrivateIpAddresses.Select(_ => "false").Prepend("true")))
            .AddMany("network-interface.addresses.private-dns-name", v => v.Interfaces.Select(n => PrivateDnsName(n.PrivateIpAddress, v)))
            .AddMany("network-interface.addresses.private-ip-address", v => v.Interfaces.SelectMany(n => n.SecondaryPrivateIpAddresses.Prepend(n.PrivateIpAddress)))
            .AddMany("network-interface.association.allocation-id", v => v.Interfaces.Select(n => n.Association?.AllocationId))
            .AddMany("network-interface.association.association-id", v => v.Interfaces.Select(n => n.Association?.AssociationId))
            .AddMany("network-interface.association.carrier-ip", None)
            .AddMany("network-interface.association.customer-owned-ip", None)
            .AddMany("network-interface.association.ip-owner-id", v => v.Interfaces.Select(n => n.Association?.IpOwnerId))
            .AddMany("network-interface.association.public-dns-name", v => v.Interfaces.Select(n => n.Association?.PublicDnsName))
            .AddMany("network-interface.association.public-ip", v => v.Interfaces.Select(n => n.Association?.PublicIp))
            .AddMany("network-interface.attachment.attach-time", v => v.Interfaces.Select(n => Time(n.Attachment?.AttachTime)))
            .AddMany("network-interface.attachment.attachment-id", v => v.Interfaces.Select(n => n.Attachment?.AttachmentId))
            .AddMany("network-interface.attachment.delete-on-termination", v => v.Interfaces.Select(n => n.Attachment is { } a ? Bool(a.DeleteOnTermination) : null))
            .AddMany("network-interface.attachment.device-index", v => v.Interfaces.Select(n => Text(n.Attachment?.DeviceIndex)))
            .AddMany("network-interface.attachment.instance-id", v => v.Interfaces.Select(n => n.Attachment?.InstanceId))
            .AddMany("network-interface.attachment.instance-owner-id", v => v.Interfaces.Select(n => n.Attachment is null ? null : v.Instance.OwnerId))
            .AddMany("network-interface.attachment.network-card-index", v => v.Interfaces.Select(n => n.Attachment is null ? null : "0"))
            .AddMany("network-interface.attachment.status", v => v.Interfaces.Select(n => n.Attachment?.Status))
            .AddMany("network-interface.availability-zone", v => v.Interfaces.Select(n => n.AvailabilityZone))
            .AddMany("network-interface.deny-all-igw-traffic", v => v.Interfaces.Select(_ => "false"))
            .AddMany("network-interface.description", v => v.Interfaces.Select(n => n.Description))
            .AddMany("network-interface.group-id", v => v.Interfaces.SelectMany(n => n.SecurityGroupIds))
            .AddMany("network-interface.group-name", v => v.Instance.SecurityGroups.Select(g => g.GroupName))
            .AddMany("network-interface.ipv4-prefixes.ipv4-prefix", None)
            .AddMany("network-interface.ipv6-address", v => v.Interfaces.SelectMany(n => n.Ipv6Addresses))
            .AddMany("network-interface.ipv6-addresses.ipv6-address", v => v.Interfaces.SelectMany(n => n.Ipv6Addresses))
            .AddMany("network-interface.ipv6-addresses.is-primary-ipv6", v => v.Interfaces.SelectMany(n => n.Ipv6Addresses.Select(_ => "false")))
            .AddMany("network-interface.ipv6-native", v => v.Interfaces.Select(_ => "false"))
            .AddMany("network-interface.ipv6-prefixes.ipv6-prefix", None)
            .AddMany("network-interface.mac-address", v => v.Interfaces.Select(n => n.MacAddress))
            .AddMany("network-interface.network-interface-id", v => v.Interfaces.Select(n => n.Id))
            .AddMany("network-interface.operator.managed", v => v.Interfaces.Select(_ => "false"))
            .AddMany("network-interface.operator.principal", None)
            .AddMany("network-interface.outpost-arn", None)
            .AddMany("network-interface.owner-id", v => v.Interfaces.Select(n => n.OwnerId))
            .AddMany("network-interface.private-dns-name", v => v.Interfaces.Select(n => PrivateDnsName(n.PrivateIpAddress, v)))
            .AddMany("network-interface.private-ip-address", v => v.Interfaces.Select(n => n.PrivateIpAddress))
            .AddMany("network-interface.public-dns-name", v => v.Interfaces.Select(n => n.Association?.PublicDnsName))
            .AddMany("network-interface.requester-id", None)
            .AddMany("network-interface.requester-managed", v => v.Interfaces.Select(n => Bool(n.RequesterManaged)))
            .AddMany("network-interface.source-dest-check", v => v.Interfaces.Select(n => Bool(n.SourceDestCheck)))
            .AddMany("network-interface.status", v => v.Interfaces.Select(n => n.Status))
            .AddMany("network-interface.subnet-id", v => v.Interfaces.Select(n => n.SubnetId))
            .AddMany("network-interface.tag-key", v => v.Interfaces.SelectMany(n => n.Tags.Select(t => t.Key)))
            .AddMany("network-interface.tag-value", v => v.Interfaces.SelectMany(n => n.Tags.Select(t => t.Value)))
            .AddMany("network-interface.vpc-id", v => v.Interfaces.Select(n => n.VpcId))
            .Add("network-performance-options.bandwidth-weighting", _ => "default")
            .Add("operator.managed", _ => false)
            .Add("operator.principal", _ => null)
            .Add("outpost-arn", _ => null)
            .Add("owner-id", v => v.Instance.OwnerId)
            .Add("placement-group-name", v => v.Instance.PlacementGroupName)
            .Add("placement-partition-number", v => Text(v.Instance.PartitionNumber))
            .Add("platform", _ => null)
            .Add("platform-details", _ => "Linux/UNIX")
            .Add("private-dns-name", v => v.Live ? v.Instance.PrivateDnsName : null)
            .Add("private-dns-name-options.enable-resource-name-dns-a-record", _ => false)
            .Add("private-dns-name-options.enable-resource-name-dns-aaaa-record", _ => false)
            .Add("private-dns-name-options.hostname-type", _ => "ip-name")
            .Add("private-ip-address", v => v.Live ? v.Instance.PrivateIpAddress : null)
            .AddMany("product-code", None)
            .AddMany("product-code.type", None)
            .Add("ramdisk-id", _ => null)
            .Add("reason", v => v.Instance.StateTransitionReason)
            .Add("requester-id", _ => null)
            .Add("reservation-id", v => v.Instance.ReservationId)
            .Add("root-device-name", v => v.Instance.RootDeviceName)
            .Add("root-device-type", v => v.Instance.RootDeviceType)
            .Add("source-dest-check", v => v.Instance.SourceDestCheck)
            .Add("spot-instance-request-id", v => v.Instance.SpotInstanceRequestId)
            .Add("state-reason-code", v => v.Instance.StateReasonCode)
            .Add("state-reason-message", v => v.Instance.StateReasonMessage)
            .Add("subnet-id", v => v.Live ? v.Instance.SubnetId : null)
            .Add("tenancy", v => v.Instance.Tenancy)
            .Add("tpm-support", _ => null)
            .Add("usage-operation", _ => "RunInstances")
            .Add("usage-operation-update-time", v => Time(v.Instance.LaunchTime))
            .Add("virtualization-type", v => v.Instance.VirtualizationType)
            .Add("vpc-id", v => v.Live ? v.Instance.VpcId : null)
            .WithTags(v => v.Instance.Tags)
            .Indexed("instance-state-name", "vpc-id", "subnet-id", "reservation-id", "instance.group-id")
            .IndexedTags();
        return f;
    }

    private static string PrivateDnsName(string address, InstanceView view) =>
        view.Instance.PrivateDnsName.Replace(view.Instance.PrivateIpAddress.Replace('.', '-'), address.Replace('.', '-'), StringComparison.Ordinal);
}
