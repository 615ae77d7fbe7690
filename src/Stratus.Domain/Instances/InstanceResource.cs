using Stratus.Domain.Resources;

namespace Stratus.Domain.Instances;

/// <summary>EC2's instance states with their codes.</summary>
public static class InstanceStates
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string ShuttingDown = "shutting-down";
    public const string Terminated = "terminated";
    public const string Stopping = "stopping";
    public const string Stopped = "stopped";

    public static int Code(string state) => state switch
    {
        Pending => 0,
        Running => 16,
        ShuttingDown => 32,
        Terminated => 48,
        Stopping => 64,
        Stopped => 80,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "unknown instance state"),
    };

    public static IReadOnlyList<string> All { get; } = [Pending, Running, ShuttingDown, Terminated, Stopping, Stopped];
}

/// <summary>An EBS volume attached to an instance at a device name.</summary>
public sealed class InstanceBlockDevice
{
    public required string DeviceName { get; init; }
    public required string VolumeId { get; init; }
    public bool DeleteOnTermination { get; set; } = true;
    public required DateTime AttachTime { get; init; }
    public string Status { get; set; } = "attached";
}

public sealed class InstanceMetadataOptions
{
    public string HttpTokens { get; set; } = "optional";
    public int HttpPutResponseHopLimit { get; set; } = 1;
    public string HttpEndpoint { get; set; } = "enabled";
    public string HttpProtocolIpv6 { get; set; } = "disabled";
    public string InstanceMetadataTags { get; set; } = "disabled";
}

public sealed class SecurityGroupRef
{
    public required string GroupId { get; init; }
    public required string GroupName { get; init; }
}

/// <summary>An instance of the account's region, as the control plane keeps it.</summary>
public sealed class InstanceResource : ITaggable, System.Text.Json.Serialization.IJsonOnDeserialized
{
    public required string Id { get; init; }
    public required string ReservationId { get; init; }
    public required string OwnerId { get; init; }
    public required string ImageId { get; set; }
    public required string InstanceType { get; set; }
    public string? KeyName { get; init; }
    public required string State { get; set; }

    /// <summary>Why the last transition happened, as EC2 words it ("User initiated (2026-11-22 03:00:00 GMT)").</summary>
    public string StateTransitionReason { get; set; } = "";
    public string? StateReasonCode { get; set; }
    public string? StateReasonMessage { get; set; }

    /// <summary>When the current state began.</summary>
    public DateTime StateSince { get; set; }

    public required DateTime LaunchTime { get; set; }
    public int AmiLaunchIndex { get; init; }
    public required string AvailabilityZone { get; init; }
    public required string AvailabilityZoneId { get; init; }
    public string? PlacementGroupName { get; init; }
    public string? PlacementGroupId { get; init; }
    public int? PartitionNumber { get; init; }
    public string Tenancy { get; set; } = "default";

    /// <summary>The Dedicated Host the instance runs on (tenancy host), and whether it returns to that host when started (affinity host).</summary>
    public string? HostId { get; set; }
    public string? Affinity { get; set; }

    /// <summary>The capacity reservation the instance runs in, and its CapacityReservationPreference (null when it targets one).</summary>
    public string? CapacityReservationId { get; set; }
    public string? CapacityReservationPreference { get; set; } = "open";
    public required string SubnetId { get; init; }
    public required string VpcId { get; init; }
    public required string PrivateIpAddress { get; init; }
    public required string PrivateDnsName { get; init; }
    public string? PublicIpAddress { get; set; }
    public string? PublicDnsName { get; set; }

    /// <summary>True when the instance gets an auto-assigned public address each time it starts.</summary>
    public bool AssignPublicIp { get; init; }

    /// <summary>Attached network interfaces, primary (device index 0) first.</summary>
    public List<string> NetworkInterfaceIds { get; init; } = [];

    /// <summary>
    /// Interfaces attached after launch (AttachNetworkInterface), so that teardown finds every
    /// interface of the instance without reading the region's interfaces.
    /// </summary>
    public List<string> AttachedNetworkInterfaceIds { get; init; } = [];
    public List<SecurityGroupRef> SecurityGroups { get; set; } = [];
    public string Architecture { get; init; } = "x86_64";
    public string RootDeviceName { get; init; } = "/dev/xvda";
    public string RootDeviceType { get; init; } = "ebs";
    public string VirtualizationType { get; init; } = "hvm";
    public string Hypervisor { get; init; } = "xen";
    public string? BootMode { get; init; }

    /// <summary>
    /// The instance's non-volatile UEFI variable store (base64, see <see cref="Firmware.UefiVariableStore"/>):
    /// created at launch for instances that boot with UEFI, from the image's UefiData when it has one;
    /// null for legacy BIOS instances. It survives stop and start.
    /// </summary>
    public string? UefiData { get; set; }

    /// <summary>The NitroTPM endorsement keys; null for instances without a NitroTPM.</summary>
    public Firmware.TpmEndorsementKeys? TpmEndorsementKeys { get; init; }

    public List<InstanceBlockDevice> BlockDevices { get; init; } = [];

    /// <summary>User data, base64-encoded as the API carries it.</summary>
    public string? UserData { get; set; }

    public InstanceMetadataOptions MetadataOptions { get; set; } = new();
    public bool MonitoringEnabled { get; set; }
    public bool EbsOptimized { get; set; }
    public bool EnaSupport { get; set; } = true;
    public string? SriovNetSupport { get; set; }
    public bool SourceDestCheck { get; set; } = true;
    public string? IamInstanceProfileArn { get; set; }
    public string? IamInstanceProfileId { get; set; }

    /// <summary>The id (<c>iip-assoc-…</c>) of the instance's profile association and when it began.</summary>
    public string? IamInstanceProfileAssociationId { get; set; }
    public DateTime? IamInstanceProfileAssociatedAt { get; set; }

    /// <summary>"spot" for spot instances, null for on-demand.</summary>
    public string? InstanceLifecycle { get; init; }
    public string? SpotInstanceRequestId { get; init; }
    public string? CpuCredits { get; set; }
    public string? ClientToken { get; init; }
    public bool DisableApiTermination { get; set; }
    public bool DisableApiStop { get; set; }
    public string InstanceInitiatedShutdownBehavior { get; set; } = "stop";
    public string AutoRecovery { get; set; } = "default";
    public int CoreCount { get; init; }
    public int ThreadsPerCore { get; init; }

    /// <summary>vCPUs and memory the runtime gives the guest (from the instance type).</summary>
    public int VCpus { get; set; }
    public int MemoryMiB { get; set; }

    /// <summary>The runtime that runs this instance ("mock", "microvm", "container").</summary>
    public string Runtime { get; init; } = "mock";

    /// <summary>The guest image the runtime boots.</summary>
    public string? RuntimeImage { get; set; }

    public DateTime? TerminatedAt { get; set; }

    /// <summary>True once the instance has reached running at least once.</summary>
    public bool EverRan { get; set; }
    public List<Tag> Tags { get; init; } = [];

    /// <summary>
    /// The state and vCPUs this instance had when read from the store (null for one not stored yet):
    /// what the account's vCPU usage counts for it until it is written again.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public (string State, string InstanceType, int VCpus, string? Lifecycle)? Stored { get; set; }

    void System.Text.Json.Serialization.IJsonOnDeserialized.OnDeserialized() => Stored = (State, InstanceType, VCpus, InstanceLifecycle);

    /// <summary>
    /// Moves to <paramref name="state"/> at <paramref name="now"/>, recording why. Only the moves of
    /// <see cref="InstanceStateMachine"/> are allowed; any other throws <see cref="IllegalInstanceTransitionException"/>.
    /// </summary>
    public void Transition(string state, DateTime now, string? reasonCode = null, string? reasonMessage = null, string? transitionReason = null)
    {
        if (!InstanceStateMachine.IsLegal(State, state))
        {
            throw new IllegalInstanceTransitionException(Id, State, state);
        }
        State = state;
        StateSince = now;
        StateReasonCode = reasonCode;
        StateReasonMessage = reasonMessage;
        if (transitionReason is not null)
        {
            StateTransitionReason = transitionReason;
        }
        if (state == InstanceStates.Terminated)
        {
            TerminatedAt = now;
        }
        if (state == InstanceStates.Running)
        {
            EverRan = true;
        }
    }

    /// <summary>EC2's wording of a user-initiated transition.</summary>
    public static string UserInitiated(DateTime now) => $"User initiated ({now:yyyy-MM-dd HH:mm:ss} GMT)";
}
