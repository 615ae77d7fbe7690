using Stratus.Domain.Instances;

namespace Stratus.Runtime.Network;

/// <summary>Addresses and names of the server's own services inside a VPC (load balancer nodes).</summary>
public sealed partial class LinuxHostNetwork
{
    private readonly Dictionary<string, (List<string> Addresses, List<string> Names)> _services = new(StringComparer.Ordinal);

    public async Task<ServiceNamespace?> SetServiceAddressesAsync(string accountId, string region, string vpcId, IReadOnlyList<string> addresses,
        IReadOnlyList<KeyValuePair<string, string>> names, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(names);
        var wantedAddresses = addresses.Select(a => Ipv4.Format(Ipv4.Parse(a))).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var wantedNames = names.Select(n => $"{Ipv4.Format(Ipv4.Parse(n.Value))} {CheckName(n.Key)}").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var key = VpcNetworkRecord.VpcKey(accountId, region, vpcId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (wantedAddresses.Count == 0 && wantedNames.Count == 0)
            {
                _services.Remove(key);
            }
            else
            {
                _services[key] = (wantedAddresses, wantedNames);
            }
            if (!_vpcs.TryGetValue(key, out var vpc) || !File.Exists(NamespacePath(vpc.Namespace)))
            {
                return null;
            }
            if (!vpc.ServiceAddresses.SequenceEqual(wantedAddresses, StringComparer.Ordinal) || !vpc.ServiceNames.SequenceEqual(wantedNames, StringComparer.Ordinal))
            {
                vpc.ServiceAddresses = wantedAddresses;
                vpc.ServiceNames = wantedNames;
                Save(vpc);
                await ApplyAsync(vpc, restartDhcp: false, cancellationToken).ConfigureAwait(false);
            }
            var path = NamespacePath(vpc.Namespace);
            return NetworkNamespace.Identity(path) is { } identity ? new ServiceNamespace(identity, endpoint => NetworkNamespace.BindTcp(path, endpoint)) : null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A DNS name as dnsmasq's hosts file takes it (letters, digits, dots and hyphens).</summary>
    private static string CheckName(string name)
    {
        if (name.Length is 0 or > 253 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))
        {
            throw new ArgumentException($"'{name}' is not a DNS name", nameof(name));
        }
        return name;
    }
}
