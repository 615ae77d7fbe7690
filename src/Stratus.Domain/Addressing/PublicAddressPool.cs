using System.Net;
using System.Text.Json.Nodes;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Addressing;

/// <summary>
/// Public IPv4 addresses of a region: auto-assigned instance addresses and Elastic IPs come from
/// one pool per region, unique across accounts. The pool is 198.18.0.0/15 (reserved for network
/// benchmarking, never routed on the internet): 198.18.0.0/16 as one /19 for each of the first
/// eight regions of the catalog, 198.19.0.0/16 as one /21 for each later one, so an address
/// says which region it belongs to and can never collide with a real public address. A host maps
/// these addresses to its instances (see the networking of the instance runtimes).
/// Which addresses are held is one document per region (a bitmap, outside every account), written
/// in the transaction that takes or gives back an address, so an allocation reads one document
/// instead of every instance and Elastic IP of the region. When the document is missing, or says
/// the pool is exhausted, it is counted again from the instances and Elastic IPs.
/// </summary>
public static class PublicAddressPool
{
    private const int LargeBlock = 1 << 13; // a /19 for each of the first eight regions
    private const int LargeBlocks = 8;
    private const int SmallBlock = 1 << 11; // a /21 for each later region
    private static readonly uint PoolBase = ToUInt(IPAddress.Parse("198.18.0.0"));
    private static readonly uint SmallPoolBase = ToUInt(IPAddress.Parse("198.19.0.0"));

    /// <summary>The document type of the pool's allocation record.</summary>
    public static readonly ResourceType DocumentType = new("public-address-pool", "pool", "InvalidParameterValue", "InvalidParameterValue", "{0}");

    /// <summary>The pseudo-account the region's pool document is kept under (not a 12-digit account id, so never a real one).</summary>
    public const string PoolAccount = "aws";

    /// <summary>
    /// A free address of the region's block, chosen at random (so an instance started again gets
    /// a different address, as on AWS), skipping the block's first two and last addresses, and taken.
    /// </summary>
    public static async Task<string> AllocateAsync(IStoreTransaction tx, string region, CancellationToken ct = default)
    {
        var pool = await LoadAsync(tx, region, ct).ConfigureAwait(false);
        var address = Take(pool) ?? Take(pool = await CountAsync(tx, region, ct).ConfigureAwait(false))
            ?? throw new AwsException("AddressLimitExceeded", $"The public address pool of {region} is exhausted.");
        await SaveAsync(tx, region, pool, ct).ConfigureAwait(false);
        return address;
    }

    /// <summary>Takes <paramref name="count"/> addresses at once (a launch of many instances), as <see cref="AllocateAsync"/> does one.</summary>
    public static async Task<List<string>> AllocateManyAsync(IStoreTransaction tx, string region, int count, CancellationToken ct = default)
    {
        var result = new List<string>(count);
        if (count == 0)
        {
            return result;
        }
        var pool = await LoadAsync(tx, region, ct).ConfigureAwait(false);
        if (pool.Free < count)
        {
            pool = await CountAsync(tx, region, ct).ConfigureAwait(false);
        }
        for (var i = 0; i < count; i++)
        {
            result.Add(Take(pool) ?? throw new AwsException("AddressLimitExceeded", $"The public address pool of {region} is exhausted."));
        }
        await SaveAsync(tx, region, pool, ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>Gives <paramref name="addresses"/> back to the pool (an auto-assigned address released, an Elastic IP released).</summary>
    public static async Task ReleaseAsync(IStoreTransaction tx, string region, IReadOnlyCollection<string> addresses, CancellationToken ct = default)
    {
        if (addresses.Count == 0)
        {
            return;
        }
        var pool = await LoadAsync(tx, region, ct).ConfigureAwait(false);
        foreach (var address in addresses)
        {
            if (IPAddress.TryParse(address, out var parsed) && pool.Contains(ToUInt(parsed)))
            {
                pool.Release(ToUInt(parsed));
            }
        }
        await SaveAsync(tx, region, pool, ct).ConfigureAwait(false);
    }

    /// <summary>Gives one address back to the pool.</summary>
    public static Task ReleaseAsync(IStoreTransaction tx, string region, string address, CancellationToken ct = default) =>
        ReleaseAsync(tx, region, [address], ct);

    /// <summary>The region's pool as recorded, or counted when there is no record.</summary>
    internal static async Task<AddressBitmap> LoadAsync(IStoreSession session, string region, CancellationToken ct)
    {
        var stored = await session.GetAsync<PoolDocument>(new Scope(PoolAccount, region), DocumentType, region, ct).ConfigureAwait(false);
        return stored is null
            ? await CountAsync(session, region, ct).ConfigureAwait(false)
            : AddressBitmap.FromBase64(FirstUsable(region), Usable(region), stored.Used);
    }

    /// <summary>
    /// The pool counted from what holds addresses: every instance and Elastic IP document in the
    /// region (the slow, authoritative way).
    /// </summary>
    internal static async Task<AddressBitmap> CountAsync(IStoreSession session, string region, CancellationToken ct)
    {
        var pool = new AddressBitmap(FirstUsable(region), Usable(region));
        foreach (var type in new[] { ResourceTypes.Instance, ResourceTypes.ElasticIp })
        {
            foreach (var stored in await session.ListEveryAccountAsync(region, type.Name, ct).ConfigureAwait(false))
            {
                var node = JsonNode.Parse(stored.Document);
                foreach (var name in new[] { "publicIpAddress", "publicIp" })
                {
                    if (node?[name]?.GetValue<string>() is { } a && IPAddress.TryParse(a, out var parsed) && pool.Contains(ToUInt(parsed)))
                    {
                        pool.TryTake(ToUInt(parsed));
                    }
                }
            }
        }
        return pool;
    }

    private static Task SaveAsync(IStoreTransaction tx, string region, AddressBitmap pool, CancellationToken ct) =>
        tx.PutAsync(new Scope(PoolAccount, region), DocumentType, region, new PoolDocument { Used = pool.ToBase64() }, DateTime.UnixEpoch, ct);

    /// <summary>A random free address of <paramref name="pool"/>, taken; null when there is none.</summary>
    private static string? Take(AddressBitmap pool)
    {
        if (pool.Free == 0)
        {
            return null;
        }
        var start = pool.First + (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(pool.Size);
        var found = pool.NextFree(start) ?? pool.NextFree(pool.First);
        if (found is not { } address)
        {
            return null;
        }
        pool.TryTake(address);
        return ToAddress(address);
    }

    /// <summary>The region's first usable address: its block's first two addresses are kept.</summary>
    private static uint FirstUsable(string region)
    {
        var index = RegionIndex(region);
        return (index < LargeBlocks ? PoolBase + (uint)(index * LargeBlock) : SmallPoolBase + (uint)((index - LargeBlocks) * SmallBlock)) + 2;
    }

    /// <summary>How many addresses of the region's block are handed out (all but the first two and the last).</summary>
    private static int Usable(string region) => (RegionIndex(region) < LargeBlocks ? LargeBlock : SmallBlock) - 3;

    /// <summary>The stored form of a region's pool: a bitmap of its usable addresses.</summary>
    internal sealed class PoolDocument
    {
        public required string Used { get; init; }
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
