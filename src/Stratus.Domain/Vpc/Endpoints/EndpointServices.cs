using System.Security.Cryptography;
using System.Text;

namespace Stratus.Domain.Vpc.Endpoints;

/// <summary>An AWS service a region offers VPC endpoints for.</summary>
/// <param name="ServiceName"><c>com.amazonaws.&lt;region&gt;.&lt;service&gt;</c>.</param>
/// <param name="Types">Gateway, Interface or both.</param>
public sealed record EndpointService(string ServiceName, string ShortName, IReadOnlyList<string> Types, string Region)
{
    /// <summary>The DNS name clients use for the service in the region, which private DNS answers inside the VPC.</summary>
    public string PrivateDnsName => ShortName switch
    {
        "s3" => $"*.s3.{Region}.amazonaws.com",
        _ => $"{ShortName}.{Region}.amazonaws.com",
    };

    public string BaseEndpointDnsName => $"{ShortName}.{Region}.vpce.amazonaws.com";

    /// <summary>A stable service id per region and name, shaped like AWS's <c>vpce-svc-…</c>.</summary>
    public string ServiceId => "vpce-svc-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Region + "/" + ServiceName)))[..17];
}

/// <summary>The AWS services each region offers VPC endpoints for.</summary>
public static class EndpointServices
{
    /// <summary>Services with gateway endpoints (route-table entries to the service's prefix list) as well as interface endpoints.</summary>
    private static readonly string[] GatewayServices = ["dynamodb", "s3"];

    /// <summary>Services with interface endpoints.</summary>
    private static readonly string[] InterfaceServices =
    [
        "autoscaling", "cloudformation", "dynamodb", "ec2", "ec2messages", "ecr.api", "ecr.dkr", "elasticloadbalancing", "events", "execute-api",
        "iam", "kms", "lambda", "logs", "monitoring", "s3", "secretsmanager", "servicequotas", "sns", "sqs", "ssm", "ssmmessages", "sts",
    ];

    /// <summary>Every service of the region, by name.</summary>
    public static IReadOnlyList<EndpointService> For(string region)
    {
        var names = GatewayServices.Concat(InterfaceServices).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return names.Select(n => new EndpointService(
                n == "iam" ? "com.amazonaws.iam" : $"com.amazonaws.{region}.{n}",
                n,
                [.. GatewayServices.Contains(n) ? ["Gateway"] : Array.Empty<string>(), .. InterfaceServices.Contains(n) ? ["Interface"] : Array.Empty<string>()],
                region))
            .OrderBy(s => s.ServiceName, StringComparer.Ordinal)
            .ToList();
    }

    public static EndpointService? Find(string region, string serviceName) =>
        For(region).FirstOrDefault(s => s.ServiceName == serviceName);
}
