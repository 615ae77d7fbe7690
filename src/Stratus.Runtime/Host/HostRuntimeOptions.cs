namespace Stratus.Runtime.Host;

/// <summary>Settings shared by the runtimes that run real guests (microvm, container).</summary>
public sealed record HostRuntimeOptions
{
    /// <summary>Directory of the host's runtime state: <c>instances/</c> (per-instance files), <c>volumes/</c> (EBS data), <c>network/</c>.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>Directory of built and imported guest images (see <see cref="Images.GuestImageStore"/>).</summary>
    public required string ImageDirectory { get; init; }

    /// <summary>
    /// The TCP port on which Stratus serves the instance metadata service on the host. Every VPC
    /// forwards <c>169.254.169.254:80</c> to its own host-side address on this port.
    /// </summary>
    public required int MetadataPort { get; init; }

    /// <summary>Most vCPUs one guest gets, whatever its instance type says. Default: the host's processor count.</summary>
    public int MaxGuestVCpus { get; init; } = Environment.ProcessorCount;

    /// <summary>Most memory one guest gets, whatever its instance type says. Default 2048 MiB.</summary>
    public int MaxGuestMemoryMiB { get; init; } = 2048;

    /// <summary>Most instance-store space one guest gets (sparse files). Default 4 GiB.</summary>
    public int MaxInstanceStoreGiB { get; init; } = 4;

    public string InstancesDirectory => Path.Combine(StateDirectory, "instances");

    public string VolumesDirectory => Path.Combine(StateDirectory, "volumes");

    public string NetworkDirectory => Path.Combine(StateDirectory, "network");

    public string InstanceDirectory(string instanceId) => Path.Combine(InstancesDirectory, instanceId);
}
