using System.Globalization;
using System.Text;
using System.Text.Json;
using Stratus.Domain.Accounts;
using Stratus.Domain.Instances;
using Stratus.Domain.KeyPairs;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Server.Imds;

/// <summary>
/// A spot interruption notice (<c>spot/instance-action</c>, <c>spot/termination-time</c>) and the
/// rebalance recommendation that comes with it (<c>events/recommendations/rebalance</c>), from the
/// instance's spot request (src/Stratus.Domain/Spot).
/// </summary>
internal sealed record SpotInterruption(string Action, DateTime Time, DateTime NoticeTime);

/// <summary>Everything the metadata of one instance is made from, read from the store in one view.</summary>
internal sealed record InstanceMetadataSource(
    InstanceResource Instance,
    string Region,
    NetworkInterfaceResource? Nic,
    SubnetResource? Subnet,
    VpcResource? Vpc,
    KeyPairResource? KeyPair)
{
    public static async Task<InstanceMetadataSource?> LoadAsync(IStoreSession session, Scope scope, string instanceId, CancellationToken ct)
    {
        var instance = await session.GetAsync<InstanceResource>(scope, ResourceTypes.Instance, instanceId, ct).ConfigureAwait(false);
        if (instance is null)
        {
            return null;
        }
        var nic = instance.NetworkInterfaceIds.Count == 0 ? null
            : await session.GetAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, instance.NetworkInterfaceIds[0], ct).ConfigureAwait(false);
        var subnet = await session.GetAsync<SubnetResource>(scope, ResourceTypes.Subnet, instance.SubnetId, ct).ConfigureAwait(false);
        var vpc = await session.GetAsync<VpcResource>(scope, ResourceTypes.Vpc, instance.VpcId, ct).ConfigureAwait(false);
        var key = instance.KeyName is null ? null : await KeyPairs.FindByNameAsync(session, scope, instance.KeyName, ct).ConfigureAwait(false);
        var spot = instance.SpotInstanceRequestId is { } requestId
            ? await session.GetAsync<Domain.Spot.SpotInstanceRequestResource>(scope, ResourceTypes.SpotInstanceRequest, requestId, ct).ConfigureAwait(false)
            : null;
        var events = await Domain.Compute.Events.ScheduledEvents.GetAsync(session, scope, instanceId, ct).ConfigureAwait(false);
        return new InstanceMetadataSource(instance, scope.Region, nic, subnet, vpc, key) { SpotRequest = spot, Events = events };
    }

    /// <summary>The spot request of a Spot Instance (its interruption notice), null for on-demand instances.</summary>
    public Domain.Spot.SpotInstanceRequestResource? SpotRequest { get; init; }

    /// <summary>The instance's scheduled events and their history (events/maintenance/), null when it never had any.</summary>
    public Domain.Compute.Events.InstanceEventsResource? Events { get; init; }
}

/// <summary>
/// Builds an instance's metadata tree as EC2's instance metadata service presents it (categories
/// and formats from the EC2 User Guide, "Instance metadata categories"). The tree is built per
/// request from the stored instance, so changes (tags, metadata options, addresses) show at once.
/// </summary>
internal static class InstanceMetadata
{
    /// <summary>The metadata versions IMDS lists at <c>/</c>; each serves the same tree as <c>latest</c> (cloud-init asks for dated versions).</summary>
    public static readonly IReadOnlyList<string> Versions =
    [
        "1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01",
        "2009-04-04", "2011-01-01", "2011-05-01", "2012-01-12", "2014-02-25", "2014-11-05", "2015-10-20",
        "2016-04-19", "2016-06-30", "2016-09-02", "2018-03-28", "2018-08-17", "2018-09-24", "2019-10-01",
        "2020-10-27", "2021-01-03", "2021-03-23", "2021-07-15", "2022-09-24", "latest",
    ];

    /// <summary>
    /// The spot interruption noticed for the instance, if any: from the moment the Spot controller
    /// notices an interruption until it is carried out. Otherwise <c>spot/</c> is absent (404), as on
    /// EC2 when no interruption is scheduled.
    /// </summary>
    public static SpotInterruption? ScheduledSpotInterruption(InstanceMetadataSource source) =>
        source.SpotRequest is { InstanceId: { } id, Interruption: { NoticeTime: { } notice, DueTime: { } due } interruption } && id == source.Instance.Id
            ? new SpotInterruption(interruption.Action == Domain.Spot.SpotInterruptionBehaviors.Hibernate ? "hibernate" : interruption.Action, due, notice)
            : null;

    /// <summary>The tree below a version (<c>/latest/</c>): <c>dynamic/</c>, <c>meta-data/</c> and, when the instance has user data, <c>user-data</c>.</summary>
    public static MetadataDirectory Build(InstanceMetadataSource source, Func<SessionCredentials>? credentials, MetadataKeys keys)
    {
        var instance = source.Instance;
        var root = new MetadataDirectory();
        if (instance.UserData is { Length: > 0 } userData)
        {
            root.Add("user-data", new MetadataLeaf(() => Convert.FromBase64String(userData)));
        }
        BuildMetaData(root.Dir("meta-data"), source, credentials);
        var identity = root.Dir("dynamic").Dir("instance-identity");
        var document = new Lazy<string>(() => IdentityDocument.Build(instance, source.Region));
        identity.Add("document", new MetadataLeaf(() => Encoding.UTF8.GetBytes(document.Value)));
        identity.Add("signature", new MetadataLeaf(() => Encoding.ASCII.GetBytes(IdentityDocument.Signature(document.Value, keys.Certificate))));
        identity.Add("pkcs7", new MetadataLeaf(() => Encoding.ASCII.GetBytes(IdentityDocument.Pkcs7(document.Value, keys.Certificate))));
        identity.Add("rsa2048", new MetadataLeaf(() => Encoding.ASCII.GetBytes(IdentityDocument.Pkcs7(document.Value, keys.Certificate))));
        return root;
    }

    private static void BuildMetaData(MetadataDirectory md, InstanceMetadataSource source, Func<SessionCredentials>? credentials)
    {
        var instance = source.Instance;
        md.Add("ami-id", instance.ImageId);
        md.Add("ami-launch-index", instance.AmiLaunchIndex.ToString(CultureInfo.InvariantCulture));
        md.Add("ami-manifest-path", "(unknown)");
        md.Add("hostname", instance.PrivateDnsName);
        md.Add("local-hostname", instance.PrivateDnsName);
        md.Add("local-ipv4", instance.PrivateIpAddress);
        if (source.Nic is { Ipv6Addresses.Count: > 0 } primaryV6)
        {
            md.Add("ipv6", primaryV6.Ipv6Addresses[0]);
        }
        md.Add("instance-id", instance.Id);
        md.Add("instance-type", instance.InstanceType);
        md.Add("instance-life-cycle", instance.InstanceLifecycle == "spot" ? "spot" : "on-demand");
        md.Add("instance-action", "none");
        md.Add("profile", "default-hvm");
        md.Add("reservation-id", instance.ReservationId);
        md.Add("security-groups", string.Join('\n', instance.SecurityGroups.Select(g => g.GroupName)));
        if (instance.PublicIpAddress is { } publicIp)
        {
            md.Add("public-ipv4", publicIp);
            if (!string.IsNullOrEmpty(instance.PublicDnsName))
            {
                md.Add("public-hostname", instance.PublicDnsName);
            }
        }
        if (source.Nic is { } nic)
        {
            md.Add("mac", nic.MacAddress);
        }

        var devices = md.Dir("block-device-mapping");
        devices.Add("ami", instance.RootDeviceName);
        devices.Add("root", instance.RootDeviceName);
        var ebs = 1;
        foreach (var device in instance.BlockDevices.Where(d => d.DeviceName != instance.RootDeviceName).OrderBy(d => d.DeviceName, StringComparer.Ordinal))
        {
            devices.Add("ebs" + ebs.ToString(CultureInfo.InvariantCulture), device.DeviceName.StartsWith("/dev/", StringComparison.Ordinal) ? device.DeviceName[5..] : device.DeviceName);
            ebs++;
        }

        var maintenance = md.Dir("events").Dir("maintenance");
        maintenance.Add("history", MaintenanceEvents.Json(source.Events?.History));
        maintenance.Add("scheduled", MaintenanceEvents.Json(source.Events?.Scheduled));

        var placement = md.Dir("placement");
        placement.Add("availability-zone", instance.AvailabilityZone);
        placement.Add("availability-zone-id", instance.AvailabilityZoneId);
        placement.Add("region", source.Region);
        if (instance.PlacementGroupName is { } groupName)
        {
            placement.Add("group-name", groupName);
        }
        if (instance.PartitionNumber is { } partition)
        {
            placement.Add("partition-number", partition.ToString(CultureInfo.InvariantCulture));
        }

        if (source.KeyPair is { } key)
        {
            var keys = new MetadataDirectory { Listing = ["0=" + key.Name] };
            keys.Dir("0").Add("openssh-key", key.PublicKey.TrimEnd() + "\n");
            md.Add("public-keys", keys);
        }

        var services = md.Dir("services");
        services.Add("domain", "amazonaws.com");
        services.Add("partition", "aws");

        if (instance.MetadataOptions.InstanceMetadataTags == "enabled")
        {
            var tags = md.Dir("tags").Dir("instance");
            foreach (var tag in instance.Tags.Where(t => !t.Key.Contains('/', StringComparison.Ordinal) && t.Key is not ("." or "..")))
            {
                tags.Add(tag.Key, tag.Value ?? "");
            }
        }

        if (instance.InstanceLifecycle == "spot" && ScheduledSpotInterruption(source) is { } interruption)
        {
            var time = interruption.Time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var spot = md.Dir("spot");
            spot.Add("instance-action", $"{{\"action\": \"{interruption.Action}\", \"time\": \"{time}\"}}");
            if (interruption.Action == Domain.Spot.SpotInterruptionBehaviors.Terminate)
            {
                spot.Add("termination-time", time);
            }
            var notice = interruption.NoticeTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            md.Dir("events").Dir("recommendations").Add("rebalance", $"{{\"noticeTime\": \"{notice}\"}}");
        }

        if (source.Nic is { } primary)
        {
            AddInterface(md.Dir("network").Dir("interfaces").Dir("macs").Dir(primary.MacAddress), source, primary);
        }

        if (instance.IamInstanceProfileArn is { } profileArn && credentials is not null)
        {
            var iam = md.Dir("iam");
            iam.Add("info", new MetadataLeaf(() =>
            {
                var issued = credentials();
                return Json(
                    ("Code", "Success"),
                    ("LastUpdated", Time(issued.IssuedAt)),
                    ("InstanceProfileArn", profileArn),
                    ("InstanceProfileId", instance.IamInstanceProfileId ?? ""));
            }));
            iam.Dir("security-credentials").Add(credentials().RoleName, new MetadataLeaf(() =>
            {
                var issued = credentials();
                return Json(
                    ("Code", "Success"),
                    ("LastUpdated", Time(issued.IssuedAt)),
                    ("Type", "AWS-HMAC"),
                    ("AccessKeyId", issued.AccessKeyId),
                    ("SecretAccessKey", issued.SecretAccessKey),
                    ("Token", issued.SessionToken),
                    ("Expiration", Time(issued.Expiration)));
            }));
        }
    }

    private static void AddInterface(MetadataDirectory dir, InstanceMetadataSource source, NetworkInterfaceResource nic)
    {
        var instance = source.Instance;
        dir.Add("device-number", (nic.Attachment?.DeviceIndex ?? 0).ToString(CultureInfo.InvariantCulture));
        dir.Add("interface-id", nic.Id);
        dir.Add("local-hostname", instance.PrivateDnsName);
        dir.Add("local-ipv4s", string.Join('\n', nic.AllPrivateIpAddresses));
        dir.Add("mac", nic.MacAddress);
        dir.Add("owner-id", nic.OwnerId);
        dir.Add("security-group-ids", string.Join('\n', instance.SecurityGroups.Select(g => g.GroupId)));
        dir.Add("security-groups", string.Join('\n', instance.SecurityGroups.Select(g => g.GroupName)));
        dir.Add("subnet-id", nic.SubnetId);
        dir.Add("vpc-id", nic.VpcId);
        if (nic.Ipv6Addresses.Count > 0)
        {
            dir.Add("ipv6s", string.Join('\n', nic.Ipv6Addresses));
        }
        if (source.Subnet is { } subnet)
        {
            dir.Add("subnet-ipv4-cidr-block", subnet.CidrBlock);
            if (Domain.Vpc.Ipv6.Ipv6Blocks.SubnetBlock(subnet) is { } subnet6)
            {
                dir.Add("subnet-ipv6-cidr-blocks", subnet6);
            }
        }
        if (source.Vpc is { } vpc)
        {
            dir.Add("vpc-ipv4-cidr-block", vpc.CidrBlock);
            dir.Add("vpc-ipv4-cidr-blocks", string.Join('\n', vpc.CidrBlocks.Select(c => c.CidrBlock)));
            var vpc6 = vpc.Ipv6CidrBlocks.Where(b => b.State == "associated").Select(b => b.Ipv6CidrBlock).ToList();
            if (vpc6.Count > 0)
            {
                dir.Add("vpc-ipv6-cidr-blocks", string.Join('\n', vpc6));
            }
        }
        var publicIp = nic.Association?.PublicIp ?? instance.PublicIpAddress;
        if (publicIp is not null)
        {
            dir.Add("public-ipv4s", publicIp);
            dir.Dir("ipv4-associations").Add(publicIp, nic.PrivateIpAddress);
            var publicName = nic.Association?.PublicDnsName ?? instance.PublicDnsName;
            if (!string.IsNullOrEmpty(publicName))
            {
                dir.Add("public-hostname", publicName);
            }
        }
    }

    /// <summary>The role of an instance profile: Stratus has no IAM, so the role is named after the profile (the ARN's last path segment).</summary>
    public static string RoleName(string instanceProfileArn)
    {
        var slash = instanceProfileArn.LastIndexOf('/');
        return slash >= 0 && slash < instanceProfileArn.Length - 1 ? instanceProfileArn[(slash + 1)..] : instanceProfileArn;
    }

    /// <summary>JSON string escaping that leaves <c>+</c>, <c>/</c> and the like as they are (secrets and tokens are base64).</summary>
    internal static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Time(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>JSON as IMDS formats it: two-space indent, <c>" : "</c> between name and value.</summary>
    private static byte[] Json(params (string Name, string Value)[] fields)
    {
        var sb = new StringBuilder("{\n");
        for (var i = 0; i < fields.Length; i++)
        {
            sb.Append("  \"").Append(fields[i].Name).Append("\" : ").Append(JsonSerializer.Serialize(fields[i].Value, RelaxedJson));
            sb.Append(i < fields.Length - 1 ? ",\n" : "\n");
        }
        return Encoding.UTF8.GetBytes(sb.Append('}').ToString());
    }
}
