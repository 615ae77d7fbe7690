using Stratus.Core;
using Stratus.Domain.Compute.InstanceTypes;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Ec2.Model;

using Stratus.Server.Gateway;

namespace Stratus.Server.Ec2;

/// <summary>Instance attributes, metadata options (per instance and account defaults) and maintenance options.</summary>
internal sealed partial class Ec2Service
{
    private static void CheckHopLimit(int hopLimit) => InstanceMetadataDefaults.CheckHopLimit(hopLimit);

    public override async Task<ModifyInstanceMetadataOptionsResult> ModifyInstanceMetadataOptionsAsync(RequestContext context, ModifyInstanceMetadataOptionsRequest request)
    {
        var instance = (await LoadInstancesAsync(context, [request.InstanceId!]).ConfigureAwait(false))[0];
        if (instance.State is InstanceStates.Terminated or InstanceStates.ShuttingDown)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a state from which its metadata options can be modified.");
        }
        var options = instance.MetadataOptions;
        options.HttpTokens = request.HttpTokens ?? options.HttpTokens;
        options.HttpPutResponseHopLimit = request.HttpPutResponseHopLimit ?? options.HttpPutResponseHopLimit;
        options.HttpEndpoint = request.HttpEndpoint ?? options.HttpEndpoint;
        options.HttpProtocolIpv6 = request.HttpProtocolIpv6 ?? options.HttpProtocolIpv6;
        options.InstanceMetadataTags = request.InstanceMetadataTags ?? options.InstanceMetadataTags;
        CheckHopLimit(options.HttpPutResponseHopLimit);
        await SaveAsync(context, instance).ConfigureAwait(false);
        return new ModifyInstanceMetadataOptionsResult
        {
            InstanceId = instance.Id,
            InstanceMetadataOptions = new InstanceMetadataOptionsResponse
            {
                State = "pending",
                HttpTokens = options.HttpTokens,
                HttpPutResponseHopLimit = options.HttpPutResponseHopLimit,
                HttpEndpoint = options.HttpEndpoint,
                HttpProtocolIpv6 = options.HttpProtocolIpv6,
                InstanceMetadataTags = options.InstanceMetadataTags,
            },
        };
    }

    public override async Task<GetInstanceMetadataDefaultsResult> GetInstanceMetadataDefaultsAsync(RequestContext context, GetInstanceMetadataDefaultsRequest request)
    {
        var defaults = await InstanceMetadataDefaults.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        return new GetInstanceMetadataDefaultsResult
        {
            AccountLevel = new InstanceMetadataDefaultsResponse
            {
                HttpTokens = defaults.HttpTokens,
                HttpPutResponseHopLimit = defaults.HttpPutResponseHopLimit,
                HttpEndpoint = defaults.HttpEndpoint,
                InstanceMetadataTags = defaults.InstanceMetadataTags,
                ManagedBy = "account",
            },
        };
    }

    public override async Task<ModifyInstanceMetadataDefaultsResult> ModifyInstanceMetadataDefaultsAsync(RequestContext context, ModifyInstanceMetadataDefaultsRequest request)
    {
        var defaults = await InstanceMetadataDefaults.GetAsync(context.Store, context.Scope, context.Cancellation).ConfigureAwait(false);
        if (request.HttpTokens is null && request.HttpPutResponseHopLimit is null && request.HttpEndpoint is null && request.InstanceMetadataTags is null)
        {
            throw AwsErrors.MissingParameter("HttpTokens, HttpPutResponseHopLimit, HttpEndpoint or InstanceMetadataTags");
        }
        static string? Preference(string? value, string? current) => value is null ? current : value == "no-preference" ? null : value;
        defaults.HttpTokens = Preference(request.HttpTokens, defaults.HttpTokens);
        defaults.HttpEndpoint = Preference(request.HttpEndpoint, defaults.HttpEndpoint);
        defaults.InstanceMetadataTags = Preference(request.InstanceMetadataTags, defaults.InstanceMetadataTags);
        if (request.HttpPutResponseHopLimit is { } hops)
        {
            if (hops == -1)
            {
                defaults.HttpPutResponseHopLimit = null;
            }
            else
            {
                CheckHopLimit(hops);
                defaults.HttpPutResponseHopLimit = hops;
            }
        }
        await defaults.SaveAsync(context.Transaction, context.Scope, context.Now, context.Cancellation).ConfigureAwait(false);
        return new ModifyInstanceMetadataDefaultsResult { Return = true };
    }

    public override async Task<ModifyInstanceMaintenanceOptionsResult> ModifyInstanceMaintenanceOptionsAsync(RequestContext context, ModifyInstanceMaintenanceOptionsRequest request)
    {
        var instance = (await LoadInstancesAsync(context, [request.InstanceId!]).ConfigureAwait(false))[0];
        if (request.AutoRecovery is { } recovery)
        {
            instance.AutoRecovery = recovery;
            await SaveAsync(context, instance).ConfigureAwait(false);
        }
        return new ModifyInstanceMaintenanceOptionsResult { InstanceId = instance.Id, AutoRecovery = instance.AutoRecovery, RebootMigration = "default" };
    }

    public override async Task<InstanceAttribute> DescribeInstanceAttributeAsync(RequestContext context, DescribeInstanceAttributeRequest request)
    {
        var instance = (await LoadInstancesAsync(context, [request.InstanceId!]).ConfigureAwait(false))[0];
        var result = new InstanceAttribute { InstanceId = instance.Id };
        switch (request.Attribute)
        {
            case "instanceType": result.InstanceType = new AttributeValue { Value = instance.InstanceType }; break;
            case "kernel": result.KernelId = new AttributeValue(); break;
            case "ramdisk": result.RamdiskId = new AttributeValue(); break;
            case "userData": result.UserData = new AttributeValue { Value = instance.UserData }; break;
            case "disableApiTermination": result.DisableApiTermination = new AttributeBooleanValue { Value = instance.DisableApiTermination }; break;
            case "disableApiStop": result.DisableApiStop = new AttributeBooleanValue { Value = instance.DisableApiStop }; break;
            case "instanceInitiatedShutdownBehavior": result.InstanceInitiatedShutdownBehavior = new AttributeValue { Value = instance.InstanceInitiatedShutdownBehavior }; break;
            case "rootDeviceName": result.RootDeviceName = new AttributeValue { Value = instance.RootDeviceName }; break;
            case "blockDeviceMapping":
                result.BlockDeviceMappings = instance.BlockDevices.Select(b => new InstanceBlockDeviceMapping
                {
                    DeviceName = b.DeviceName,
                    Ebs = new EbsInstanceBlockDevice { VolumeId = b.VolumeId, Status = b.Status, AttachTime = b.AttachTime, DeleteOnTermination = b.DeleteOnTermination },
                }).ToList();
                break;
            case "productCodes": result.ProductCodes = []; break;
            case "sourceDestCheck": result.SourceDestCheck = new AttributeBooleanValue { Value = instance.SourceDestCheck }; break;
            case "groupSet": result.Groups = instance.SecurityGroups.Select(g => new GroupIdentifier { GroupId = g.GroupId, GroupName = g.GroupName }).ToList(); break;
            case "ebsOptimized": result.EbsOptimized = new AttributeBooleanValue { Value = instance.EbsOptimized }; break;
            case "sriovNetSupport": result.SriovNetSupport = new AttributeValue { Value = instance.SriovNetSupport }; break;
            case "enaSupport": result.EnaSupport = new AttributeBooleanValue { Value = instance.EnaSupport }; break;
            case "enclaveOptions": result.EnclaveOptions = new EnclaveOptions { Enabled = false }; break;
            default: throw AwsErrors.MissingParameter("Attribute");
        }
        return result;
    }

    /// <summary>
    /// Resets <c>kernel</c> or <c>ramdisk</c> (stopped instances only; Stratus's images are HVM, so the
    /// default is no kernel or ramdisk) or <c>sourceDestCheck</c> (running or stopped; back to true, on
    /// the instance and its primary interface). Other attributes cannot be reset, as on EC2.
    /// </summary>
    public override async Task ResetInstanceAttributeAsync(RequestContext context, ResetInstanceAttributeRequest request)
    {
        var attribute = request.Attribute ?? throw AwsErrors.MissingParameter("Attribute");
        if (attribute is not ("kernel" or "ramdisk" or "sourceDestCheck"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({attribute}) for parameter attribute is invalid. Only kernel, ramdisk and sourceDestCheck can be reset.");
        }
        var instance = (await LoadInstancesAsync(context, [request.InstanceId!]).ConfigureAwait(false))[0];
        if (instance.State is InstanceStates.Terminated or InstanceStates.ShuttingDown)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a state from which it can be modified.");
        }
        if (attribute is "kernel" or "ramdisk")
        {
            if (instance.State != InstanceStates.Stopped)
            {
                throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in the 'stopped' state.");
            }
            return;
        }
        instance.SourceDestCheck = true;
        if (instance.NetworkInterfaceIds.FirstOrDefault() is { } primaryId
            && await context.Store.GetAsync<Stratus.Domain.Vpc.NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, primaryId, context.Cancellation).ConfigureAwait(false) is { } primary)
        {
            primary.SourceDestCheck = true;
            await context.Transaction.PutAsync(context.Scope, ResourceTypes.NetworkInterface, primary.Id, primary, context.Now, context.Cancellation).ConfigureAwait(false);
        }
        await SaveAsync(context, instance).ConfigureAwait(false);
    }

    public override async Task ModifyInstanceAttributeAsync(RequestContext context, ModifyInstanceAttributeRequest request)
    {
        var instance = (await LoadInstancesAsync(context, [request.InstanceId!]).ConfigureAwait(false))[0];
        if (instance.State is InstanceStates.Terminated or InstanceStates.ShuttingDown)
        {
            throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in a state from which it can be modified.");
        }
        var attribute = request.Attribute;
        var changes = new List<string>();
        void RequireStopped(string name)
        {
            if (instance.State != InstanceStates.Stopped)
            {
                throw new AwsException("IncorrectInstanceState", $"The instance '{instance.Id}' is not in the 'stopped' state.");
            }
            changes.Add(name);
        }
        string Value(AttributeValue? typed, string name) =>
            typed?.Value ?? (attribute == name ? request.Value : null) ?? throw AwsErrors.MissingParameter("Value");
        bool Flag(AttributeBooleanValue? typed, string name) =>
            typed?.Value ?? (attribute == name && bool.TryParse(request.Value, out var b) ? b : throw AwsErrors.InvalidParameterValue($"Value ({request.Value}) for parameter value is invalid. Expected true or false."));

        if (request.InstanceType is not null || attribute == "instanceType")
        {
            RequireStopped("instanceType");
            var name = Value(request.InstanceType, "instanceType");
            var type = InstanceTypeCatalog.Find(name) ?? throw AwsErrors.InvalidParameterValue($"Invalid value '{name}' for InstanceType.");
            if (!type.Architectures.Contains(instance.Architecture))
            {
                throw AwsErrors.InvalidParameterValue($"The instance type '{name}' does not support the architecture '{instance.Architecture}' of the instance.");
            }
            instance.InstanceType = type.Name;
            instance.VCpus = type.DefaultVCpus;
            instance.MemoryMiB = (int)type.MemoryMiB;
        }
        if (request.UserData is not null || attribute == "userData")
        {
            RequireStopped("userData");
            var data = request.UserData?.Value is { } blob ? Convert.ToBase64String(blob) : Value(null, "userData");
            Domain.Instances.Launch.LaunchPlanner.CheckUserData(data);
            instance.UserData = data;
        }
        if (request.EbsOptimized is not null || attribute == "ebsOptimized")
        {
            RequireStopped("ebsOptimized");
            instance.EbsOptimized = Flag(request.EbsOptimized, "ebsOptimized");
        }
        if (request.EnaSupport is not null || attribute == "enaSupport")
        {
            RequireStopped("enaSupport");
            instance.EnaSupport = Flag(request.EnaSupport, "enaSupport");
        }
        if (request.SriovNetSupport is not null || attribute == "sriovNetSupport")
        {
            RequireStopped("sriovNetSupport");
            instance.SriovNetSupport = Value(request.SriovNetSupport, "sriovNetSupport");
        }
        if (request.DisableApiTermination is not null || attribute == "disableApiTermination")
        {
            changes.Add("disableApiTermination");
            instance.DisableApiTermination = Flag(request.DisableApiTermination, "disableApiTermination");
        }
        if (request.DisableApiStop is not null || attribute == "disableApiStop")
        {
            changes.Add("disableApiStop");
            instance.DisableApiStop = Flag(request.DisableApiStop, "disableApiStop");
        }
        if (request.SourceDestCheck is not null || attribute == "sourceDestCheck")
        {
            changes.Add("sourceDestCheck");
            instance.SourceDestCheck = Flag(request.SourceDestCheck, "sourceDestCheck");
            // The instance's flag is its primary interface's (what the bridge enforces).
            if (instance.NetworkInterfaceIds.FirstOrDefault() is { } checkedId
                && await context.Store.GetAsync<Stratus.Domain.Vpc.NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, checkedId, context.Cancellation).ConfigureAwait(false) is { } checkedEni)
            {
                checkedEni.SourceDestCheck = instance.SourceDestCheck;
                await context.Transaction.PutAsync(context.Scope, ResourceTypes.NetworkInterface, checkedEni.Id, checkedEni, context.Now, context.Cancellation).ConfigureAwait(false);
            }
        }
        if (request.InstanceInitiatedShutdownBehavior is not null || attribute == "instanceInitiatedShutdownBehavior")
        {
            changes.Add("instanceInitiatedShutdownBehavior");
            var behavior = Value(request.InstanceInitiatedShutdownBehavior, "instanceInitiatedShutdownBehavior");
            instance.InstanceInitiatedShutdownBehavior = behavior is "stop" or "terminate" ? behavior : throw AwsErrors.InvalidParameterValue($"Value ({behavior}) for parameter instanceInitiatedShutdownBehavior is invalid.");
        }
        if (request.Groups is { Count: > 0 } || attribute == "groupSet")
        {
            changes.Add("groupSet");
            instance.SecurityGroups = await Domain.Instances.Launch.LaunchPlanner.ResolveGroupsAsync(context.Store, context.Scope, instance.VpcId, request.Groups ?? [], [], context.Cancellation).ConfigureAwait(false);
            // The instance's groups are its primary interface's groups (what the packet filter enforces).
            if (instance.NetworkInterfaceIds.FirstOrDefault() is { } primaryId
                && await context.Store.GetAsync<Stratus.Domain.Vpc.NetworkInterfaceResource>(context.Scope, ResourceTypes.NetworkInterface, primaryId, context.Cancellation).ConfigureAwait(false) is { } primary)
            {
                primary.SecurityGroupIds = instance.SecurityGroups.Select(g => g.GroupId).ToList();
                await context.Transaction.PutAsync(context.Scope, ResourceTypes.NetworkInterface, primary.Id, primary, context.Now, context.Cancellation).ConfigureAwait(false);
            }
        }
        if (request.BlockDeviceMappings is { Count: > 0 } mappings)
        {
            changes.Add("blockDeviceMapping");
            foreach (var mapping in mappings)
            {
                var device = instance.BlockDevices.Find(b => b.DeviceName == mapping.DeviceName)
                    ?? throw AwsErrors.InvalidParameterValue($"The device '{mapping.DeviceName}' is not attached to instance '{instance.Id}'.");
                if (mapping.Ebs?.DeleteOnTermination is { } delete)
                {
                    device.DeleteOnTermination = delete;
                }
            }
        }
        if (changes.Count == 0)
        {
            throw AwsErrors.MissingParameter("an attribute to modify");
        }
        if (changes.Count > 1)
        {
            throw AwsErrors.InvalidParameterCombination("Only one attribute can be modified at a time.");
        }
        await SaveAsync(context, instance).ConfigureAwait(false);
    }
}
