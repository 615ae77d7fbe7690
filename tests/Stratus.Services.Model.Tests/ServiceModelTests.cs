using Stratus.Ec2.Model;
using Stratus.Protocol;
using Stratus.Protocol.Model;
using Stratus.Services.Model.CloudWatch;
using Stratus.Services.Model.Sts;
using Xunit;

namespace Stratus.Services.Model.Tests;

/// <summary>What the generated models expose to the gateway: metadata, read-only flags, errors, dispatch by descriptor.</summary>
public sealed class ServiceModelTests
{
    [Fact]
    public void MetadataNamesEveryProtocolAndRoute()
    {
        var cw = CloudWatchShapes.Service;
        Assert.Equal(["smithy-rpc-v2-cbor", "json", "query"], cw.Protocols);
        Assert.Equal("monitoring", cw.SigningName);
        Assert.Equal("GraniteServiceVersion20100801", cw.TargetPrefix);
        Assert.Equal("1.0", cw.JsonVersion);
        Assert.True(cw.AwsQueryCompatible);
        Assert.Same(cw, ServiceModels.FindBySigningName("monitoring"));
        Assert.Same(cw, ServiceModels.FindByTargetPrefix("GraniteServiceVersion20100801"));
        Assert.Equal("elasticloadbalancing", ServiceModels.FindBySigningName("elasticloadbalancing")!.EndpointPrefix);
        Assert.Equal("1.1", ServiceModels.FindBySigningName("servicequotas")!.JsonVersion);
        Assert.Equal("query", StsShapes.Service.Protocol);
        Assert.Equal("https://sts.amazonaws.com/doc/2011-06-15/", StsShapes.Service.XmlNamespace);
        foreach (var service in ServiceModels.All.Append(Ec2Shapes.Service))
        {
            Assert.All(service.Protocols, p => Assert.NotNull(ProtocolCodecs.For(p)));
        }
    }

    [Fact]
    public void ReadOnlyFlagsComeFromTheReviewedLists()
    {
        Assert.True(StsShapes.Operation(StsAction.GetCallerIdentity).IsReadOnly);
        Assert.False(StsShapes.Operation(StsAction.GetSessionToken).IsReadOnly);
        Assert.False(StsShapes.Operation(StsAction.AssumeRole).IsReadOnly);
        Assert.True(CloudWatchShapes.Operation(CloudWatchAction.GetMetricData).IsReadOnly);
        Assert.False(CloudWatchShapes.Operation(CloudWatchAction.PutMetricData).IsReadOnly);
        // EC2 keeps the classification it always had.
        foreach (var op in Ec2Shapes.Service.Operations)
        {
            var guess = op.Name.StartsWith("Describe", StringComparison.Ordinal) || op.Name.StartsWith("Get", StringComparison.Ordinal)
                || op.Name.StartsWith("List", StringComparison.Ordinal) || op.Name.StartsWith("Search", StringComparison.Ordinal);
            Assert.True(guess == op.IsReadOnly, op.Name);
        }
    }

    [Fact]
    public void OperationsCarryResultWrappersAndErrors()
    {
        var assume = StsShapes.Operation(StsAction.AssumeRole);
        Assert.Equal("AssumeRoleResult", assume.ResultWrapper);
        var malformed = Assert.Single(assume.Errors, e => e.Name == "MalformedPolicyDocumentException");
        Assert.True(malformed.IsError);
        Assert.Equal("MalformedPolicyDocument", malformed.ErrorCode);
        Assert.Equal(400, malformed.ErrorStatusCode);
        Assert.True(malformed.SenderFault);
        Assert.Same(malformed, StsShapes.Service.FindError("MalformedPolicyDocument"));
        var map = CloudWatchShapes.SContributorAttributes;
        Assert.Equal(ShapeKind.Map, map.Kind);
        Assert.Equal(ShapeKind.String, map.Value.Kind);
    }

    [Fact]
    public async Task DispatchByDescriptorReachesTheOperation()
    {
        IServiceDispatcher<string> sts = new Sts();
        var op = sts.Service.FindOperation("GetCallerIdentity")!;
        var result = await sts.DispatchAsync(op, "ctx", new GetCallerIdentityRequest());
        Assert.Equal("123456789012", ((GetCallerIdentityResponse)result!).Account);
        await Assert.ThrowsAsync<NotSupportedException>(() => sts.DispatchAsync(sts.Service.FindOperation("AssumeRole")!, "ctx", new AssumeRoleRequest()));
        await Assert.ThrowsAsync<ArgumentException>(() => sts.DispatchAsync(CloudWatchShapes.Operation(CloudWatchAction.GetMetricData), "ctx", null));
    }

    [Fact]
    public void GeneratedShapesAreUniqueAndWiredToEachOther()
    {
        Assert.Same(Ec2Shapes.SRunInstancesRequest, Ec2Shapes.Operation(Ec2Action.RunInstances).Input);
        Assert.Same(Ec2Shapes.SReservation, Ec2Shapes.Operation(Ec2Action.RunInstances).Output);
        var imageId = Assert.Single(Ec2Shapes.SRunInstancesRequest.Members, m => m.Name == "ImageId");
        Assert.Same(Ec2Shapes.SImageId, imageId.Shape);
        Assert.Equal("ImageId", imageId.QueryName);
        Assert.Same(imageId, Ec2Shapes.SRunInstancesRequest.FindByQueryName("ImageId"));
        Assert.Equal("ClientToken", Ec2Shapes.Operation(Ec2Action.RunInstances).IdempotencyMember?.Name);
        var tags = Ec2Shapes.STagSpecificationList;
        Assert.Same(Ec2Shapes.STagSpecification, tags.Element);
        Assert.Equal("item", tags.ElementXmlName);
        Assert.IsType<List<TagSpecification>>(tags.CreateList());
        Assert.IsType<RunInstancesRequest>(Ec2Shapes.SRunInstancesRequest.CreateStructure());
        Assert.Null(Ec2Shapes.Operation(Ec2Action.DescribeRegions).IdempotencyMember);
        Assert.Empty(StsShapes.Operation(StsAction.GetCallerIdentity).Errors);
    }

    [Fact]
    public void ATableMakesEachShapeOnceAndWiresItOnFirstUse()
    {
        var table = new CountingTable();
        var list = table[0];
        Assert.Same(list, table[0]);
        Assert.Equal(1, table.Created[0]);
        Assert.Equal(0, table.Wired[0]);
        Assert.Equal(ShapeKind.List, list.Kind);
        Assert.Equal(0, table.Wired[0]);
        // Threads racing for the first read of a shape's wiring see one wiring.
        var elements = new ShapeInfo[16];
        Parallel.For(0, elements.Length, i => elements[i] = table[0].Element);
        Assert.All(elements, e => Assert.Same(table[1], e));
        Assert.Equal(1, table.Wired[0]);
        Assert.Equal("entry", list.ElementXmlName);
        Assert.Equal(0, table.Wired[1]);
        Assert.Equal(1, table.Created[1]);
    }

    private sealed class CountingTable() : ShapeTable(2)
    {
        public int[] Created { get; } = new int[2];
        public int[] Wired { get; } = new int[2];

        protected override ShapeInfo Create(int index)
        {
            Interlocked.Increment(ref Created[index]);
            return index == 0 ? new ShapeInfo("Names", ShapeKind.List, this, 0) : new ShapeInfo("Name", ShapeKind.String);
        }

        protected override void Wire(ShapeInfo shape, int index)
        {
            Interlocked.Increment(ref Wired[index]);
            Thread.Sleep(10);
            shape.InitList(this[1], "entry", static () => new List<string>());
        }
    }

    private sealed class Sts : StsServiceBase<string>
    {
        protected override Exception NotImplemented(string context, string operation) => new NotSupportedException(operation);

        public override Task<GetCallerIdentityResponse> GetCallerIdentityAsync(string context, GetCallerIdentityRequest request) =>
            Task.FromResult(new GetCallerIdentityResponse { Account = "123456789012" });
    }
}
