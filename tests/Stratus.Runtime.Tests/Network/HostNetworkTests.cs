using System.Net;
using System.Net.Sockets;
using Stratus.Domain.Instances;
using Stratus.Runtime.Host;
using Stratus.Runtime.Network;
using Xunit;
using Xunit.Abstractions;

namespace Stratus.Runtime.Tests.Network;

/// <summary>
/// Two VPCs with the same CIDR: VPC 1 has guests A (subnet 1, public address) and B (subnet 2),
/// VPC 2 has guest C with A's very private address. Guests are plain namespaces plugged in with veths.
/// </summary>
public sealed class TwoVpcs : IAsyncLifetime
{
    private readonly List<string> _guests = [];

    public LinuxHostNetwork Network { get; private set; } = null!;

    public TcpListener Metadata { get; private set; } = null!;

    public HostRuntimeOptions Options { get; private set; } = null!;

    public string Cidr { get; private set; } = "";

    public int Octet { get; private set; }

    public (string Id, string Ns, GuestNic Nic) A { get; private set; }

    public (string Id, string Ns, GuestNic Nic) B { get; private set; }

    public (string Id, string Ns, GuestNic Nic) C { get; private set; }

    internal VpcNetworkRecord Vpc1 => Network.Snapshot().Single(v => v.Nics.Any(n => n.InstanceId == A.Id));

    internal VpcNetworkRecord Vpc2 => Network.Snapshot().Single(v => v.Nics.Any(n => n.InstanceId == C.Id));

    public TimeSpan FirstAttach { get; private set; }

    public TimeSpan SecondAttach { get; private set; }

    public async Task InitializeAsync()
    {
        Net.RequireHost();
        var (listener, options, _) = Net.NewHost();
        Metadata = listener;
        Options = options;
        Network = new LinuxHostNetwork(options);
        await Network.InitializeAsync(new HashSet<string>(), CancellationToken.None);
        Octet = Net.RandomOctet();
        Cidr = $"10.{Octet}.0.0/16";
        string vpc1 = Net.VpcId(), vpc2 = Net.VpcId();
        var publicA = $"198.19.{Net.RandomOctet()}.{Net.RandomOctet()}";
        A = await Guest(vpc1, $"10.{Octet}.16.0/20", $"10.{Octet}.16.5", publicA);
        B = await Guest(vpc1, $"10.{Octet}.32.0/20", $"10.{Octet}.32.5", null);
        C = await Guest(vpc2, $"10.{Octet}.16.0/20", $"10.{Octet}.16.5", null);
    }

    private async Task<(string, string, GuestNic)> Guest(string vpcId, string subnet, string ip, string? publicIp)
    {
        var ns = Net.NewGuest(_guests);
        var nic = Net.Nic(vpcId, Cidr, subnet, ip, publicIp);
        var id = Net.InstanceId();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Network.AttachVethAsync("123456789012", "us-east-1", id, nic, "/run/netns/" + ns, configureAddress: true, CancellationToken.None);
        if (FirstAttach == TimeSpan.Zero)
        {
            FirstAttach = watch.Elapsed;
        }
        else if (SecondAttach == TimeSpan.Zero)
        {
            SecondAttach = watch.Elapsed;
        }
        return (id, ns, nic);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Network is not null)
            {
                await Network.ShutdownAsync(CancellationToken.None);
                await Network.DisposeAsync();
            }
        }
        finally
        {
            Net.DeleteGuests(_guests);
            Metadata?.Stop();
            Metadata?.Dispose();
            if (Options is not null)
            {
                Directory.Delete(Options.StateDirectory, recursive: true);
            }
        }
    }
}

public sealed class HostNetworkTests(TwoVpcs vpcs, ITestOutputHelper output) : IClassFixture<TwoVpcs>
{
    [Fact]
    public void Subnets_of_a_vpc_route_to_each_other()
    {
        output.WriteLine($"first attach (VPC namespace, uplink, dnsmasq + NIC): {vpcs.FirstAttach.TotalMilliseconds:F0} ms; attach in an existing VPC: {vpcs.SecondAttach.TotalMilliseconds:F0} ms");
        Assert.True(Net.Ping(vpcs.A.Ns, vpcs.B.Nic.PrivateIp));
        Assert.True(Net.Ping(vpcs.B.Ns, vpcs.A.Nic.PrivateIp));
        Assert.True(Net.Ping(vpcs.A.Ns, $"10.{vpcs.Octet}.16.1"), "the subnet's router answers");
    }

    [Fact]
    public void A_vpc_with_the_same_cidr_has_no_path_to_another()
    {
        Assert.NotEqual(vpcs.Vpc1.Namespace, vpcs.Vpc2.Namespace);
        // B's subnet does not exist in VPC 2: its packets go out the uplink and must not come into VPC 1.
        Assert.True(Net.PingFails(vpcs.C.Ns, vpcs.B.Nic.PrivateIp));
        Assert.True(Net.PingFails(vpcs.C.Ns, vpcs.Vpc1.NamespaceAddress));
        Assert.True(Net.PingFails(vpcs.B.Ns, vpcs.Vpc2.NamespaceAddress));
    }

    [Fact]
    public void The_host_reaches_a_guest_by_public_address_and_the_first_vpc_by_private_address()
    {
        Assert.True(Net.Ping(null, vpcs.A.Nic.PublicIp!));
        Assert.True(vpcs.Vpc1.MainRoute);
        Assert.False(vpcs.Vpc2.MainRoute);
        Assert.True(Net.Ping(null, vpcs.A.Nic.PrivateIp));
        Assert.True(Net.Ping(null, vpcs.B.Nic.PrivateIp));
    }

    [Fact]
    public async Task Outbound_connections_come_from_the_public_address_or_else_the_private_one()
    {
        var port = vpcs.Options.MetadataPort;
        var fromA = await Net.ConnectFromGuestAsync(vpcs.Metadata, vpcs.A.Ns, vpcs.Vpc1.HostAddress, port);
        Assert.NotNull(fromA);
        Assert.Equal(vpcs.A.Nic.PublicIp, Net.Address(fromA.Value.Remote));
        var fromB = await Net.ConnectFromGuestAsync(vpcs.Metadata, vpcs.B.Ns, vpcs.Vpc1.HostAddress, port);
        Assert.NotNull(fromB);
        Assert.Equal(vpcs.B.Nic.PrivateIp, Net.Address(fromB.Value.Remote));
    }

    [Fact]
    public async Task Metadata_connections_arrive_on_the_vpcs_uplink_address_from_the_private_address()
    {
        foreach (var (guest, vpc) in new[] { (vpcs.A, vpcs.Vpc1), (vpcs.C, vpcs.Vpc2) })
        {
            var seen = await Net.ConnectFromGuestAsync(vpcs.Metadata, guest.Ns, "169.254.169.254", 80);
            Assert.NotNull(seen);
            Assert.Equal(vpc.HostAddress, Net.Address(seen.Value.Local));
            Assert.Equal(guest.Nic.PrivateIp, Net.Address(seen.Value.Remote));
            var caller = vpcs.Network.ResolveMetadataCaller(seen.Value.Local.Address, seen.Value.Remote.Address);
            Assert.Equal(new MetadataCaller("123456789012", "us-east-1", guest.Id), caller);
        }
        Assert.Null(vpcs.Network.ResolveMetadataCaller(IPAddress.Loopback, IPAddress.Parse(vpcs.A.Nic.PrivateIp)));
    }

    [Fact]
    public void A_spoofed_source_address_is_dropped()
    {
        var spoofed = $"10.{vpcs.Octet}.16.99";
        Assert.True(Net.Sh($"ip -n {vpcs.A.Ns} addr add {spoofed}/32 dev eth0").Succeeded);
        try
        {
            Assert.True(Net.PingFails(vpcs.A.Ns, vpcs.B.Nic.PrivateIp, spoofed));
            Assert.True(Net.Ping(vpcs.A.Ns, vpcs.B.Nic.PrivateIp));
        }
        finally
        {
            Net.Sh($"ip -n {vpcs.A.Ns} addr del {spoofed}/32 dev eth0");
        }
    }

    [Fact]
    public async Task A_public_address_is_switched_live()
    {
        var publicB = $"198.19.{Net.RandomOctet()}.{Net.RandomOctet()}";
        await vpcs.Network.SetPublicIpAsync(vpcs.B.Id, publicB, CancellationToken.None);
        Assert.True(Net.Ping(null, publicB));
        await vpcs.Network.SetPublicIpAsync(vpcs.B.Id, null, CancellationToken.None);
        Assert.False(Net.Ping(null, publicB));
        Assert.False(Net.Sh($"ip route show {publicB}").StandardOutput.Trim().Length > 0);
    }
}

public sealed class HostNetworkLifecycleTests(ITestOutputHelper output)
{
    private const string Account = "123456789012";

    [Fact]
    public async Task A_guest_gets_its_address_router_and_dns_by_dhcp()
    {
        await using var host = Net.StartHost();
        var network = host.Network;
        var guests = host.Guests;
        var state = host.StateDirectory;
        var octet = Net.RandomOctet();
        var guest = Net.NewGuest(guests);
        var nic = Net.Nic(Net.VpcId(), $"10.{octet}.0.0/16", $"10.{octet}.48.0/20", $"10.{octet}.48.77");
        var instanceId = Net.InstanceId();
        var attachment = await network.AttachVethAsync(Account, "eu-west-1", instanceId, nic, "/run/netns/" + guest, configureAddress: false, CancellationToken.None);
        Assert.Equal($"10.{octet}.48.1", attachment.Gateway);
        Assert.Equal($"10.{octet}.0.2", attachment.DnsServer);
        Assert.Equal(20, attachment.PrefixLength);
        Assert.Equal("eth0", attachment.GuestDevice);

        var script = Path.Combine(state, "udhcpc.sh");
        var lease = Path.Combine(state, "lease");
        File.WriteAllText(script, $"#!/bin/sh\nif [ \"$1\" = bound ]; then\n  echo \"$ip $router $dns $subnet $hostname $domain\" > {lease}\n  busybox ip addr add $ip/$mask dev $interface\n  busybox ip route add default via $router\nfi\n");
        Assert.True(Net.Sh($"chmod 700 {script}").Succeeded);
        var dhcp = Net.Sh($"ip netns exec {guest} busybox udhcpc -i eth0 -n -q -t 5 -T 1 -s {script}");
        Assert.True(dhcp.Succeeded, dhcp.StandardError + dhcp.StandardOutput);
        Assert.Equal($"10.{octet}.48.77 10.{octet}.48.1 10.{octet}.0.2 255.255.240.0 ip-10-{octet}-48-77 eu-west-1.compute.internal", File.ReadAllText(lease).Trim());

        var lookup = Net.Sh($"ip netns exec {guest} busybox nslookup ip-10-{octet}-48-77.eu-west-1.compute.internal 10.{octet}.0.2");
        Assert.Contains($"10.{octet}.48.77", lookup.StandardOutput + lookup.StandardError);

        // The address goes to the next interface that gets it, whatever the old lease said (AWS reuses private addresses).
        var vpcId = nic.VpcId;
        var other = Net.NewGuest(guests);
        await network.AttachVethAsync(Account, "eu-west-1", Net.InstanceId(), Net.Nic(vpcId, nic.VpcCidr, nic.SubnetCidr, $"10.{octet}.48.78"), "/run/netns/" + other, configureAddress: true, CancellationToken.None);
        await network.DetachAsync(instanceId, CancellationToken.None);
        var again = Net.NewGuest(guests);
        await network.AttachVethAsync(Account, "eu-west-1", Net.InstanceId(), Net.Nic(vpcId, nic.VpcCidr, nic.SubnetCidr, nic.PrivateIp), "/run/netns/" + again, configureAddress: false, CancellationToken.None);
        File.Delete(lease);
        dhcp = Net.Sh($"ip netns exec {again} busybox udhcpc -i eth0 -n -q -t 5 -T 1 -s {script}");
        Assert.True(dhcp.Succeeded, dhcp.StandardError + dhcp.StandardOutput);
        Assert.StartsWith($"10.{octet}.48.77 ", File.ReadAllText(lease), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detach_and_shutdown_leave_nothing_behind()
    {
        await using var host = Net.StartHost();
        var network = host.Network;
        var guests = host.Guests;
        var options = host.Options;
        var octet = Net.RandomOctet();
        var vpcId = Net.VpcId();
        var cidr = $"10.{octet}.0.0/16";
        var first = Net.InstanceId();
        var second = Net.InstanceId();
        var g1 = Net.NewGuest(guests);
        var g2 = Net.NewGuest(guests);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await network.AttachVethAsync(Account, "us-east-1", first, Net.Nic(vpcId, cidr, $"10.{octet}.0.0/24", $"10.{octet}.0.10", $"198.19.{octet}.10"), "/run/netns/" + g1, true, CancellationToken.None);
        var vpcCreate = watch.Elapsed;
        watch.Restart();
        var tap = await network.AttachTapAsync(Account, "us-east-1", second, Net.Nic(vpcId, cidr, $"10.{octet}.1.0/24", $"10.{octet}.1.10"), CancellationToken.None);
        var tapAttach = watch.Elapsed;
        output.WriteLine($"VPC + first NIC: {vpcCreate.TotalMilliseconds:F0} ms; tap in existing VPC: {tapAttach.TotalMilliseconds:F0} ms");
        Assert.StartsWith("t-", tap.HostDevice, StringComparison.Ordinal);
        Assert.Null(tap.GuestDevice);
        Assert.True(Net.Sh($"ip -n {tap.Namespace} link show dev {tap.HostDevice} | grep -q 'master br0'").Succeeded);
        var records = network.Snapshot();

        // Plugged in again (a container rebooted into a new namespace): same VPC namespace and uplink, new port.
        await network.AttachVethAsync(Account, "us-east-1", first, Net.Nic(vpcId, cidr, $"10.{octet}.0.0/24", $"10.{octet}.0.10", $"198.19.{octet}.10"), "/run/netns/" + g2, true, CancellationToken.None);
        var after = network.Snapshot().Single();
        Assert.Equal(records.Single().Namespace, after.Namespace);
        Assert.Equal(records.Single().HostAddress, after.HostAddress);
        Assert.False(Net.Sh($"ip -n {g1} link show dev eth0").Succeeded);
        Assert.True(Net.Ping(null, $"198.19.{octet}.10"));

        watch.Restart();
        await network.DetachAsync(second, CancellationToken.None);
        output.WriteLine($"detach: {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.False(Net.Sh($"ip -n {tap.Namespace} link show dev {tap.HostDevice}").Succeeded);
        Assert.True(Net.Ping(null, $"198.19.{octet}.10"));
        await network.DetachAsync(first, CancellationToken.None);
        Assert.Equal([], Net.Leftovers(network, records));
        Assert.Empty(network.Snapshot());
        Assert.Empty(Directory.Exists(options.NetworkDirectory) ? Directory.GetFileSystemEntries(options.NetworkDirectory) : []);

        // Shutdown removes every VPC at once.
        var g3 = Net.NewGuest(guests);
        await network.AttachVethAsync(Account, "us-east-1", Net.InstanceId(), Net.Nic(Net.VpcId(), cidr, $"10.{octet}.0.0/24", $"10.{octet}.0.10"), "/run/netns/" + g3, true, CancellationToken.None);
        await network.AttachTapAsync(Account, "us-east-1", Net.InstanceId(), Net.Nic(Net.VpcId(), cidr, $"10.{octet}.0.0/24", $"10.{octet}.0.10", $"198.19.{octet}.11"), CancellationToken.None);
        records = network.Snapshot();
        Assert.Equal(2, records.Count);
        await network.ShutdownAsync(CancellationToken.None);
        Assert.Equal([], Net.Leftovers(network, records));
        Assert.False(Net.Sh($"ip -n {g3} link show dev eth0").Succeeded);
    }

    [Fact]
    public async Task A_restart_keeps_the_kept_instances_and_removes_the_others()
    {
        Net.RequireHost();
        var (listener, options, state) = Net.NewHost();
        var guests = new List<string>();
        var network = new LinuxHostNetwork(options);
        LinuxHostNetwork? restarted = null;
        try
        {
            var octet = Net.RandomOctet();
            var vpcId = Net.VpcId();
            var cidr = $"10.{octet}.0.0/16";
            var kept = Net.InstanceId();
            var gone = Net.InstanceId();
            var g1 = Net.NewGuest(guests);
            var g2 = Net.NewGuest(guests);
            var publicIp = $"198.19.{octet}.20";
            await network.AttachVethAsync(Account, "us-east-1", kept, Net.Nic(vpcId, cidr, $"10.{octet}.0.0/24", $"10.{octet}.0.20", publicIp), "/run/netns/" + g1, true, CancellationToken.None);
            var goneAttachment = await network.AttachVethAsync(Account, "us-east-1", gone, Net.Nic(vpcId, cidr, $"10.{octet}.0.0/24", $"10.{octet}.0.21", $"198.19.{octet}.21"), "/run/netns/" + g2, true, CancellationToken.None);
            var vpc = network.Snapshot().Single();
            var dnsmasq = network.DnsmasqPid(vpc);
            Assert.NotNull(dnsmasq);

            // A new process on the same state directory (the old one is simply abandoned, as in a crash).
            restarted = new LinuxHostNetwork(options);
            await restarted.InitializeAsync(new HashSet<string> { kept }, CancellationToken.None);

            Assert.True(Net.Ping(null, publicIp));
            Assert.True(Net.Ping(g1, $"10.{octet}.0.1"));
            Assert.False(Net.Sh($"ip -n {goneAttachment.Namespace} link show dev {goneAttachment.HostDevice}").Succeeded);
            Assert.False(Net.Sh($"ip route show {goneAttachment.Namespace}").StandardOutput.Contains($"198.19.{octet}.21", StringComparison.Ordinal));
            Assert.False(Net.Ping(null, $"198.19.{octet}.21"));
            Assert.Equal(dnsmasq, restarted.DnsmasqPid(restarted.Snapshot().Single()));
            Assert.Equal(kept, restarted.ResolveMetadataCaller(IPAddress.Parse(vpc.HostAddress), IPAddress.Parse($"10.{octet}.0.20"))?.InstanceId);
            Assert.Null(restarted.ResolveMetadataCaller(IPAddress.Parse(vpc.HostAddress), IPAddress.Parse($"10.{octet}.0.21")));

            await restarted.ShutdownAsync(CancellationToken.None);
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.ShutdownAsync(CancellationToken.None);
            }
            await network.ShutdownAsync(CancellationToken.None);
            Net.DeleteGuests(guests);
            listener.Dispose();
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task After_a_host_reboot_a_kept_microvms_vpc_and_tap_are_built_again()
    {
        Net.RequireHost();
        var (listener, options, state) = Net.NewHost();
        var network = new LinuxHostNetwork(options);
        LinuxHostNetwork? rebooted = null;
        try
        {
            var octet = Net.RandomOctet();
            var id = Net.InstanceId();
            var tap = await network.AttachTapAsync(Account, "us-east-1", id, Net.Nic(Net.VpcId(), $"10.{octet}.0.0/16", $"10.{octet}.0.0/24", $"10.{octet}.0.30", $"198.19.{octet}.30"), CancellationToken.None);
            var vpc = network.Snapshot().Single();
            // What a reboot takes away: namespaces, links, rules, routes, processes. The records stay.
            Assert.True(Net.Sh($"kill {network.DnsmasqPid(vpc)}; ip netns del {vpc.Namespace}; ip link del {vpc.UplinkDevice}; ip rule del from {vpc.HostAddress} lookup {vpc.RouteTable}; ip route flush table {vpc.RouteTable}").Succeeded);
            await Task.Delay(200);

            rebooted = new LinuxHostNetwork(options);
            await rebooted.InitializeAsync(new HashSet<string> { id }, CancellationToken.None);
            var again = rebooted.Snapshot().Single();
            Assert.Equal(vpc.Namespace, again.Namespace);
            Assert.True(Net.Sh($"ip -n {tap.Namespace} link show dev {tap.HostDevice} | grep -q 'master br0'").Succeeded);
            Assert.NotNull(rebooted.DnsmasqPid(again));
            Assert.True(Net.Ping(null, again.NamespaceAddress));
            Assert.True(Net.Sh($"ip route show 198.19.{octet}.30 | grep -q {again.UplinkDevice}").Succeeded);
            Assert.Equal(id, rebooted.ResolveMetadataCaller(IPAddress.Parse(again.HostAddress), IPAddress.Parse($"10.{octet}.0.30"))?.InstanceId);
            await rebooted.ShutdownAsync(CancellationToken.None);
            Assert.Equal([], Net.Leftovers(rebooted, [again]));
        }
        finally
        {
            if (rebooted is not null)
            {
                await rebooted.ShutdownAsync(CancellationToken.None);
            }
            await network.ShutdownAsync(CancellationToken.None);
            listener.Dispose();
            Directory.Delete(state, recursive: true);
        }
    }
}
