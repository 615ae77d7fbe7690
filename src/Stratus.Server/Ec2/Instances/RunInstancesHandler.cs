using Stratus.Core;
using Stratus.Domain.Instances.Launch;
using Stratus.Ec2.Model;
using Stratus.Server.Gateway;
using Stratus.Server.Instances;

namespace Stratus.Server.Ec2;

/// <summary>
/// RunInstances: the request (with its launch template applied) becomes a domain
/// <see cref="LaunchSpec"/>; <see cref="LaunchPlanner"/> validates the whole of it first (image,
/// type, network, groups, key, devices, capacity), then <see cref="InstanceLauncher"/> creates every
/// instance with its network interface and volumes in the request's transaction, all or nothing;
/// booting starts once the transaction is committed.
/// </summary>
internal sealed partial class Ec2Service
{
    public override async Task<Reservation> RunInstancesAsync(RequestContext context, RunInstancesRequest request)
    {
        var (minCount, maxCount) = (request.MinCount ?? throw AwsErrors.MissingParameter("MinCount"), request.MaxCount ?? throw AwsErrors.MissingParameter("MaxCount"));
        if (minCount < 1 || maxCount < 1)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({Math.Min(minCount, maxCount)}) for parameter {(minCount < 1 ? "minCount" : "maxCount")} is invalid. Expected a positive integer.");
        }
        if (minCount > maxCount)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({minCount}) for parameter minCount is invalid. minCount must be less than or equal to maxCount ({maxCount}).");
        }
        var fromTemplate = await ApplyLaunchTemplateAsync(context, request).ConfigureAwait(false);
        var spot = CheckSpotMarketOptions(context, fromTemplate.Request);
        var spec = ToLaunchSpec(fromTemplate.Request, fromTemplate.InstanceTags);
        var plan = await LaunchPlanner.PlanAsync(context.Store, context.Scope, spec, _lifecycle.Runtime.Name, context.Now, context.Cancellation).ConfigureAwait(false);
        if (spot is not null)
        {
            CheckSpotPrice(context, spot, plan);
        }
        if (plan.InstanceProfile is { } profile)
        {
            await CheckPassRoleAsync(context, profile).ConfigureAwait(false);
        }
        var result = await InstanceLauncher.LaunchAsync(context.Transaction, context.Scope, plan, context.Now,
            instances => PlaceLaunchAsync(context, fromTemplate.Request, instances), context.Cancellation).ConfigureAwait(false);
        if (spot is not null)
        {
            await RecordRunInstancesSpotAsync(context, fromTemplate.Request, spot, plan, result).ConfigureAwait(false);
        }
        if (!context.DryRun)
        {
            var scope = context.Scope;
            context.AfterCommit(() =>
            {
                foreach (var launched in result.Instances)
                {
                    _lifecycle.Enqueue(new LifecycleCommand(scope, launched.Instance.Id, LifecycleAction.Boot));
                }
                return Task.CompletedTask;
            });
        }
        return new Reservation
        {
            ReservationId = result.ReservationId,
            OwnerId = context.AccountId,
            Groups = [],
            Instances = result.Instances.Select(l => ToShape(context, new InstanceView(l.Instance, [l.PrimaryInterface]))).ToList(),
        };
    }

    /// <summary>
    /// The launch request in the domain's terms. What only the wire shape can get wrong (interfaces
    /// beside instance-level network parameters, tag specifications) is refused here.
    /// </summary>
    internal static LaunchSpec ToLaunchSpec(RunInstancesRequest request, IReadOnlyList<Domain.Resources.Tag> templateTags)
    {
        var imageId = request.ImageId ?? throw AwsErrors.MissingParameter("ImageId");
        var nicSpec = request.NetworkInterfaces?.Find(n => (n.DeviceIndex ?? 0) == 0);
        if (nicSpec is not null && (request.SubnetId is not null || request.SecurityGroupIds is { Count: > 0 } || request.PrivateIpAddress is not null))
        {
            throw AwsErrors.InvalidParameterCombination("Network interfaces and an instance-level subnet ID, security groups or private IP address may not be specified on the same request");
        }
        if (nicSpec?.NetworkInterfaceId is not null)
        {
            throw AwsErrors.NotImplemented("RunInstances with an existing NetworkInterfaceId");
        }
        var instanceTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "instance").ToList(), "instance");
        var volumeTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "volume").ToList(), "volume");
        var interfaceTags = TagsOnCreate(request.TagSpecifications?.Where(s => s.ResourceType == "network-interface").ToList(), "network-interface");
        foreach (var tagSpec in request.TagSpecifications ?? [])
        {
            if (tagSpec.ResourceType is not ("instance" or "volume" or "network-interface" or "spot-instances-request" or "elastic-gpu"))
            {
                throw AwsErrors.InvalidParameterValue($"'{tagSpec.ResourceType}' is not a valid taggable resource type for this operation.");
            }
        }
        var options = request.MetadataOptions;
        return new LaunchSpec
        {
            ImageId = imageId,
            InstanceType = request.InstanceType,
            MinCount = request.MinCount!.Value,
            MaxCount = request.MaxCount!.Value,
            SubnetId = nicSpec?.SubnetId ?? request.SubnetId,
            AvailabilityZone = request.Placement?.AvailabilityZone,
            PlacementGroupName = request.Placement?.GroupName,
            PlacementGroupId = request.Placement?.GroupId,
            PartitionNumber = request.Placement?.PartitionNumber,
            Tenancy = request.Placement?.Tenancy,
            SecurityGroupIds = nicSpec?.Groups ?? request.SecurityGroupIds ?? [],
            SecurityGroupNames = request.SecurityGroups ?? [],
            PrivateIpAddress = nicSpec?.PrivateIpAddress ?? request.PrivateIpAddress,
            AssociatePublicIpAddress = nicSpec?.AssociatePublicIpAddress,
            NetworkInterfaceDescription = nicSpec?.Description,
            NetworkInterfaceDeleteOnTermination = nicSpec?.DeleteOnTermination,
            Ipv6AddressCount = nicSpec?.Ipv6AddressCount ?? request.Ipv6AddressCount,
            Ipv6Addresses = (nicSpec?.Ipv6Addresses ?? request.Ipv6Addresses ?? []).Select(a => a.Ipv6Address ?? "").ToList(),
            KeyName = request.KeyName,
            UserData = request.UserData,
            BlockDevices = (request.BlockDeviceMappings ?? []).Select(m => new LaunchBlockDevice
            {
                DeviceName = m.DeviceName ?? throw AwsErrors.MissingParameter("BlockDeviceMapping.N.DeviceName"),
                NoDevice = m.NoDevice is not null,
                VirtualName = m.VirtualName,
                HasEbs = m.Ebs is not null,
                SnapshotId = m.Ebs?.SnapshotId,
                VolumeSize = m.Ebs?.VolumeSize,
                VolumeType = m.Ebs?.VolumeType,
                Iops = m.Ebs?.Iops,
                Throughput = m.Ebs?.Throughput,
                DeleteOnTermination = m.Ebs?.DeleteOnTermination,
                Encrypted = m.Ebs?.Encrypted,
                KmsKeyId = m.Ebs?.KmsKeyId,
            }).ToList(),
            MetadataOptions = options is null ? null
                : new LaunchMetadataOptions(options.HttpTokens, options.HttpPutResponseHopLimit, options.HttpEndpoint, options.HttpProtocolIpv6, options.InstanceMetadataTags),
            Monitoring = request.Monitoring?.Enabled ?? false,
            EbsOptimized = request.EbsOptimized ?? false,
            IamInstanceProfileArn = request.IamInstanceProfile?.Arn,
            IamInstanceProfileName = request.IamInstanceProfile is { Arn: null } profile ? profile.Name ?? "" : null,
            Spot = request.InstanceMarketOptions?.MarketType == "spot",
            CpuCredits = request.CreditSpecification?.CpuCredits,
            ClientToken = request.ClientToken,
            DisableApiTermination = request.DisableApiTermination ?? false,
            DisableApiStop = request.DisableApiStop ?? false,
            InstanceInitiatedShutdownBehavior = request.InstanceInitiatedShutdownBehavior,
            AutoRecovery = request.MaintenanceOptions?.AutoRecovery,
            CoreCount = request.CpuOptions?.CoreCount,
            ThreadsPerCore = request.CpuOptions?.ThreadsPerCore,
            InstanceTags = [.. instanceTags, .. templateTags],
            VolumeTags = volumeTags,
            NetworkInterfaceTags = interfaceTags,
        };
    }
}
