using System.Security.Cryptography;
using System.Text;

namespace Stratus.Domain.Vpc.PrefixLists;

/// <summary>
/// The AWS-managed prefix lists of the services gateway VPC endpoints reach
/// (<c>com.amazonaws.&lt;region&gt;.s3</c> and <c>com.amazonaws.&lt;region&gt;.dynamodb</c>), with ids
/// every part of Stratus computes the same way.
/// </summary>
public static class ServicePrefixLists
{
    /// <summary>The services with an AWS-managed prefix list in every region.</summary>
    public static IReadOnlyList<string> Services { get; } = ["s3", "dynamodb"];

    /// <summary>The service name of <paramref name="service"/> in <paramref name="region"/>: <c>com.amazonaws.us-east-1.s3</c>.</summary>
    public static string ServiceName(string region, string service) => $"com.amazonaws.{region}.{service}";

    /// <summary>
    /// The prefix list id of a service: <c>pl-</c> and the first 8 lowercase hex digits of SHA-256
    /// over UTF-8 <c>&lt;region&gt;/&lt;service name&gt;</c> (for example over
    /// <c>us-east-1/com.amazonaws.us-east-1.s3</c>).
    /// </summary>
    public static string ServicePrefixListId(string region, string serviceName)
    {
        ArgumentException.ThrowIfNullOrEmpty(region);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        return "pl-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{region}/{serviceName}")), 0, 4);
    }
}
