using Stratus.Domain.Ebs;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Domain.Vpc;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>GetLaunchTemplateData: the launch template data that would launch an instance like the given one.</summary>
internal sealed partial class Ec2Service
{
    public override async Task<GetLaunchTemplateDataResult> GetLaunchTemplateDataAsync(RequestContext context, GetLaunchTemplateDataRequest request)
    {
        var ct = context.Cancellation;
        var id = request.InstanceId ?? throw Stratus.Core.AwsErrors.MissingParameter("InstanceId");
        ResourceTypes.Instance.CheckId(id);
        var instance = await context.Store.GetAsync<InstanceResource>(context.Scope, ResourceTypes.Instance, id, ct).ConfigureAwait(false)
            ?? throw ResourceTypes.Instance.NotFound(id);

        var devices = new List<LaunchTemplateBlockDeviceMapping>();
        foreach (var device in instance.BlockDevices)
        {
            var volume = await context.Store.GetAsync<VolumeResource>(context.Scope, ResourceTypes.Volume, device.VolumeId, ct).ConfigureAwait(false);
            devices.Add(new LaunchTemplateBlockDeviceMapping
            {
                DeviceName = device.DeviceName,
                Ebs = new LaunchTemplateEbsBlockDevice
                {
                    DeleteOnTermination = device.DeleteOnTermination,
                    Encrypted = volume?.Encrypted,
                    Iops = volume?.Iops,
                    Throughput = volume?.Throughput,
                    SnapshotId = volume?.SnapshotId,
                    VolumeSize = volume?.Size,
                    VolumeType = volume?.VolumeType,
                },
            });
        }
        var interfaces = new List<LaunchTemplateInstanceNetworkInterfaceSpecification>();
        foreach (var nicId in instance.NetworkInterfaceIds)
        {
            var nic = await context.Store.GetAsync<NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, nicId, ct).ConfigureAwait(false);
            if (nic is null)
            {
                continue;
            }
            interfaces.Add(new LaunchTemplateInstanceNetworkInterfaceSpecification
            {
                AssociatePublicIpAddress = nic.Attachment?.DeviceIndex == 0 ? instance.AssignPublicIp : null,
                DeleteOnTermination = nic.Attachment?.DeleteOnTermination ?? true,
                Description = nic.Description,
                DeviceIndex = nic.Attachment?.DeviceIndex ?? 0,
                Groups = [.. nic.SecurityGroupIds],
                InterfaceType = nic.InterfaceType,
                Ipv6Addresses = [],
                NetworkCardIndex = 0,
                PrivateIpAddresses =
                [
                    new PrivateIpAddressSpecification { Primary = true, PrivateIpAddress = nic.PrivateIpAddress },
                    .. nic.SecondaryPrivateIpAddresses.Select(a => new PrivateIpAddressSpecification { Primary = false, PrivateIpAddress = a }),
                ],
                SubnetId = nic.SubnetId,
            });
        }
        var userTags = instance.Tags.Where(t => !t.Key.StartsWith("aws:", StringComparison.Ordinal)).ToList();
        return new GetLaunchTemplateDataResult
        {
            LaunchTemplateData = new ResponseLaunchTemplateData
            {
                BlockDeviceMappings = devices,
                CapacityReservationSpecification = new LaunchTemplateCapacityReservationSpecificationResponse { CapacityReservationPreference = "open" },
                CpuOptions = new LaunchTemplateCpuOptions { CoreCount = instance.CoreCount, ThreadsPerCore = instance.ThreadsPerCore },
                CreditSpecification = instance.CpuCredits is { } credits ? new CreditSpecification { CpuCredits = credits } : null,
                DisableApiStop = instance.DisableApiStop,
                DisableApiTermination = instance.DisableApiTermination,
                EbsOptimized = instance.EbsOptimized,
                EnclaveOptions = new LaunchTemplateEnclaveOptions { Enabled = false },
                HibernationOptions = new LaunchTemplateHibernationOptions { Configured = false },
                IamInstanceProfile = instance.IamInstanceProfileArn is { } arn ? new LaunchTemplateIamInstanceProfileSpecification { Arn = arn } : null,
                ImageId = instance.ImageId,
                InstanceInitiatedShutdownBehavior = instance.InstanceInitiatedShutdownBehavior,
                InstanceType = instance.InstanceType,
                KeyName = instance.KeyName,
                MaintenanceOptions = new LaunchTemplateInstanceMaintenanceOptions { AutoRecovery = instance.AutoRecovery },
                MetadataOptions = new LaunchTemplateInstanceMetadataOptions
                {
                    HttpEndpoint = instance.MetadataOptions.HttpEndpoint,
                    HttpProtocolIpv6 = instance.MetadataOptions.HttpProtocolIpv6,
                    HttpPutResponseHopLimit = instance.MetadataOptions.HttpPutResponseHopLimit,
                    HttpTokens = instance.MetadataOptions.HttpTokens,
                    InstanceMetadataTags = instance.MetadataOptions.InstanceMetadataTags,
                },
                Monitoring = new LaunchTemplatesMonitoring { Enabled = instance.MonitoringEnabled },
                NetworkInterfaces = interfaces,
                Placement = new LaunchTemplatePlacement
                {
                    AvailabilityZone = instance.AvailabilityZone,
                    GroupName = instance.PlacementGroupName ?? "",
                    PartitionNumber = instance.PartitionNumber,
                    Tenancy = instance.Tenancy,
                },
                TagSpecifications = userTags.Count > 0
                    ? [new LaunchTemplateTagSpecification { ResourceType = "instance", Tags = ToShape(userTags) }]
                    : null,
                UserData = instance.UserData,
            },
        };
    }
}
