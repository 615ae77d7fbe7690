using BenchmarkDotNet.Attributes;
using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Protocol.Cbor;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Json;
using Stratus.Protocol.Model;
using Stratus.Protocol.Query;
using Stratus.Services.Model.CloudWatch;
using Stratus.Services.Model.Iam;
using ServiceQuotasModel = Stratus.Services.Model.ServiceQuotas;

namespace Stratus.Benchmarks;

/// <summary>
/// The codecs of the other protocols next to EC2's: query (IAM), json 1.1 (Service Quotas) and
/// rpc-v2-cbor (CloudWatch), each parsing a request and writing a response through
/// <see cref="IProtocolCodec"/> (bytes in, bytes out).
/// </summary>
[MemoryDiagnoser]
public class ServiceProtocolBenchmarks
{
    private const string CreateRoleBody =
        "Action=CreateRole&Version=2010-05-08&RoleName=web-server&Path=%2Fapp%2F&MaxSessionDuration=3600&Description=Role%20for%20the%20web%20tier"
        + "&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"
        + "&Tags.member.1.Key=Name&Tags.member.1.Value=web&Tags.member.2.Key=Environment&Tags.member.2.Value=prod";

    private static readonly byte[] GetServiceQuotaBody = "{\"ServiceCode\":\"ec2\",\"QuotaCode\":\"L-1216C47A\"}"u8.ToArray();
    private static readonly Dictionary<string, string> NoHeaders = [];

    private WireRequest _createRole = null!;
    private WireRequest _getServiceQuota = null!;
    private WireRequest _putMetricData = null!;
    private WireRequest _describeVpcs = null!;
    private ListUsersResponse _users = null!;
    private ServiceQuotasModel.ListServiceQuotasResponse _quotas = null!;
    private GetMetricDataOutput _metricData = null!;
    private DescribeVpcsResult _vpcs = null!;
    private OperationInfo _listUsers = null!;
    private OperationInfo _listServiceQuotas = null!;
    private OperationInfo _getMetricData = null!;

    [GlobalSetup]
    public void Setup()
    {
        _createRole = new WireRequest("POST", "/", FormDecoder.Decode(CreateRoleBody), NoHeaders, ReadOnlyMemory<byte>.Empty);
        _getServiceQuota = new WireRequest("POST", "/", [], NoHeaders, GetServiceQuotaBody);
        var at = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);
        var put = new PutMetricDataInput
        {
            Namespace = "App/Web",
            MetricData = Enumerable.Range(0, 5).Select(i => new MetricDatum
            {
                MetricName = "Latency",
                Dimensions = [new Dimension { Name = "AutoScalingGroupName", Value = "web-asg" }, new Dimension { Name = "Stage", Value = "prod" }],
                Timestamp = at.AddSeconds(i * 60),
                Value = 12.5 + i,
                Unit = "Milliseconds",
            }).ToList(),
        };
        _putMetricData = new WireRequest("POST", "/service/GraniteServiceVersion20100801/operation/PutMetricData", [], NoHeaders,
            CborCodec.Serialize(CloudWatchShapes.SPutMetricDataInput, put));
        _describeVpcs = new WireRequest("POST", "/", FormDecoder.Decode(
            "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AEnvironment&Filter.1.Value.1=prod&Filter.1.Value.2=staging&Filter.2.Name=is-default&Filter.2.Value.1=false&MaxResults=50"),
            NoHeaders, ReadOnlyMemory<byte>.Empty);
        _users = new ListUsersResponse
        {
            IsTruncated = false,
            Users = Enumerable.Range(0, 20).Select(i => new User
            {
                UserName = $"user-{i}",
                UserId = $"AIDA0123456789ABCDE{i:D2}",
                Arn = $"arn:aws:iam::123456789012:user/user-{i}",
                Path = "/",
                CreateDate = at,
                Tags = [new Stratus.Services.Model.Iam.Tag { Key = "team", Value = "web" }],
            }).ToList(),
        };
        _quotas = new ServiceQuotasModel.ListServiceQuotasResponse
        {
            Quotas = Enumerable.Range(0, 20).Select(i => new ServiceQuotasModel.ServiceQuota
            {
                ServiceCode = "ec2",
                ServiceName = "Amazon Elastic Compute Cloud (Amazon EC2)",
                QuotaArn = $"arn:aws:servicequotas:us-east-1:123456789012:ec2/L-0000{i:D4}",
                QuotaCode = $"L-0000{i:D4}",
                QuotaName = "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
                Value = 1152,
                Unit = "None",
                Adjustable = true,
                GlobalQuota = false,
            }).ToList(),
        };
        _metricData = new GetMetricDataOutput
        {
            MetricDataResults = Enumerable.Range(0, 3).Select(i => new Stratus.Services.Model.CloudWatch.MetricDataResult
            {
                Id = $"m{i}",
                Label = "CPUUtilization",
                StatusCode = "Complete",
                Timestamps = Enumerable.Range(0, 60).Select(t => at.AddMinutes(-t)).ToList(),
                Values = Enumerable.Range(0, 60).Select(t => 20.0 + t % 7).ToList(),
            }).ToList(),
        };
        _vpcs = new DescribeVpcsResult
        {
            Vpcs = Enumerable.Range(0, 10).Select(i => new Vpc
            {
                VpcId = $"vpc-0123456789abcde{i:x2}",
                CidrBlock = $"10.{i}.0.0/16",
                State = "available",
                OwnerId = "123456789012",
                IsDefault = i == 0,
                Tags = [new Stratus.Ec2.Model.Tag { Key = "Name", Value = $"vpc-{i}" }],
            }).ToList(),
        };
        _listUsers = IamShapes.Operation(IamAction.ListUsers);
        _listServiceQuotas = ServiceQuotasModel.ServiceQuotasShapes.Operation(ServiceQuotasModel.ServiceQuotasAction.ListServiceQuotas);
        _getMetricData = CloudWatchShapes.Operation(CloudWatchAction.GetMetricData);
    }

    [Benchmark]
    public object Ec2CodecParseDescribeVpcs() =>
        Ec2Codec.Instance.ParseInput(Ec2Shapes.Service, Ec2Shapes.Operation(Ec2Action.DescribeVpcs), _describeVpcs);

    [Benchmark]
    public WireResponse Ec2CodecWriteDescribeVpcs10() =>
        Ec2Codec.Instance.WriteOutput(Ec2Shapes.Service, Ec2Shapes.Operation(Ec2Action.DescribeVpcs), _vpcs, "9f1c8b2e-1d2c-4f0a-8d5e-2b7c6a4e9f10");

    [Benchmark]
    public object QueryParseCreateRole() =>
        QueryCodec.Instance.ParseInput(IamShapes.Service, IamShapes.Operation(IamAction.CreateRole), _createRole);

    [Benchmark]
    public WireResponse QueryWriteListUsers20() =>
        QueryCodec.Instance.WriteOutput(IamShapes.Service, _listUsers, _users, "9f1c8b2e-1d2c-4f0a-8d5e-2b7c6a4e9f10");

    [Benchmark]
    public object JsonParseGetServiceQuota() =>
        JsonCodec.Instance.ParseInput(ServiceQuotasModel.ServiceQuotasShapes.Service,
            ServiceQuotasModel.ServiceQuotasShapes.Operation(ServiceQuotasModel.ServiceQuotasAction.GetServiceQuota), _getServiceQuota);

    [Benchmark]
    public WireResponse JsonWriteListServiceQuotas20() =>
        JsonCodec.Instance.WriteOutput(ServiceQuotasModel.ServiceQuotasShapes.Service, _listServiceQuotas, _quotas, "9f1c8b2e-1d2c-4f0a-8d5e-2b7c6a4e9f10");

    [Benchmark]
    public object CborParsePutMetricData5() =>
        CborCodec.Instance.ParseInput(CloudWatchShapes.Service, CloudWatchShapes.Operation(CloudWatchAction.PutMetricData), _putMetricData);

    [Benchmark]
    public WireResponse CborWriteGetMetricData3x60() =>
        CborCodec.Instance.WriteOutput(CloudWatchShapes.Service, _getMetricData, _metricData, "9f1c8b2e-1d2c-4f0a-8d5e-2b7c6a4e9f10");
}
