using BenchmarkDotNet.Attributes;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Protocol.Ec2;

namespace Stratus.Benchmarks;

/// <summary>Parsing EC2 query requests and serializing EC2 XML responses.</summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks
{
    private const string DescribeVpcsBody =
        "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AEnvironment&Filter.1.Value.1=prod&Filter.1.Value.2=staging&Filter.2.Name=is-default&Filter.2.Value.1=false&MaxResults=50";

    private const string RunInstancesBody =
        "Action=RunInstances&Version=2016-11-15&ImageId=ami-0abcdef1234567890&InstanceType=t3.micro&MinCount=1&MaxCount=3&KeyName=MyKeyPair"
        + "&SecurityGroupId.1=sg-0123456789abcdef0&SubnetId=subnet-0123456789abcdef0&UserData=IyEvYmluL2Jhc2gKZWNobyBoZWxsbw%3D%3D"
        + "&BlockDeviceMapping.1.DeviceName=%2Fdev%2Fxvda&BlockDeviceMapping.1.Ebs.VolumeSize=20&BlockDeviceMapping.1.Ebs.VolumeType=gp3&BlockDeviceMapping.1.Ebs.DeleteOnTermination=true"
        + "&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web-1"
        + "&TagSpecification.1.Tag.2.Key=Environment&TagSpecification.1.Tag.2.Value=prod&MetadataOptions.HttpTokens=required&MetadataOptions.HttpPutResponseHopLimit=2"
        + "&ClientToken=3f0a7e3c-6a4c-4c8b-9d2a-7e1f6b5b2c11";

    private static readonly byte[] DescribeVpcsBytes = System.Text.Encoding.UTF8.GetBytes(DescribeVpcsBody);
    private static readonly byte[] RunInstancesBytes = System.Text.Encoding.UTF8.GetBytes(RunInstancesBody);
    private DescribeVpcsResult _vpcs = null!;
    private DescribeInstancesResult _instances = null!;

    [GlobalSetup(Targets = new[] { nameof(ParseDescribeVpcs), nameof(ParseRunInstances), nameof(SerializeDescribeVpcs10), nameof(SerializeDescribeInstances20) })]
    public void Setup()
    {
        _vpcs = new DescribeVpcsResult
        {
            Vpcs = Enumerable.Range(0, 10).Select(i => new Vpc
            {
                VpcId = $"vpc-0123456789abcde{i:x2}",
                CidrBlock = $"10.{i}.0.0/16",
                State = "available",
                OwnerId = "123456789012",
                DhcpOptionsId = "dopt-0123456789abcdef0",
                InstanceTenancy = "default",
                IsDefault = i == 0,
                CidrBlockAssociationSet = [new VpcCidrBlockAssociation { AssociationId = "vpc-cidr-assoc-0123456789abcdef0", CidrBlock = $"10.{i}.0.0/16", CidrBlockState = new VpcCidrBlockState { State = "associated" } }],
                Tags = [new Tag { Key = "Name", Value = $"vpc-{i}" }, new Tag { Key = "Environment", Value = "prod" }],
            }).ToList(),
        };
        _instances = new DescribeInstancesResult
        {
            Reservations = Enumerable.Range(0, 5).Select(r => new Reservation
            {
                ReservationId = $"r-0123456789abcde{r:x2}",
                OwnerId = "123456789012",
                Groups = [],
                Instances = Enumerable.Range(0, 4).Select(i => new Instance
                {
                    InstanceId = $"i-0123456789abc{r:x2}{i:x2}",
                    ImageId = "ami-0abcdef1234567890",
                    InstanceType = "t3.micro",
                    State = new InstanceState { Code = 16, Name = "running" },
                    PrivateIpAddress = $"172.31.{r}.{i + 10}",
                    PublicIpAddress = $"54.0.{r}.{i + 10}",
                    LaunchTime = new DateTime(2026, 11, 22, 3, 0, 0, DateTimeKind.Utc),
                    Placement = new Placement { AvailabilityZone = "us-east-1a", Tenancy = "default" },
                    SecurityGroups = [new GroupIdentifier { GroupId = "sg-0123456789abcdef0", GroupName = "web" }],
                    Tags = [new Tag { Key = "Name", Value = $"web-{i}" }],
                    MetadataOptions = new InstanceMetadataOptionsResponse { HttpTokens = "required", HttpPutResponseHopLimit = 2, HttpEndpoint = "enabled", State = "applied" },
                }).ToList(),
            }).ToList(),
        };
    }

    /// <summary>10,000 instances as DescribeInstances shapes them (100 reservations of 100).</summary>
    private DescribeInstancesResult _instances10000 = null!;

    /// <summary>The same instances, marked as not changing and written once: their XML is kept.</summary>
    private DescribeInstancesResult _kept10000 = null!;

    [GlobalSetup(Targets = new[] { nameof(SerializeDescribeInstances10000), nameof(SerializeDescribeInstances10000Kept) })]
    public void Setup10000()
    {
        Setup();
        _instances10000 = Listing(keep: false);
        _kept10000 = Listing(keep: true);
        SerializeBody(_kept10000).Dispose();
    }

    private static DescribeInstancesResult Listing(bool keep) => new()
    {
        Reservations = Enumerable.Range(0, 100).Select(r => new Reservation
        {
            ReservationId = $"r-0123456789ab{r:x5}",
            OwnerId = "123456789012",
            Groups = [],
            Instances = Enumerable.Range(0, 100).Select(i => Shaped((r * 100) + i, keep)).ToList(),
        }).ToList(),
    };

    /// <summary>An instance with what InstanceHandlers.ToShape sets for a running instance with one interface.</summary>
    private static Instance Shaped(int n, bool keep)
    {
        var id = $"i-0123456789{n:x7}";
        var ip = $"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}";
        var launched = new DateTime(2026, 12, 7, 3, 0, 0, DateTimeKind.Utc).AddSeconds(n);
        var group = new GroupIdentifier { GroupId = "sg-0123456789abcdef0", GroupName = "default" };
        var instance = new Instance
        {
            InstanceId = id,
            ImageId = "ami-0abcdef1234567890",
            InstanceType = "t3.micro",
            State = new InstanceState { Code = 16, Name = "running" },
            StateTransitionReason = "",
            LaunchTime = launched,
            AmiLaunchIndex = n % 100,
            Placement = new Placement { AvailabilityZone = "us-east-1a", AvailabilityZoneId = "use1-az1", GroupName = "", Tenancy = "default" },
            CapacityReservationSpecification = new CapacityReservationSpecificationResponse { CapacityReservationPreference = "open" },
            SubnetId = "subnet-0123456789abcdef0",
            VpcId = "vpc-0123456789abcdef0",
            PrivateIpAddress = ip,
            PrivateDnsName = $"ip-{ip.Replace('.', '-')}.ec2.internal",
            PublicDnsName = "",
            Architecture = "x86_64",
            RootDeviceName = "/dev/xvda",
            RootDeviceType = "ebs",
            VirtualizationType = "hvm",
            Hypervisor = "xen",
            BootMode = "uefi-preferred",
            CurrentInstanceBootMode = "legacy-bios",
            BlockDeviceMappings = [new InstanceBlockDeviceMapping { DeviceName = "/dev/xvda", Ebs = new EbsInstanceBlockDevice { VolumeId = $"vol-0123456789{n:x7}", Status = "attached", AttachTime = launched, DeleteOnTermination = true } }],
            SecurityGroups = [group],
            NetworkInterfaces =
            [
                new InstanceNetworkInterface
                {
                    NetworkInterfaceId = $"eni-0123456789{n:x7}",
                    SubnetId = "subnet-0123456789abcdef0",
                    VpcId = "vpc-0123456789abcdef0",
                    Description = "",
                    OwnerId = "123456789012",
                    Status = "in-use",
                    MacAddress = $"02:00:00:{(n >> 16) & 255:x2}:{(n >> 8) & 255:x2}:{n & 255:x2}",
                    PrivateIpAddress = ip,
                    PrivateDnsName = $"ip-{ip.Replace('.', '-')}.ec2.internal",
                    SourceDestCheck = true,
                    InterfaceType = "interface",
                    Groups = [new GroupIdentifier { GroupId = group.GroupId, GroupName = group.GroupName }],
                    Attachment = new InstanceNetworkInterfaceAttachment { AttachmentId = $"eni-attach-0123456789{n:x7}", AttachTime = launched, DeleteOnTermination = true, DeviceIndex = 0, NetworkCardIndex = 0, Status = "attached" },
                    PrivateIpAddresses = [new InstancePrivateIpAddress { PrivateIpAddress = ip, Primary = true, PrivateDnsName = $"ip-{ip.Replace('.', '-')}.ec2.internal" }],
                    Ipv6Addresses = [],
                },
            ],
            MetadataOptions = new InstanceMetadataOptionsResponse { State = "applied", HttpTokens = "required", HttpPutResponseHopLimit = 2, HttpEndpoint = "enabled", HttpProtocolIpv6 = "disabled", InstanceMetadataTags = "disabled" },
            Monitoring = new Monitoring { State = "disabled" },
            EbsOptimized = false,
            EnaSupport = true,
            SourceDestCheck = true,
            ClientToken = "",
            CpuOptions = new CpuOptions { CoreCount = 1, ThreadsPerCore = 2 },
            HibernationOptions = new HibernationOptions { Configured = false },
            EnclaveOptions = new EnclaveOptions { Enabled = false },
            MaintenanceOptions = new InstanceMaintenanceOptions { AutoRecovery = "default" },
            PrivateDnsNameOptions = new PrivateDnsNameOptionsResponse { HostnameType = "ip-name", EnableResourceNameDnsARecord = false, EnableResourceNameDnsAAAARecord = false },
            PlatformDetails = "Linux/UNIX",
            UsageOperation = "RunInstances",
            UsageOperationUpdateTime = launched,
            ProductCodes = [],
            Tags = [new Tag { Key = "Name", Value = $"bench-{n}" }, new Tag { Key = "group", Value = $"g{n / 100}" }],
        };
        return keep ? instance.KeepEncoded() : instance;
    }

    private static WireBody SerializeBody(DescribeInstancesResult result) =>
        Ec2ProtocolSerializer.SerializeBody(Ec2Shapes.Service, Ec2Shapes.Service.Operations[(int)Ec2Action.DescribeInstances], result, "9f1c8b2e-1d2c-4f0a-8d5e-2b7c6a4e9f10");

    /// <summary>A full DescribeInstances body of 10,000 instances, every instance walked.</summary>
    [Benchmark]
    public long SerializeDescribeInstances10000()
    {
        using var body = SerializeBody(_instances10000);
        return body.Length;
    }

    /// <summary>The same body, every instance's XML kept from an earlier write (what an unchanged instance costs).</summary>
    [Benchmark]
    public long SerializeDescribeInstances10000Kept()
    {
        using var body = SerializeBody(_kept10000);
        return body.Length;
    }

    [Benchmark]
    public object ParseDescribeVpcs() =>
        Ec2ProtocolParser.Parse(Ec2Shapes.SDescribeVpcsRequest, FormDecoder.Decode(DescribeVpcsBytes));

    [Benchmark]
    public object ParseRunInstances() =>
        Ec2ProtocolParser.Parse(Ec2Shapes.SRunInstancesRequest, FormDecoder.Decode(RunInstancesBytes));

    [Benchmark]
    public string SerializeDescribeVpcs10() =>
        Ec2ProtocolSerializer.Serialize(Ec2Shapes.Service, Ec2Shapes.Service.Operations[(int)Ec2Action.DescribeVpcs], _vpcs, "9f1c8b2e-1d2c-4f0a-8d5e-2b7c6a4e9f10");

    [Benchmark]
    public string SerializeDescribeInstances20() =>
        Ec2ProtocolSerializer.Serialize(Ec2Shapes.Service, Ec2Shapes.Service.Operations[(int)Ec2Action.DescribeInstances], _instances, "9f1c8b2e-1d2c-4f0a-8d5e-2b7c6a4e9f10");
}
