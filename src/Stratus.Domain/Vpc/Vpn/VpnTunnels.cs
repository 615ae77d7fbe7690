using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Vpc.Vpn;

/// <summary>What ModifyVpnTunnelOptions may change; null keeps the current value.</summary>
public sealed record VpnTunnelOptionsSpec(
    string? TunnelInsideCidr = null,
    string? PreSharedKey = null,
    int? Phase1LifetimeSeconds = null,
    int? Phase2LifetimeSeconds = null,
    int? DpdTimeoutSeconds = null,
    string? DpdTimeoutAction = null,
    string? StartupAction = null,
    IReadOnlyList<string>? IkeVersions = null,
    IReadOnlyList<string>? Phase1EncryptionAlgorithms = null,
    IReadOnlyList<string>? Phase1IntegrityAlgorithms = null,
    IReadOnlyList<int>? Phase1DhGroupNumbers = null,
    IReadOnlyList<string>? Phase2EncryptionAlgorithms = null,
    IReadOnlyList<string>? Phase2IntegrityAlgorithms = null,
    IReadOnlyList<int>? Phase2DhGroupNumbers = null,
    int? RekeyMarginTimeSeconds = null,
    int? RekeyFuzzPercentage = null,
    int? ReplayWindowSize = null,
    bool? EnableTunnelLifecycleControl = null,
    string? TunnelInsideIpv6Cidr = null);

/// <summary>A device AWS has sample configurations for (GetVpnConnectionDeviceTypes).</summary>
public sealed record VpnDeviceType(string Id, string Vendor, string Platform, string Software);

/// <summary>The algorithms a tunnel negotiates (the first of each configured list, or AWS's defaults).</summary>
public sealed record VpnTunnelParameters(string IkeVersion, string Phase1Encryption, string Phase1Integrity, int Phase1DhGroup, string Phase2Encryption, string Phase2Integrity, int Phase2DhGroup);

/// <summary>
/// Tunnel-level operations of site-to-site VPN connections: options, tunnel options and
/// certificates, endpoint replacement and its status, the parameters a tunnel runs with, and
/// sample configurations of the customer device, generated from the connection's tunnel data.
/// </summary>
public static class VpnTunnels
{
    private static readonly string[] EncryptionAlgorithms = ["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"];
    private static readonly string[] IntegrityAlgorithms = ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"];
    private static readonly int[] Phase1Groups = [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
    private static readonly int[] Phase2Groups = [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];

    /// <summary>The devices sample configurations exist for.</summary>
    public static IReadOnlyList<VpnDeviceType> DeviceTypes { get; } = new (string Vendor, string Platform, string Software)[]
    {
        ("Generic", "Generic", "Vendor Agnostic"),
        ("Cisco Systems, Inc.", "ASA 5500 Series", "ASA 9.7+ VTI"),
        ("Cisco Systems, Inc.", "ISR Series Routers", "IOS 12.4+"),
        ("Fortinet", "Fortigate 40+ Series", "FortiOS 6.4.4+ (GUI)"),
        ("Juniper Networks, Inc.", "J-Series Routers", "JunOS 9.5+"),
        ("Juniper Networks, Inc.", "SRX Routers", "JunOS 11.0+"),
        ("Mikrotik", "RouterOS", "6.44.3"),
        ("Palo Alto Networks", "PA Series", "PANOS 7.0+"),
        ("pfSense", "pfSense", "pfsense 2.2.5+(GUI)"),
        ("Strongswan", "Ubuntu 16.04", "Strongswan 5.5.1+"),
        ("Ubiquiti", "EdgeRouter Lite", "EdgeOS v1.10.7"),
    }.Select(d => new VpnDeviceType(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{d.Vendor}/{d.Platform}/{d.Software}")), 0, 4), d.Vendor, d.Platform, d.Software))
     .OrderBy(d => d.Vendor, StringComparer.Ordinal).ThenBy(d => d.Platform, StringComparer.Ordinal)
     .ToList();

    /// <summary>ModifyVpnConnectionOptions: the traffic selectors and the tunnel bandwidth (<c>modifying</c> → <c>available</c>).</summary>
    public static async Task<VpnConnectionResource> ModifyOptionsAsync(
        IStoreTransaction tx, Scope scope, string? id, string? localIpv4, string? remoteIpv4, string? localIpv6, string? remoteIpv6, string? bandwidth, DateTime now, CancellationToken ct)
    {
        var connection = await Vpn.RequireConnectionAsync(tx, scope, id, now, ct).ConfigureAwait(false);
        if (localIpv6 is not null || remoteIpv6 is not null)
        {
            throw AwsErrors.InvalidParameterValue("IPv6 traffic selectors need an IPv6 VPN connection; this one carries IPv4.");
        }
        if (localIpv4 is null && remoteIpv4 is null && bandwidth is null)
        {
            throw AwsErrors.MissingParameter("LocalIpv4NetworkCidr, RemoteIpv4NetworkCidr or TunnelBandwidth");
        }
        Vpn.OneOf(bandwidth, "TunnelBandwidth", "standard", "large");
        if (bandwidth == "large" && connection.TransitGatewayId is null)
        {
            throw AwsErrors.InvalidParameterValue("Large bandwidth tunnels are available only for VPN connections to a transit gateway.");
        }
        TransitGateways.TransitGateways.RequireState(connection.Id, connection.State, "available");
        connection.LocalIpv4NetworkCidr = localIpv4 is null ? connection.LocalIpv4NetworkCidr : Vpn.CheckNetworkCidr(localIpv4, "LocalIpv4NetworkCidr");
        connection.RemoteIpv4NetworkCidr = remoteIpv4 is null ? connection.RemoteIpv4NetworkCidr : Vpn.CheckNetworkCidr(remoteIpv4, "RemoteIpv4NetworkCidr");
        connection.TunnelBandwidth = bandwidth ?? connection.TunnelBandwidth;
        return await SaveModifyingAsync(tx, scope, connection, now, ct).ConfigureAwait(false);
    }

    /// <summary>ModifyVpnTunnelOptions: the tunnel named by its outside address gets the given options, checked as AWS checks them.</summary>
    public static async Task<VpnConnectionResource> ModifyTunnelOptionsAsync(
        IStoreTransaction tx, Scope scope, string? id, string? outsideIp, VpnTunnelOptionsSpec? options, DateTime now, CancellationToken ct)
    {
        if (options is null)
        {
            throw AwsErrors.MissingParameter("TunnelOptions");
        }
        var (connection, tunnel) = await RequireTunnelAsync(tx, scope, id, outsideIp, now, ct).ConfigureAwait(false);
        if (options.TunnelInsideIpv6Cidr is not null)
        {
            throw AwsErrors.InvalidParameterValue("TunnelInsideIpv6Cidr needs an IPv6 VPN connection; this one carries IPv4.");
        }
        if (options.TunnelInsideCidr is { } inside)
        {
            Vpn.CheckInsideCidr(inside);
            if (connection.Tunnels.Exists(t => t != tunnel && t.InsideCidr == inside))
            {
                throw AwsErrors.InvalidParameterValue($"The tunnel inside CIDR {inside} is used by the other tunnel of {connection.Id}.");
            }
        }
        if (options.PreSharedKey is { } key)
        {
            Vpn.CheckPreSharedKey(key);
        }
        var phase1 = Vpn.CheckRange(options.Phase1LifetimeSeconds, 900, 28800, "Phase1LifetimeSeconds") ?? tunnel.Phase1LifetimeSeconds ?? 28800;
        var phase2 = Vpn.CheckRange(options.Phase2LifetimeSeconds, 900, 3600, "Phase2LifetimeSeconds") ?? tunnel.Phase2LifetimeSeconds ?? 3600;
        if (phase2 >= phase1)
        {
            throw AwsErrors.InvalidParameterValue("Phase2LifetimeSeconds must be less than Phase1LifetimeSeconds.");
        }
        Vpn.CheckRange(options.DpdTimeoutSeconds, 30, int.MaxValue, "DPDTimeoutSeconds");
        Vpn.OneOf(options.DpdTimeoutAction, "DPDTimeoutAction", "clear", "none", "restart");
        Vpn.OneOf(options.StartupAction, "StartupAction", "add", "start");
        Vpn.CheckRange(options.RekeyFuzzPercentage, 0, 100, "RekeyFuzzPercentage");
        Vpn.CheckRange(options.ReplayWindowSize, 64, 2048, "ReplayWindowSize");
        var margin = Vpn.CheckRange(options.RekeyMarginTimeSeconds, 60, phase2 / 2, "RekeyMarginTimeSeconds");
        var ike = Values(options.IkeVersions, "IKEVersions", ["ikev1", "ikev2"]);
        var p1e = Values(options.Phase1EncryptionAlgorithms, "Phase1EncryptionAlgorithms", EncryptionAlgorithms);
        var p1i = Values(options.Phase1IntegrityAlgorithms, "Phase1IntegrityAlgorithms", IntegrityAlgorithms);
        var p2e = Values(options.Phase2EncryptionAlgorithms, "Phase2EncryptionAlgorithms", EncryptionAlgorithms);
        var p2i = Values(options.Phase2IntegrityAlgorithms, "Phase2IntegrityAlgorithms", IntegrityAlgorithms);
        var p1g = Groups(options.Phase1DhGroupNumbers, "Phase1DHGroupNumbers", Phase1Groups);
        var p2g = Groups(options.Phase2DhGroupNumbers, "Phase2DHGroupNumbers", Phase2Groups);
        TransitGateways.TransitGateways.RequireState(connection.Id, connection.State, "available");

        tunnel.InsideCidr = options.TunnelInsideCidr ?? tunnel.InsideCidr;
        tunnel.PreSharedKey = options.PreSharedKey ?? tunnel.PreSharedKey;
        tunnel.Phase1LifetimeSeconds = options.Phase1LifetimeSeconds ?? tunnel.Phase1LifetimeSeconds;
        tunnel.Phase2LifetimeSeconds = options.Phase2LifetimeSeconds ?? tunnel.Phase2LifetimeSeconds;
        tunnel.DpdTimeoutSeconds = options.DpdTimeoutSeconds ?? tunnel.DpdTimeoutSeconds;
        tunnel.DpdTimeoutAction = options.DpdTimeoutAction ?? tunnel.DpdTimeoutAction;
        tunnel.StartupAction = options.StartupAction ?? tunnel.StartupAction;
        tunnel.IkeVersions = ike ?? tunnel.IkeVersions;
        tunnel.Phase1EncryptionAlgorithms = p1e ?? tunnel.Phase1EncryptionAlgorithms;
        tunnel.Phase1IntegrityAlgorithms = p1i ?? tunnel.Phase1IntegrityAlgorithms;
        tunnel.Phase1DhGroupNumbers = p1g ?? tunnel.Phase1DhGroupNumbers;
        tunnel.Phase2EncryptionAlgorithms = p2e ?? tunnel.Phase2EncryptionAlgorithms;
        tunnel.Phase2IntegrityAlgorithms = p2i ?? tunnel.Phase2IntegrityAlgorithms;
        tunnel.Phase2DhGroupNumbers = p2g ?? tunnel.Phase2DhGroupNumbers;
        tunnel.RekeyMarginTimeSeconds = margin ?? tunnel.RekeyMarginTimeSeconds;
        tunnel.RekeyFuzzPercentage = options.RekeyFuzzPercentage ?? tunnel.RekeyFuzzPercentage;
        tunnel.ReplayWindowSize = options.ReplayWindowSize ?? tunnel.ReplayWindowSize;
        tunnel.EnableTunnelLifecycleControl = options.EnableTunnelLifecycleControl ?? tunnel.EnableTunnelLifecycleControl;
        return await SaveModifyingAsync(tx, scope, connection, now, ct).ConfigureAwait(false);
    }

    /// <summary>ModifyVpnTunnelCertificate: rotates the AWS-side certificate of a tunnel whose customer gateway authenticates with a certificate.</summary>
    public static async Task<VpnConnectionResource> RotateCertificateAsync(IStoreTransaction tx, Scope scope, string? id, string? outsideIp, DateTime now, CancellationToken ct)
    {
        var (connection, tunnel) = await RequireTunnelAsync(tx, scope, id, outsideIp, now, ct).ConfigureAwait(false);
        var customer = await tx.GetAsync<CustomerGatewayResource>(scope, ResourceTypes.CustomerGateway, connection.CustomerGatewayId, ct).ConfigureAwait(false);
        if (customer?.CertificateArn is null)
        {
            throw AwsErrors.InvalidParameterValue($"The VPN connection {connection.Id} does not use certificate-based authentication.");
        }
        TransitGateways.TransitGateways.RequireState(connection.Id, connection.State, "available");
        tunnel.CertificateRotatedAt = now;
        return await SaveModifyingAsync(tx, scope, connection, now, ct).ConfigureAwait(false);
    }

    /// <summary>ReplaceVpnTunnel: the tunnel's endpoint is replaced now (with any pending maintenance).</summary>
    public static async Task ReplaceAsync(IStoreTransaction tx, Scope scope, string? id, string? outsideIp, DateTime now, CancellationToken ct)
    {
        var (connection, tunnel) = await RequireTunnelAsync(tx, scope, id, outsideIp, now, ct).ConfigureAwait(false);
        TransitGateways.TransitGateways.RequireState(connection.Id, connection.State, "available");
        tunnel.LastMaintenanceApplied = now;
        await tx.PutAsync(scope, ResourceTypes.VpnConnection, connection.Id, connection, connection.CreationTime, ct).ConfigureAwait(false);
    }

    /// <summary>The connection and its tunnel with the given outside address; an unknown address is InvalidParameterValue.</summary>
    public static async Task<(VpnConnectionResource Connection, VpnTunnel Tunnel)> RequireTunnelAsync(
        IStoreSession session, Scope scope, string? id, string? outsideIp, DateTime now, CancellationToken ct)
    {
        var connection = await Vpn.RequireConnectionAsync(session, scope, id, now, ct).ConfigureAwait(false);
        if (string.IsNullOrEmpty(outsideIp))
        {
            throw AwsErrors.MissingParameter("VpnTunnelOutsideIpAddress");
        }
        var tunnel = connection.Tunnels.Find(t => t.OutsideIpAddress == outsideIp)
            ?? throw AwsErrors.InvalidParameterValue($"The VPN tunnel outside IP address {outsideIp} does not belong to {connection.Id}.");
        if (connection.State is "deleting" or "deleted")
        {
            throw new AwsException("IncorrectState", $"{connection.Id} is in invalid state");
        }
        return (connection, tunnel);
    }

    /// <summary>What the tunnel negotiates: the first configured value of each list, AWS's defaults otherwise.</summary>
    public static VpnTunnelParameters Parameters(VpnTunnel tunnel)
    {
        ArgumentNullException.ThrowIfNull(tunnel);
        return new VpnTunnelParameters(
            tunnel.IkeVersions.Count > 0 ? (tunnel.IkeVersions.Contains("ikev2") ? "ikev2" : tunnel.IkeVersions[0]) : "ikev2",
            tunnel.Phase1EncryptionAlgorithms.FirstOrDefault() ?? "AES128",
            tunnel.Phase1IntegrityAlgorithms.FirstOrDefault() ?? "SHA1",
            tunnel.Phase1DhGroupNumbers.Count > 0 ? tunnel.Phase1DhGroupNumbers[0] : 2,
            tunnel.Phase2EncryptionAlgorithms.FirstOrDefault() ?? "AES128",
            tunnel.Phase2IntegrityAlgorithms.FirstOrDefault() ?? "SHA1",
            tunnel.Phase2DhGroupNumbers.Count > 0 ? tunnel.Phase2DhGroupNumbers[0] : 2);
    }

    /// <summary>
    /// GetVpnConnectionDeviceSampleConfiguration: the configuration of the customer device for
    /// both tunnels of <paramref name="connection"/> (strongSwan's ipsec.conf and ipsec.secrets,
    /// Cisco ASA CLI, or a vendor-agnostic listing), IKE version <paramref name="ikeVersion"/>.
    /// </summary>
    public static string SampleConfiguration(VpnConnectionResource connection, CustomerGatewayResource? customer, long amazonSideAsn, string? deviceTypeId, string? ikeVersion)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (string.IsNullOrEmpty(deviceTypeId))
        {
            throw AwsErrors.MissingParameter("VpnConnectionDeviceTypeId");
        }
        var device = DeviceTypes.FirstOrDefault(d => d.Id == deviceTypeId)
            ?? throw AwsErrors.InvalidParameterValue($"The VPN connection device type {deviceTypeId} does not exist.");
        var ike = Vpn.OneOf(ikeVersion, "InternetKeyExchangeVersion", "ikev1", "ikev2") ?? "ikev1";
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"! Amazon Web Services\n! Virtual Private Cloud\n!\n! AWS utilizes unique identifiers to manipulate the configuration of a VPN connection.\n");
        s.Append(CultureInfo.InvariantCulture, $"! Your VPN Connection ID           : {connection.Id}\n");
        s.Append(CultureInfo.InvariantCulture, $"! Your Virtual Private Gateway ID  : {connection.VpnGatewayId ?? connection.TransitGatewayId}\n");
        s.Append(CultureInfo.InvariantCulture, $"! Your Customer Gateway ID         : {connection.CustomerGatewayId}\n");
        s.Append(CultureInfo.InvariantCulture, $"!\n! Device: {device.Vendor} {device.Platform} ({device.Software}), {ike.ToUpperInvariant()}\n");
        s.Append(CultureInfo.InvariantCulture, $"! Routing: {(connection.StaticRoutesOnly ? "static" : "BGP")}\n!\n");
        var cgw = customer?.IpAddress ?? "";
        for (var i = 0; i < connection.Tunnels.Count; i++)
        {
            var t = connection.Tunnels[i];
            var block = Ipv4Cidr.Parse(t.InsideCidr);
            var awsInside = Ipv4.Format(block.Network + 1);
            var cgwInside = Ipv4.Format(block.Network + 2);
            var p = Parameters(t);
            var n = (i + 1).ToString(CultureInfo.InvariantCulture);
            switch (device.Vendor)
            {
                case "Strongswan":
                    s.Append(CultureInfo.InvariantCulture, $"# /etc/ipsec.conf\nconn Tunnel{n}\n\tauto=start\n\tleft=%defaultroute\n\tleftid={cgw}\n\tright={t.OutsideIpAddress}\n");
                    s.Append(CultureInfo.InvariantCulture, $"\ttype=tunnel\n\tleftauth=psk\n\trightauth=psk\n\tkeyexchange={ike}\n");
                    s.Append(CultureInfo.InvariantCulture, $"\tike={Cipher(p.Phase1Encryption)}-{Hash(p.Phase1Integrity)}-{DhName(p.Phase1DhGroup)}\n\tikelifetime={t.Phase1LifetimeSeconds ?? 28800}s\n");
                    s.Append(CultureInfo.InvariantCulture, $"\tesp={Cipher(p.Phase2Encryption)}-{Hash(p.Phase2Integrity)}-{DhName(p.Phase2DhGroup)}\n\tlifetime={t.Phase2LifetimeSeconds ?? 3600}s\n");
                    s.Append(CultureInfo.InvariantCulture, $"\tdpddelay=10s\n\tdpdtimeout={t.DpdTimeoutSeconds ?? 30}s\n\tdpdaction=restart\n\tmark=100{n}\n\tleftupdown=\"/etc/ipsec.d/aws-updown.sh -ln Tunnel{n} -ll {cgwInside}/30 -lr {awsInside}/30 -m 100{n} -r {connection.RemoteIpv4NetworkCidr}\"\n\n");
                    s.Append(CultureInfo.InvariantCulture, $"# /etc/ipsec.secrets\n{cgw} {t.OutsideIpAddress} : PSK \"{t.PreSharedKey}\"\n\n");
                    break;
                case "Cisco Systems, Inc." when device.Platform.StartsWith("ASA", StringComparison.Ordinal):
                    s.Append(CultureInfo.InvariantCulture, $"! IPSec Tunnel #{n}\ncrypto {ike} policy 20{n}\n  encryption {Cipher(p.Phase1Encryption)}\n  integrity {Hash(p.Phase1Integrity)}\n  group {p.Phase1DhGroup}\n  lifetime seconds {t.Phase1LifetimeSeconds ?? 28800}\n");
                    s.Append(CultureInfo.InvariantCulture, $"tunnel-group {t.OutsideIpAddress} type ipsec-l2l\ntunnel-group {t.OutsideIpAddress} ipsec-attributes\n  {ike} remote-authentication pre-shared-key {t.PreSharedKey}\n  {ike} local-authentication pre-shared-key {t.PreSharedKey}\n  isakmp keepalive threshold 10 retry 10\n");
                    s.Append(CultureInfo.InvariantCulture, $"interface Tunnel{n}\n  nameif Tunnel-int-{connection.Id}-{n}\n  ip address {cgwInside} 255.255.255.252\n  tunnel source interface outside\n  tunnel destination {t.OutsideIpAddress}\n  tunnel mode ipsec ipv4\n  tunnel protection ipsec profile PROFILE{n}\n  no shutdown\n");
                    if (!connection.StaticRoutesOnly)
                    {
                        s.Append(CultureInfo.InvariantCulture, $"router bgp {customer?.BgpAsn ?? 65000}\n  address-family ipv4 unicast\n    neighbor {awsInside} remote-as {amazonSideAsn}\n    neighbor {awsInside} timers 10 30 30\n    neighbor {awsInside} activate\n");
                    }
                    s.Append("!\n");
                    break;
                default:
                    s.Append(CultureInfo.InvariantCulture, $"! IPSec Tunnel #{n}\n! #1: Internet Key Exchange (IKE) Configuration\n");
                    s.Append(CultureInfo.InvariantCulture, $"  - IKE version              : {ike}\n  - Authentication Method    : Pre-Shared Key\n  - Pre-Shared Key           : {t.PreSharedKey}\n");
                    s.Append(CultureInfo.InvariantCulture, $"  - Authentication Algorithm : {p.Phase1Integrity}\n  - Encryption Algorithm     : {p.Phase1Encryption}\n  - Lifetime                 : {t.Phase1LifetimeSeconds ?? 28800} seconds\n  - DH Group                 : {p.Phase1DhGroup}\n");
                    s.Append(CultureInfo.InvariantCulture, $"! #2: IPSec Configuration\n  - Protocol                 : esp\n  - Authentication Algorithm : {p.Phase2Integrity}\n  - Encryption Algorithm     : {p.Phase2Encryption}\n  - Lifetime                 : {t.Phase2LifetimeSeconds ?? 3600} seconds\n  - Mode                     : tunnel\n  - Perfect Forward Secrecy  : DH group {p.Phase2DhGroup}\n");
                    s.Append(CultureInfo.InvariantCulture, $"! #3: Tunnel Interface Configuration\nOutside IP Addresses:\n  - Customer Gateway         : {cgw}\n  - Virtual Private Gateway  : {t.OutsideIpAddress}\nInside IP Addresses\n  - Customer Gateway         : {cgwInside}/30\n  - Virtual Private Gateway  : {awsInside}/30\n");
                    s.Append(CultureInfo.InvariantCulture, $"! #4: {(connection.StaticRoutesOnly ? "Static Route Configuration" : "Border Gateway Protocol (BGP) Configuration")}\n");
                    s.Append(connection.StaticRoutesOnly
                        ? string.Create(CultureInfo.InvariantCulture, $"  - Route traffic for {connection.RemoteIpv4NetworkCidr} through the tunnel interface\n\n")
                        : string.Create(CultureInfo.InvariantCulture, $"  - Customer Gateway ASN     : {customer?.BgpAsn ?? 65000}\n  - Virtual Private Gateway ASN : {amazonSideAsn}\n  - Neighbor IP Address      : {awsInside}\n  - Neighbor Hold Time       : 30\n\n"));
                    break;
            }
        }
        return s.ToString();
    }

    private static string Cipher(string algorithm) => algorithm.ToLowerInvariant().Replace("-gcm-16", "gcm16", StringComparison.Ordinal);

    private static string Hash(string algorithm) => algorithm switch
    {
        "SHA1" => "sha1",
        "SHA2-256" => "sha256",
        "SHA2-384" => "sha384",
        "SHA2-512" => "sha512",
        _ => algorithm.ToLowerInvariant(),
    };

    private static string DhName(int group) => group switch
    {
        2 => "modp1024",
        5 => "modp1536",
        14 => "modp2048",
        15 => "modp3072",
        16 => "modp4096",
        17 => "modp6144",
        18 => "modp8192",
        19 => "ecp256",
        20 => "ecp384",
        21 => "ecp521",
        22 => "modp1024s160",
        23 => "modp2048s224",
        24 => "modp2048s256",
        _ => "modp1024",
    };

    private static List<string>? Values(IReadOnlyList<string>? values, string parameter, string[] allowed)
    {
        if (values is null)
        {
            return null;
        }
        foreach (var value in values)
        {
            Vpn.OneOf(value, parameter, allowed);
        }
        return values.Distinct(StringComparer.Ordinal).ToList();
    }

    private static List<int>? Groups(IReadOnlyList<int>? values, string parameter, int[] allowed)
    {
        if (values is null)
        {
            return null;
        }
        foreach (var value in values.Where(v => !allowed.Contains(v)))
        {
            throw AwsErrors.InvalidParameterValue(string.Create(CultureInfo.InvariantCulture,
                $"Value ({value}) for parameter {parameter} is invalid. Valid values: {string.Join(", ", allowed)}."));
        }
        return values.Distinct().ToList();
    }

    private static async Task<VpnConnectionResource> SaveModifyingAsync(IStoreTransaction tx, Scope scope, VpnConnectionResource connection, DateTime now, CancellationToken ct)
    {
        Provisioning.Begin(connection, "modifying", "available", now);
        await tx.PutAsync(scope, ResourceTypes.VpnConnection, connection.Id, connection, connection.CreationTime, ct).ConfigureAwait(false);
        return connection;
    }
}
