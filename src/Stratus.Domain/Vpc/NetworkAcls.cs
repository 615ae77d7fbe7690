using System.Globalization;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc;

/// <summary>An ACL entry as requested (CreateNetworkAclEntry / ReplaceNetworkAclEntry).</summary>
public sealed record AclEntrySpec(
    int RuleNumber,
    string Protocol,
    string RuleAction,
    bool Egress,
    string? CidrBlock,
    string? Ipv6CidrBlock,
    int? FromPort,
    int? ToPort,
    int? IcmpType,
    int? IcmpCode);

/// <summary>Network ACLs, their numbered entries and subnet associations with EC2's rules.</summary>
public static class NetworkAcls
{
    public const int MinRuleNumber = 1, MaxRuleNumber = 32766;

    public static NetworkAclResource New(Scope scope, VpcResource vpc, List<Tag> tags) => new()
    {
        Id = ResourceIds.New(ResourceTypes.NetworkAcl.IdPrefix),
        OwnerId = scope.AccountId,
        VpcId = vpc.Id,
        Entries =
        [
            new AclEntry { RuleNumber = 32767, Protocol = "-1", RuleAction = "deny", Egress = false, CidrBlock = "0.0.0.0/0" },
            new AclEntry { RuleNumber = 32767, Protocol = "-1", RuleAction = "deny", Egress = true, CidrBlock = "0.0.0.0/0" },
        ],
        Tags = tags,
    };

    /// <summary>DeleteNetworkAcl: never the VPC's default ACL, and not while subnets use it.</summary>
    public static async Task DeleteAsync(IStoreTransaction tx, Scope scope, string? aclId, CancellationToken ct)
    {
        var acl = await Vpcs.RequireAsync<NetworkAclResource>(tx, scope, ResourceTypes.NetworkAcl, aclId, ct).ConfigureAwait(false);
        if (acl.IsDefault)
        {
            throw AwsErrors.InvalidParameterValue($"cannot delete default network ACL {acl.Id}");
        }
        if (acl.Associations.Count > 0)
        {
            throw new AwsException("DependencyViolation", $"The networkAcl '{acl.Id}' has dependencies and cannot be deleted.");
        }
        await tx.DeleteAsync(scope, ResourceTypes.NetworkAcl, acl.Id, ct).ConfigureAwait(false);
    }

    /// <summary>CreateNetworkAclEntry (<paramref name="replace"/> false) or ReplaceNetworkAclEntry (true).</summary>
    public static async Task PutEntryAsync(IStoreTransaction tx, Scope scope, string? aclId, AclEntrySpec spec, bool replace, DateTime now, CancellationToken ct)
    {
        var acl = await Vpcs.RequireAsync<NetworkAclResource>(tx, scope, ResourceTypes.NetworkAcl, aclId, ct).ConfigureAwait(false);
        var entry = Validate(spec);
        var index = acl.Entries.FindIndex(e => e.RuleNumber == entry.RuleNumber && e.Egress == entry.Egress);
        if (!replace && index >= 0)
        {
            throw new AwsException("NetworkAclEntryAlreadyExists", $"The network acl entry identified by {entry.RuleNumber} already exists.");
        }
        if (replace && index < 0)
        {
            throw new AwsException("InvalidNetworkAclEntry.NotFound", $"The network acl entry identified by {entry.RuleNumber} does not exist.");
        }
        if (replace)
        {
            acl.Entries[index] = entry;
        }
        else
        {
            acl.Entries.Add(entry);
        }
        Sort(acl);
        await tx.PutAsync(scope, ResourceTypes.NetworkAcl, acl.Id, acl, now, ct).ConfigureAwait(false);
    }

    /// <summary>DeleteNetworkAclEntry: a numbered entry of the given direction.</summary>
    public static async Task DeleteEntryAsync(IStoreTransaction tx, Scope scope, string? aclId, int ruleNumber, bool egress, DateTime now, CancellationToken ct)
    {
        var acl = await Vpcs.RequireAsync<NetworkAclResource>(tx, scope, ResourceTypes.NetworkAcl, aclId, ct).ConfigureAwait(false);
        CheckRuleNumber(ruleNumber);
        if (acl.Entries.RemoveAll(e => e.RuleNumber == ruleNumber && e.Egress == egress) == 0)
        {
            throw new AwsException("InvalidNetworkAclEntry.NotFound", $"The network acl entry identified by {ruleNumber} does not exist.");
        }
        await tx.PutAsync(scope, ResourceTypes.NetworkAcl, acl.Id, acl, now, ct).ConfigureAwait(false);
    }

    /// <summary>ReplaceNetworkAclAssociation: moves a subnet's association to another ACL of its VPC.</summary>
    public static async Task<string> ReplaceAssociationAsync(IStoreTransaction tx, Scope scope, string? associationId, string? aclId, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(associationId))
        {
            throw AwsErrors.MissingParameter("associationId");
        }
        var target = await Vpcs.RequireAsync<NetworkAclResource>(tx, scope, ResourceTypes.NetworkAcl, aclId, ct).ConfigureAwait(false);
        var acls = await tx.ListAsync<NetworkAclResource>(scope, ResourceTypes.NetworkAcl, ct).ConfigureAwait(false);
        var current = acls.Find(a => a.Associations.Exists(x => x.Id == associationId))
            ?? throw new AwsException("InvalidAssociationID.NotFound", $"The association ID '{associationId}' does not exist");
        if (current.VpcId != target.VpcId)
        {
            throw AwsErrors.InvalidParameterValue($"Network ACL {target.Id} and association {associationId} belong to different networks");
        }
        var link = current.Associations.Find(x => x.Id == associationId)!;
        current.Associations.Remove(link);
        var moved = new AclLink { Id = ResourceIds.New("aclassoc"), SubnetId = link.SubnetId };
        if (current.Id == target.Id)
        {
            current.Associations.Add(moved);
        }
        else
        {
            target.Associations.Add(moved);
            await tx.PutAsync(scope, ResourceTypes.NetworkAcl, target.Id, target, now, ct).ConfigureAwait(false);
        }
        await tx.PutAsync(scope, ResourceTypes.NetworkAcl, current.Id, current, now, ct).ConfigureAwait(false);
        return moved.Id;
    }

    private static void CheckRuleNumber(int ruleNumber)
    {
        if (ruleNumber is < MinRuleNumber or > MaxRuleNumber)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({ruleNumber}) for parameter ruleNumber is invalid. Expecting a value between {MinRuleNumber} and {MaxRuleNumber}.");
        }
    }

    private static AclEntry Validate(AclEntrySpec spec)
    {
        CheckRuleNumber(spec.RuleNumber);
        var protocol = spec.Protocol.ToLowerInvariant() switch
        {
            "all" or "-1" => "-1",
            "tcp" => "6",
            "udp" => "17",
            "icmp" => "1",
            "icmpv6" => "58",
            var p when int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 255 => n.ToString(CultureInfo.InvariantCulture),
            _ => throw AwsErrors.InvalidParameterValue($"Value ({spec.Protocol}) for parameter protocol is invalid. Expecting a protocol number or name."),
        };
        if (spec.RuleAction is not ("allow" or "deny"))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({spec.RuleAction}) for parameter ruleAction is invalid.");
        }
        if ((spec.CidrBlock is null) == (spec.Ipv6CidrBlock is null))
        {
            throw spec.CidrBlock is null
                ? AwsErrors.MissingParameter("cidrBlock or ipv6CidrBlock")
                : AwsErrors.InvalidParameterCombination("Only one of cidrBlock and ipv6CidrBlock may be specified.");
        }
        string? cidr = null, ipv6 = null;
        if (spec.CidrBlock is not null)
        {
            var text = spec.CidrBlock;
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0 || !Ipv4.TryParse(text[..slash], out var address)
                || !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({text}) for parameter cidrBlock is invalid. This is not a valid CIDR block.");
            }
            var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
            cidr = new Ipv4Cidr(address & mask, prefix).ToString();
        }
        else
        {
            if (!System.Net.IPNetwork.TryParse(spec.Ipv6CidrBlock!, out var network) || network.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw AwsErrors.InvalidParameterValue($"Value ({spec.Ipv6CidrBlock}) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.");
            }
            ipv6 = network.ToString();
        }
        int? from = null, to = null, icmpType = null, icmpCode = null;
        if (protocol is "6" or "17")
        {
            if (spec.FromPort is null || spec.ToPort is null)
            {
                throw AwsErrors.MissingParameter("portRange");
            }
            if (spec.FromPort is < 0 or > 65535 || spec.ToPort is < 0 or > 65535 || spec.FromPort > spec.ToPort)
            {
                throw AwsErrors.InvalidParameterValue($"Invalid port range {spec.FromPort}-{spec.ToPort}. Ports must be between 0 and 65535 and from must not exceed to.");
            }
            (from, to) = (spec.FromPort, spec.ToPort);
        }
        else if (protocol is "1" or "58")
        {
            if (spec.IcmpType is null || spec.IcmpCode is null)
            {
                throw AwsErrors.MissingParameter("icmpTypeCode");
            }
            if (spec.IcmpType is < -1 or > 255 || spec.IcmpCode is < -1 or > 255)
            {
                throw AwsErrors.InvalidParameterValue($"Invalid ICMP type {spec.IcmpType} or code {spec.IcmpCode}.");
            }
            (icmpType, icmpCode) = (spec.IcmpType, spec.IcmpCode);
        }
        return new AclEntry
        {
            RuleNumber = spec.RuleNumber,
            Protocol = protocol,
            RuleAction = spec.RuleAction,
            Egress = spec.Egress,
            CidrBlock = cidr,
            Ipv6CidrBlock = ipv6,
            FromPort = from,
            ToPort = to,
            IcmpType = icmpType,
            IcmpCode = icmpCode,
        };
    }

    private static void Sort(NetworkAclResource acl) =>
        acl.Entries.Sort((a, b) => a.Egress != b.Egress ? a.Egress.CompareTo(b.Egress) : a.RuleNumber.CompareTo(b.RuleNumber));
}
