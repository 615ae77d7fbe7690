using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Domain.Vpc;

namespace Stratus.Domain.Addressing;

/// <summary>
/// The private address allocator of one subnet: which of its usable addresses (all but the first
/// four and the last, which AWS keeps) network interfaces hold. It is kept as one document per
/// subnet, written in the same transaction as the interfaces that take or free addresses, so an
/// allocation reads one small document instead of every interface of the region; the subnet's
/// AvailableIpAddressCount is written with it. A subnet without the document (one created before it
/// existed) is counted once from its interfaces.
/// </summary>
public sealed class SubnetAddresses
{
    public static readonly ResourceType DocumentType = new("subnet-addresses", "subnet", "InvalidSubnetID.NotFound", "InvalidSubnetID.Malformed", "The subnet ID '{0}' does not exist");

    private SubnetAddresses(SubnetResource subnet, Ipv4Cidr block, AddressBitmap bitmap)
    {
        Subnet = subnet;
        Block = block;
        Bitmap = bitmap;
    }

    public SubnetResource Subnet { get; }

    public Ipv4Cidr Block { get; }

    internal AddressBitmap Bitmap { get; }

    /// <summary>Free addresses (the subnet's AvailableIpAddressCount).</summary>
    public int Available => Bitmap.Free;

    /// <summary>An allocator for a subnet nothing uses yet (no interfaces).</summary>
    public static SubnetAddresses Empty(SubnetResource subnet)
    {
        ArgumentNullException.ThrowIfNull(subnet);
        var block = Ipv4Cidr.Parse(subnet.CidrBlock);
        return new SubnetAddresses(subnet, block, new AddressBitmap(block.Network + 4, (int)block.Size - Vpcs.ReservedAddresses));
    }

    /// <summary>The allocator of <paramref name="subnet"/>, counted from its interfaces when it has no document yet.</summary>
    public static async Task<SubnetAddresses> LoadAsync(IStoreSession session, Scope scope, SubnetResource subnet, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(subnet);
        var stored = await session.GetAsync<Document>(scope, DocumentType, subnet.Id, ct).ConfigureAwait(false);
        var block = Ipv4Cidr.Parse(subnet.CidrBlock);
        var result = stored is not null && stored.CidrBlock == subnet.CidrBlock
            ? new SubnetAddresses(subnet, block, AddressBitmap.FromBase64(block.Network + 4, (int)block.Size - Vpcs.ReservedAddresses, stored.Used))
            : await CountAsync(session, scope, subnet, ct).ConfigureAwait(false);
        result.Excluded = await Vpc.CidrReservations.SubnetCidrReservations.ExplicitBlocksAsync(session, scope, subnet.Id, ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>The allocator counted from every interface of the subnet (the slow, authoritative way).</summary>
    public static async Task<SubnetAddresses> CountAsync(IStoreSession session, Scope scope, SubnetResource subnet, CancellationToken ct = default)
    {
        var result = Empty(subnet);
        foreach (var eni in await session.ListAsync<NetworkInterfaceResource>(scope, ResourceTypes.NetworkInterface, ct).ConfigureAwait(false))
        {
            if (eni.SubnetId != subnet.Id)
            {
                continue;
            }
            foreach (var address in eni.AllPrivateIpAddresses)
            {
                if (Ipv4.TryParse(address, out var n) && result.Bitmap.Contains(n))
                {
                    result.Bitmap.TryTake(n);
                }
            }
        }
        return result;
    }

    /// <summary>Blocks the allocator never picks on its own (the subnet's <c>explicit</c> CIDR reservations); requested addresses may lie there.</summary>
    public IReadOnlyList<Ipv4Cidr> Excluded { get; private set; } = [];

    /// <summary>True when <paramref name="address"/> (a usable address of the subnet) is held.</summary>
    public bool IsUsed(uint address) => Bitmap.Contains(address) && Bitmap.IsUsed(address);

    /// <summary>
    /// Takes a requested address: EC2's errors for one that is not an address of the subnet, is
    /// reserved, or is in use.
    /// </summary>
    public void Take(string address)
    {
        Check(address);
        Bitmap.TryTake(Ipv4.TryParse(address, out var n) ? n : 0);
    }

    /// <summary>EC2's error when <paramref name="address"/> cannot be requested in this subnet.</summary>
    public void Check(string address)
    {
        if (!Ipv4.TryParse(address, out var n))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({address}) for parameter privateIpAddress is invalid. This is not a valid IPv4 address.");
        }
        if (!Block.Contains(n))
        {
            throw AwsErrors.InvalidParameterValue($"Address {address} does not fall within the subnet's address range");
        }
        if (n - Block.Network < 4 || n == Block.Last)
        {
            throw AwsErrors.InvalidParameterValue($"Address {address} is in subnet's reserved address range");
        }
        if (Bitmap.IsUsed(n))
        {
            throw new AwsException("InvalidIPAddress.InUse", $"The specified address {address} is already in use.");
        }
    }

    /// <summary>The lowest <paramref name="count"/> free addresses, taken; EC2's InsufficientFreeAddressesInSubnet when there are not enough.</summary>
    public List<string> Allocate(int count)
    {
        if (count > Bitmap.Free)
        {
            throw InsufficientAddresses();
        }
        var result = new List<string>(count);
        var next = Bitmap.First;
        while (result.Count < count && Bitmap.NextFree(next) is { } free)
        {
            if (ReservedBlockOf(free) is { } reserved)
            {
                next = reserved.Last + 1;
                if (reserved.Last == uint.MaxValue || !Bitmap.Contains(next))
                {
                    break;
                }
                continue;
            }
            Bitmap.TryTake(free);
            result.Add(Ipv4.Format(free));
            next = free + 1;
            if (!Bitmap.Contains(next))
            {
                break;
            }
        }
        return result.Count == count ? result : throw InsufficientAddresses();
    }

    private Ipv4Cidr? ReservedBlockOf(uint address)
    {
        foreach (var block in Excluded)
        {
            if (block.Contains(address))
            {
                return block;
            }
        }
        return null;
    }

    /// <summary>Frees <paramref name="address"/> (no-op for one not held or not of the subnet).</summary>
    public void Release(string address)
    {
        if (Ipv4.TryParse(address, out var n) && Bitmap.Contains(n))
        {
            Bitmap.Release(n);
        }
    }

    /// <summary>Writes the allocator and the subnet's AvailableIpAddressCount.</summary>
    public async Task SaveAsync(IStoreTransaction tx, Scope scope, DateTime now, CancellationToken ct = default)
    {
        await tx.PutAsync(scope, DocumentType, Subnet.Id, new Document { CidrBlock = Subnet.CidrBlock, Used = Bitmap.ToBase64() }, now, ct).ConfigureAwait(false);
        Subnet.AvailableIpAddressCount = Bitmap.Free;
        await tx.PutAsync(scope, ResourceTypes.Subnet, Subnet.Id, Subnet, now, ct).ConfigureAwait(false);
    }

    /// <summary>Removes a deleted subnet's allocator.</summary>
    public static Task DeleteAsync(IStoreTransaction tx, Scope scope, string subnetId, CancellationToken ct = default) =>
        tx.DeleteAsync(scope, DocumentType, subnetId, ct);

    public static AwsException InsufficientAddresses() =>
        new("InsufficientFreeAddressesInSubnet", "The specified subnet does not have enough free addresses to satisfy the request.");

    /// <summary>The stored form: the subnet's block and a bitmap of its usable addresses.</summary>
    public sealed class Document
    {
        public required string CidrBlock { get; init; }
        public required string Used { get; init; }
    }
}
