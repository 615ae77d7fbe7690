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

    private sealed class Sts : StsServiceBase<string>
    {
        protected override Exception NotImplemented(string context, string operation) => new NotSupportedException(operation);

        public override Task<GetCallerIdentityResponse> GetCallerIdentityAsync(string context, GetCallerIdentityRequest request) =>
            Task.FromResult(new GetCallerIdentityResponse { Account = "123456789012" });
    }
}
