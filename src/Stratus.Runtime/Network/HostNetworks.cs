using Stratus.Runtime.Host;

namespace Stratus.Runtime.Network;

/// <summary>The host networks the real-guest runtimes can use.</summary>
public static class HostNetworks
{
    /// <summary>
    /// VPC networking on this Linux host (root, iproute2, nftables, dnsmasq). State is recorded
    /// under <c>&lt;StateDirectory&gt;/network/</c>; call <see cref="IHostNetwork.InitializeAsync"/>
    /// before anything else. <paramref name="log"/> receives what it repairs or cannot clean up;
    /// <paramref name="debug"/>, when given, per-step timings and command counts of firewall applies.
    /// </summary>
    public static IHostNetwork Linux(HostRuntimeOptions options, Action<string>? log = null, Action<string>? debug = null) => new LinuxHostNetwork(options, log, debug);
}
