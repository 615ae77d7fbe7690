using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Stratus.Core;
using Stratus.Domain.Resources;

namespace Stratus.Domain.SecurityGroups;

/// <summary>
/// EC2's input rules for security groups and their rules: names and descriptions (up to 255
/// characters of <c>a-zA-Z0-9. _-:/()#,@[]+=&amp;;{}!$*</c>, names not starting with <c>sg-</c>),
/// protocols (names or numbers, normalised), port ranges and ICMP type/code, and CIDRs
/// (canonicalised: host bits cleared, as AWS does).
/// </summary>
public static class RuleValidation
{
    public const int MaxLength = 255;
    private const string AllowedPunctuation = ". _-:/()#,@[]+=&;{}!$*";
    private const string CharsetText = "a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*";

    private static bool IsAllowed(string value) =>
        value.Length <= MaxLength && value.All(c => char.IsAsciiLetterOrDigit(c) || AllowedPunctuation.Contains(c, StringComparison.Ordinal));

    public static string CheckGroupName(string name)
    {
        if (name.Length == 0)
        {
            throw AwsErrors.InvalidParameterValue("Value () for parameter GroupName is invalid. The value cannot be empty");
        }
        if (!IsAllowed(name))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({name}) for parameter GroupName is invalid. Valid names are strings of up to {MaxLength} characters from the following set: {CharsetText}");
        }
        if (name.StartsWith("sg-", StringComparison.OrdinalIgnoreCase))
        {
            throw AwsErrors.InvalidParameterValue($"Value ({name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.");
        }
        return name;
    }

    public static string CheckGroupDescription(string description)
    {
        if (description.Length == 0)
        {
            throw AwsErrors.InvalidParameterValue("Value () for parameter GroupDescription is invalid. The value cannot be empty");
        }
        if (!IsAllowed(description))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid security group description. Valid descriptions are strings of up to {MaxLength} characters from the following set: {CharsetText}");
        }
        return description;
    }

    /// <summary>A rule description; empty means none.</summary>
    public static string? CheckRuleDescription(string? description)
    {
        if (string.IsNullOrEmpty(description))
        {
            return null;
        }
        if (!IsAllowed(description))
        {
            throw AwsErrors.InvalidParameterValue($"Invalid rule description. Valid descriptions are strings less than 256 characters from the following set: {CharsetText}");
        }
        return description;
    }

    /// <summary>
    /// The normalised protocol and its ports: TCP/UDP need both ports (0–65535, from ≤ to; -1 and -1
    /// mean all ports); ICMP/ICMPv6 take a type and code (-1 = all; code -1 when type is -1); any
    /// other protocol covers all ports, so ports are dropped.
    /// </summary>
    public static (string Protocol, int? FromPort, int? ToPort) CheckProtocolAndPorts(string? protocol, int? fromPort, int? toPort)
    {
        var normalized = NormalizeProtocol(protocol);
        switch (normalized)
        {
            case "tcp" or "udp":
                if (fromPort is null || toPort is null)
                {
                    throw AwsErrors.InvalidParameterValue("Invalid value for portRange. Must specify both from and to ports with TCP/UDP.");
                }
                if (fromPort == -1 && toPort == -1)
                {
                    return (normalized, 0, 65535);
                }
                if (fromPort is < 0 or > 65535 || toPort is < 0 or > 65535)
                {
                    throw AwsErrors.InvalidParameterValue($"Invalid value for portRange. Ports must be between 0 and 65535 (from port {fromPort}, to port {toPort}).");
                }
                if (fromPort > toPort)
                {
                    throw AwsErrors.InvalidParameterValue($"Invalid value for portRange. The from port ({fromPort}) must not be greater than the to port ({toPort}).");
                }
                return (normalized, fromPort, toPort);
            case "icmp" or "icmpv6":
                var type = fromPort ?? -1;
                var code = toPort ?? -1;
                if (type is < -1 or > 255)
                {
                    throw AwsErrors.InvalidParameterValue($"Invalid value '{type}' for ICMP type. It must be between -1 and 255.");
                }
                if (code is < -1 or > 255)
                {
                    throw AwsErrors.InvalidParameterValue($"Invalid value '{code}' for ICMP code. It must be between -1 and 255.");
                }
                if (type == -1 && code != -1)
                {
                    throw AwsErrors.InvalidParameterValue($"Invalid value for portRange. ICMP code ({code}) must be -1 when the ICMP type is -1 (all types).");
                }
                return (normalized, type, code);
            default:
                return (normalized, null, null);
        }
    }

    /// <summary>tcp, udp, icmp, icmpv6, -1 (all; also "all"), or another protocol number 0–255.</summary>
    public static string NormalizeProtocol(string? protocol)
    {
        if (string.IsNullOrEmpty(protocol))
        {
            throw AwsErrors.MissingParameter("ipProtocol");
        }
        var lower = protocol.ToLowerInvariant();
        switch (lower)
        {
            case "tcp" or "udp" or "icmp" or "icmpv6" or "-1":
                return lower;
            case "all":
                return "-1";
        }
        if (int.TryParse(lower, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 255)
        {
            return number switch
            {
                6 => "tcp",
                17 => "udp",
                1 => "icmp",
                58 => "icmpv6",
                _ => number.ToString(CultureInfo.InvariantCulture),
            };
        }
        throw AwsErrors.InvalidParameterValue($"Invalid value '{protocol}' for IP protocol. Unknown protocol.");
    }

    /// <summary>The IANA protocol number of a normalised protocol; null for all protocols.</summary>
    public static int? ProtocolNumber(string protocol) => protocol switch
    {
        "-1" => null,
        "tcp" => 6,
        "udp" => 17,
        "icmp" => 1,
        "icmpv6" => 58,
        _ => int.Parse(protocol, CultureInfo.InvariantCulture),
    };

    /// <summary>An IPv4 CIDR in canonical form (host bits cleared).</summary>
    public static string CanonicalIpv4Cidr(string cidr, string parameter = "cidrIp") =>
        CanonicalCidr(cidr, AddressFamily.InterNetwork, parameter);

    /// <summary>An IPv6 CIDR in canonical form (host bits cleared, compressed, lowercase).</summary>
    public static string CanonicalIpv6Cidr(string cidr, string parameter = "cidrIpv6") =>
        CanonicalCidr(cidr, AddressFamily.InterNetworkV6, parameter);

    private static string CanonicalCidr(string cidr, AddressFamily family, string parameter)
    {
        var invalid = AwsErrors.InvalidParameterValue($"Value ({cidr}) for parameter {parameter} is invalid. This is not a valid CIDR block.");
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw invalid;
        }
        var addressText = cidr[..slash];
        var maxPrefix = family == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > maxPrefix)
        {
            throw invalid;
        }
        // IPAddress.TryParse also accepts shorthand such as "10.1"; EC2 wants four dotted decimals.
        if (family == AddressFamily.InterNetwork && (addressText.Split('.').Length != 4 || addressText.Split('.').Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit))))
        {
            throw invalid;
        }
        if (addressText.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(addressText, out var address) || address.AddressFamily != family)
        {
            throw invalid;
        }
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bitsInByte = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bitsInByte));
        }
        return new IPAddress(bytes) + "/" + prefix.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A prefix list id: <c>pl-</c> and hex digits.</summary>
    public static string CheckPrefixListId(string id)
    {
        if (!ResourceIds.IsWellFormed("pl", id) && !(id.StartsWith("pl-", StringComparison.Ordinal) && id.Length > 3 && id[3..].All(char.IsAsciiHexDigitLower)))
        {
            throw new AwsException("InvalidPrefixListId.Malformed", $"The prefix list ID '{id}' is malformed.");
        }
        return id;
    }

    /// <summary>How AWS names a rule in its duplicate-rule message.</summary>
    public static string Describe(SecurityGroupRuleResource rule)
    {
        var protocol = rule.IpProtocol == "-1" ? "ALL" : rule.IpProtocol.ToUpperInvariant();
        var ports = rule.IpProtocol switch
        {
            "tcp" or "udp" => $", from port: {rule.FromPort}, to port: {rule.ToPort}",
            "icmp" or "icmpv6" => $", type: {rule.FromPort}, code: {rule.ToPort}",
            _ => "",
        };
        return $"peer: {rule.Peer}, {protocol}{ports}, ALLOW";
    }
}
