using System.Net;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Addressing;

/// <summary>
/// Public IPv4 addresses of a region: auto-assigned instance addresses and Elastic IPs come from
/// one pool per region, unique across accounts. The pool is 198.18.0.0/15 (reserved for network
/// benchmarking, never routed on the internet), split into one /19 per region, so an address
/// says which region it belongs to and can never collide with a real public address. A host maps
/// these addresses to its instances (see the networking of the instance runtimes).
/// </summary>
public static class PublicAddressPool
{
    private const int BlockSize = 1 << 13; // a /19 per region
    private static readonly uint PoolBase = ToUInt(IPAddress.Parse("198.18.0.0"));

    /// <summary>
    /// A free address of the region's block, chosen at random (so an instance started again gets
    /// a different address, as on AWS), skipping the block's first two and last addresses; free
    /// means no instance and no Elastic IP document in the region holds it.
    /// </summary>
    public static async Task<string> AllocateAsync(IStoreSession session, string region, CancellationToken ct = default)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in new[] { ResourceTypes.Instance, ResourceTypes.ElasticIp })
        {
            foreach (var stored in await session.ListEveryAccountAsync(region, type.Name, ct).ConfigureAwait(false))
            {
                var node = JsonNode.Parse(stored.Document);
                if (node?["publicIpAddress"]?.GetValue<string>() is { } a)
                {
                    used.Add(a);
                }
                if (node?["publicIp"]?.GetValue<string>() is { } b)
                {
                    used.Add(b);
                }
            }
        }
        var first = PoolBase + (uint)(RegionIndex(region) * BlockSize);
        const uint usable = BlockSize - 3;
        var start = (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32((int)usable);
        for (var i = 0u; i < usable; i++)
        {
            var candidate = ToAddress(first + 2 + ((start + i) % usable));
            if (!used.Contains(candidate))
            {
                return candidate;
            }
        }
        throw new AwsException("AddressLimitExceeded", $"The public address pool of {region} is exhausted.");
    }

    /// <summary>EC2's public DNS name of an address in a region.</summary>
    public static string DnsName(string address, string region) => region == "us-east-1"
        ? $"ec2-{address.Replace('.', '-')}.compute-1.amazonaws.com"
        : $"ec2-{address.Replace('.', '-')}.{region}.compute.amazonaws.com";

    private static int RegionIndex(string region)
    {
        var index = Regions.RegionCatalog.All.ToList().FindIndex(r => r.Name == region);
        return index >= 0 ? index : throw new ArgumentException($"unknown region {region}", nameof(region));
    }

    private static uint ToUInt(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return ((uint)b[0] << 24) | ((uint)b[1] << 16) | ((uint)b[2] << 8) | b[3];
    }

    private static string ToAddress(uint value) => $"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}";
}
