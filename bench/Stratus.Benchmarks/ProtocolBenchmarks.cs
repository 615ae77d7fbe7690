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

    [GlobalSetup]
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
