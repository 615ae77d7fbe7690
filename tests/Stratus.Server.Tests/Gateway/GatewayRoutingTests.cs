using System.Net;
using Microsoft.AspNetCore.Http;
using Stratus.Protocol.Model;
using Stratus.Server.Ec2;
using Stratus.Server.Gateway;
using Stratus.Server.Imds;
using Stratus.Services.Model.Sts;

namespace Stratus.Server.Tests.Gateway;

/// <summary>How the gateway finds service, protocol and operation from a request's headers, and the listener rules.</summary>
public sealed class GatewayRoutingTests
{
    private static readonly ServiceRouter Router = new([]);

    private static HttpRequest Request(string path = "/", string? scopeService = null, params (string Name, string Value)[] headers)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = path;
        foreach (var (name, value) in headers)
        {
            http.Request.Headers[name] = value;
        }
        if (scopeService is not null)
        {
            http.Request.Headers.Authorization = $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{scopeService}/aws4_request, SignedHeaders=host, Signature=00";
        }
        return http.Request;
    }

    [Fact]
    public void FormRequests_GoToTheServiceOfTheCredentialScope()
    {
        var request = Request(scopeService: "sts");
        var route = Router.Route(request, Hosting.RequestAuthenticator.ScopeService(request));
        Assert.Equal(("sts", "query"), (route.Endpoint!.SigningName, route.Protocol));
        Assert.Null(route.Operation);

        var unsigned = Router.Route(Request(), null);
        Assert.Equal(("ec2", "ec2"), (unsigned.Endpoint!.SigningName, unsigned.Protocol));
    }

    [Fact]
    public void JsonRequests_GoByTarget()
    {
        var route = Router.Route(Request(headers: ("X-Amz-Target", "ServiceQuotasV20190624.GetServiceQuota")), null);
        Assert.Equal(("servicequotas", "json", "GetServiceQuota"), (route.Endpoint!.SigningName, route.Protocol, route.Operation));
        var cloudWatch = Router.Route(Request(headers: ("X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData")), "monitoring");
        Assert.Equal(("monitoring", "json", "PutMetricData"), (cloudWatch.Endpoint!.SigningName, cloudWatch.Protocol, cloudWatch.Operation));
        var unknown = Router.Route(Request(headers: ("X-Amz-Target", "Nobody_20200101.Op")), null);
        Assert.Null(unknown.Endpoint);
        Assert.Equal("json", unknown.Protocol);
    }

    [Fact]
    public void CborRequests_GoByServiceShapeInThePath()
    {
        var route = Router.Route(Request("/service/GraniteServiceVersion20100801/operation/GetMetricData", headers: ("Smithy-Protocol", "rpc-v2-cbor")), "monitoring");
        Assert.Equal(("monitoring", "smithy-rpc-v2-cbor", "GetMetricData"), (route.Endpoint!.SigningName, route.Protocol, route.Operation));
        var wrongPath = Router.Route(Request("/operation/GetMetricData", headers: ("Smithy-Protocol", "rpc-v2-cbor")), "monitoring");
        Assert.Null(wrongPath.Endpoint);
    }

    [Fact]
    public void EveryModelIsRouted_AndWithoutHandlersImplementsNothing()
    {
        Assert.Equal(["autoscaling", "ec2", "elasticloadbalancing", "iam", "logs", "monitoring", "servicequotas", "sts"],
            Router.AllServices.Select(s => s.Endpoint.SigningName).Order(StringComparer.Ordinal));
        Assert.All(Router.AllServices, s => Assert.Empty(s.ImplementedOperations));
    }

    [Fact]
    public void ARegisteredService_TakesItsModelsPlace()
    {
        var sts = new OneOperationService(StsShapes.Service, "GetCallerIdentity");
        var router = new ServiceRouter([sts]);
        var request = Request(scopeService: "sts");
        Assert.Same(sts, router.Route(request, "sts").Service);
        Assert.Equal(["GetCallerIdentity"], router.AllServices.Single(s => s.Endpoint.SigningName == "sts").ImplementedOperations);
    }

    [Fact]
    public void ImplementedOperations_AreTheOverriddenHandlers()
    {
        var overridden = AwsServiceRegistration.OverriddenOperations(typeof(Ec2Service));
        Assert.Contains("RunInstances", overridden);
        Assert.Contains("DescribeVpcs", overridden);
        Assert.DoesNotContain("AcceptAddressTransfer", overridden);
        Assert.Equal(Ec2Service.ImplementedOperations.Order(StringComparer.Ordinal), overridden.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.0.0.53", true)]
    [InlineData("::1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("100.127.255.254", true)]
    [InlineData("::ffff:100.64.3.2", true)]
    [InlineData("100.128.0.1", false)]
    [InlineData("192.168.1.20", false)]
    [InlineData("10.0.0.5", false)]
    [InlineData("172.31.0.10", false)]
    [InlineData("fe80::1", false)]
    public void MetadataListener_AnswersOnLoopbackAndVpcUplinksOnly(string address, bool accepted) =>
        Assert.Equal(accepted, MetadataListener.AcceptsLocalAddress(IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("[::1]", true)]
    [InlineData("localhost", true)]
    [InlineData("stratus.localhost", true)]
    [InlineData("stratus.internal", true)]
    [InlineData("attacker.example", false)]
    [InlineData("localhost.attacker.example", false)]
    public void NoAuthHosts_AreAddressesLocalhostOrConfigured(string host, bool allowed) =>
        Assert.Equal(allowed, BrowserGuard.IsAllowedHost(host, new ServerOptions { RequireSignatures = false, AllowedHosts = ["stratus.internal"] }));

    private sealed class OneOperationService(ServiceInfo model, string operation) : IAwsService
    {
        public ServiceInfo Model => model;

        public IReadOnlySet<string> ImplementedOperations { get; } = new HashSet<string> { operation };

        public Task<object?> DispatchAsync(RequestContext context, object input) => Task.FromResult<object?>(null);
    }
}
