using Stratus.Protocol.Model;

namespace Stratus.Services.Model;

/// <summary>
/// The service models of this assembly (EC2's lives in Stratus.Ec2.Model), with the look-ups a
/// router needs: by SigV4 signing name (credential scope), by JSON/RPC v2 target prefix, and by
/// service id.
/// </summary>
public static class ServiceModels
{
    public static IReadOnlyList<ServiceInfo> All { get; } =
    [
        Sts.StsShapes.Service,
        ServiceQuotas.ServiceQuotasShapes.Service,
        Iam.IamShapes.Service,
        AutoScaling.AutoScalingShapes.Service,
        ElasticLoadBalancingV2.ElasticLoadBalancingV2Shapes.Service,
        CloudWatch.CloudWatchShapes.Service,
        Logs.LogsShapes.Service,
    ];

    private static readonly Dictionary<string, ServiceInfo> BySigningName = All.ToDictionary(s => s.SigningName, StringComparer.Ordinal);
    private static readonly Dictionary<string, ServiceInfo> ByTargetPrefix = All.Where(s => s.TargetPrefix is not null).ToDictionary(s => s.TargetPrefix!, StringComparer.Ordinal);

    /// <summary>The service signed for as <paramref name="signingName"/> (e.g. <c>monitoring</c>, <c>elasticloadbalancing</c>).</summary>
    public static ServiceInfo? FindBySigningName(string signingName) => BySigningName.GetValueOrDefault(signingName);

    /// <summary>The service whose <c>X-Amz-Target</c> / rpc-v2 path prefix this is (e.g. <c>GraniteServiceVersion20100801</c>).</summary>
    public static ServiceInfo? FindByTargetPrefix(string targetPrefix) => ByTargetPrefix.GetValueOrDefault(targetPrefix);
}
