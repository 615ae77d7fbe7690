using System.Text.Json.Serialization;
using Stratus.Domain.Resources;

namespace Stratus.Domain.SecurityGroups;

/// <summary>
/// A security group of a VPC. Its rules are separate documents (<see cref="SecurityGroupRuleResource"/>,
/// type <c>security-group-rule</c>) so each rule has its own id and tags.
/// </summary>
public sealed class SecurityGroupResource : ITaggable
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public required string GroupName { get; init; }
    public required string Description { get; init; }
    public required string VpcId { get; init; }
    public List<Tag> Tags { get; init; } = [];

    /// <summary>Every VPC's group named "default", which cannot be deleted.</summary>
    [JsonIgnore]
    public bool IsDefault => GroupName == SecurityGroups.DefaultGroupName;
}

/// <summary>
/// One security group rule: a direction, a protocol with its port range (or ICMP type and code),
/// and exactly one peer — an IPv4 CIDR, an IPv6 CIDR, a prefix list or a security group. Protocols
/// are stored normalised: <c>tcp</c>, <c>udp</c>, <c>icmp</c>, <c>icmpv6</c>, <c>-1</c> (all) or
/// another protocol number; ports are null where the protocol has none. CIDRs are canonical
/// (host bits cleared).
/// </summary>
public sealed class SecurityGroupRuleResource : ITaggable
{
    public required string Id { get; init; }
    public required string GroupId { get; init; }
    public required string GroupOwnerId { get; init; }
    public required bool IsEgress { get; init; }
    public required string IpProtocol { get; set; }

    /// <summary>First port (TCP/UDP) or ICMP type; -1 for all ICMP types; null when the protocol has no ports.</summary>
    public int? FromPort { get; set; }

    /// <summary>Last port (TCP/UDP) or ICMP code; -1 for all ICMP codes; null when the protocol has no ports.</summary>
    public int? ToPort { get; set; }

    public string? CidrIpv4 { get; set; }
    public string? CidrIpv6 { get; set; }
    public string? PrefixListId { get; set; }
    public string? ReferencedGroupId { get; set; }

    /// <summary>The referenced group's name (group names never change), kept for the group-name filters.</summary>
    public string? ReferencedGroupName { get; set; }

    public string? ReferencedUserId { get; set; }
    public string? Description { get; set; }
    public List<Tag> Tags { get; init; } = [];

    /// <summary>What makes two rules the same rule: direction, protocol, ports and peer (not the description).</summary>
    [JsonIgnore]
    public RuleKey Key => new(IsEgress, IpProtocol, FromPort, ToPort, Peer);

    /// <summary>The peer as one string: the CIDR, the prefix list id or the group id.</summary>
    [JsonIgnore]
    public string Peer => CidrIpv4 ?? CidrIpv6 ?? PrefixListId ?? ReferencedGroupId ?? "";
}

/// <summary>The identity of a rule within its group.</summary>
public readonly record struct RuleKey(bool IsEgress, string IpProtocol, int? FromPort, int? ToPort, string Peer);

/// <summary>What a rule's peer is.</summary>
public enum PeerKind
{
    CidrIpv4,
    CidrIpv6,
    PrefixList,
    Group,
}

/// <summary>One peer of a requested permission, as the client gave it.</summary>
/// <param name="Value">The CIDR, prefix list id or group id (null for a group given by name).</param>
public sealed record PeerSpec(PeerKind Kind, string? Value, string? Description = null, string? UserId = null, string? GroupName = null);

/// <summary>A requested permission: a protocol and ports applying to one or more peers (one rule each).</summary>
public sealed record PermissionSpec(string? IpProtocol, int? FromPort, int? ToPort, IReadOnlyList<PeerSpec> Peers);

/// <summary>The new content of a rule changed by ModifySecurityGroupRules.</summary>
public sealed record RuleUpdateSpec(string RuleId, PermissionSpec Permission);

/// <summary>
/// A rule as a packet filter needs it: direction, IANA protocol number (null = every protocol),
/// port range for TCP/UDP (null = all ports), ICMP type/code (null = any), and the peer.
/// </summary>
public sealed record EffectiveRule(
    string RuleId,
    bool IsEgress,
    int? ProtocolNumber,
    int? FromPort,
    int? ToPort,
    int? IcmpType,
    int? IcmpCode,
    PeerKind PeerKind,
    string Peer,
    string? PeerOwnerId);
