using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Stratus.Domain.Instances;
using Stratus.Runtime.Host;
using Stratus.Runtime.Network;
using Xunit;

namespace Stratus.Runtime.Tests.Network;

/// <summary>Host tools, guest namespaces and addresses for the host network tests (root, ip, nft, dnsmasq, busybox).</summary>
internal static class Net
{
    private static readonly string[] Tools = ["ip", "nft", "dnsmasq", "busybox", "nsenter"];

    /// <summary>Fails (never skips) when the host cannot run these tests.</summary>
    public static void RequireHost()
    {
        var uid = Sh("id -u").StandardOutput.Trim();
        Assert.True(uid == "0", "the host network tests need root");
        foreach (var tool in Tools)
        {
            Assert.True(Sh($"command -v {tool}").Succeeded, $"the host network tests need '{tool}' on PATH (scripts/install-deps.sh installs it)");
        }
    }

    public static CommandResult Sh(string script) => HostCommand.TryAsync("bash", ["-c", script]).GetAwaiter().GetResult();

    public static Task<CommandResult> ShAsync(string script) => HostCommand.TryAsync("bash", ["-c", script]);

    /// <summary>A plain network namespace standing in for a guest.</summary>
    public static string NewGuest(List<string> created)
    {
        var name = "sxg-" + Guid.NewGuid().ToString("N")[..8];
        Assert.True(Sh($"ip netns add {name} && ip -n {name} link set lo up").Succeeded);
        created.Add(name);
        return name;
    }

    public static void DeleteGuests(IEnumerable<string> guests)
    {
        foreach (var guest in guests)
        {
            Sh($"ip netns del {guest}");
        }
    }

    public static bool Ping(string? fromGuest, string address)
    {
        var prefix = fromGuest is null ? "" : $"ip netns exec {fromGuest} ";
        return Sh($"{prefix}busybox ping -c 1 -W 2 {address}").Succeeded;
    }

    public static bool PingFails(string fromGuest, string address, string? source = null)
    {
        var from = source is null ? "" : $"-I {source} ";
        return !Sh($"ip netns exec {fromGuest} busybox ping -c 1 -W 1 {from}{address}").Succeeded;
    }

    /// <summary>A random /16 in 10.0.0.0/8 (second octet 100–249) so parallel test runs do not collide.</summary>
    public static int RandomOctet() => Random.Shared.Next(100, 250);

    public static string Mac() => "02:" + string.Join(':', Enumerable.Range(0, 5).Select(_ => Random.Shared.Next(0, 256).ToString("x2", CultureInfo.InvariantCulture)));

    public static string InstanceId() => "i-" + Guid.NewGuid().ToString("N")[..17];

    public static GuestNic Nic(string vpcId, string vpcCidr, string subnetCidr, string privateIp, string? publicIp = null) =>
        new("eni-" + Guid.NewGuid().ToString("N")[..17], vpcId, vpcCidr, "subnet-" + Guid.NewGuid().ToString("N")[..17], subnetCidr, privateIp, Mac(), publicIp);

    public static string VpcId() => "vpc-" + Guid.NewGuid().ToString("N")[..17];

    /// <summary>A metadata listener on all host addresses with a free port, plus options using that port.</summary>
    public static (TcpListener Listener, HostRuntimeOptions Options, string StateDirectory) NewHost()
    {
        var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var state = Directory.CreateTempSubdirectory("stratus-net-").FullName;
        var options = new HostRuntimeOptions
        {
            StateDirectory = state,
            ImageDirectory = Path.Combine(state, "images"),
            MetadataPort = ((IPEndPoint)listener.LocalEndpoint).Port,
        };
        return (listener, options, state);
    }

    /// <summary>
    /// A host network for one test (root and the host tools required): a metadata listener, a state
    /// directory and a <see cref="LinuxHostNetwork"/> on them. Disposing it shuts the network down
    /// and removes the guests made through it, the listener and the directory.
    /// </summary>
    public static TestHost StartHost()
    {
        RequireHost();
        var (listener, options, state) = NewHost();
        return new TestHost(listener, options, state, new LinuxHostNetwork(options));
    }

    /// <summary>Connects from the guest to <paramref name="address"/>:<paramref name="port"/> and returns the (local, remote) endpoints the host's listener saw.</summary>
    public static async Task<(IPEndPoint Local, IPEndPoint Remote)?> ConnectFromGuestAsync(TcpListener listener, string guest, string address, int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var accept = listener.AcceptTcpClientAsync(timeout.Token).AsTask();
        var client = ShAsync($"echo hi | timeout 8 ip netns exec {guest} busybox nc -w 3 {address} {port}");
        try
        {
            using var connection = await accept;
            return ((IPEndPoint)connection.Client.LocalEndPoint!, (IPEndPoint)connection.Client.RemoteEndPoint!);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        finally
        {
            await client;
        }
    }

    public static string Address(IPEndPoint endPoint) =>
        (endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address).ToString();

    public static T Timed<T>(Func<T> action, out TimeSpan elapsed)
    {
        var watch = Stopwatch.StartNew();
        var result = action();
        elapsed = watch.Elapsed;
        return result;
    }

    /// <summary>What is left on the host of a VPC's records (empty when all is gone).</summary>
    public static List<string> Leftovers(LinuxHostNetwork network, IEnumerable<VpcNetworkRecord> vpcs)
    {
        var left = new List<string>();
        var rules = Sh("ip rule show").StandardOutput;
        foreach (var vpc in vpcs)
        {
            if (File.Exists("/run/netns/" + vpc.Namespace))
            {
                left.Add("namespace " + vpc.Namespace);
            }
            if (Sh($"ip link show dev {vpc.UplinkDevice}").Succeeded)
            {
                left.Add("link " + vpc.UplinkDevice);
            }
            if (rules.Contains($"lookup {vpc.RouteTable}", StringComparison.Ordinal))
            {
                left.Add("rule for table " + vpc.RouteTable);
            }
            if (Sh($"ip route show table {vpc.RouteTable}").StandardOutput.Trim().Length > 0)
            {
                left.Add("routes in table " + vpc.RouteTable);
            }
            if (Sh($"ip route show table all | grep -w {vpc.UplinkDevice}").Succeeded)
            {
                left.Add("routes via " + vpc.UplinkDevice);
            }
            if (Sh($"pgrep -f 'network/{vpc.Namespace}/dnsmasq.conf'").Succeeded)
            {
                left.Add("dnsmasq of " + vpc.Namespace);
            }
        }
        if (Sh($"nft list table inet {network.GuardTable}").Succeeded)
        {
            left.Add("nft table " + network.GuardTable);
        }
        return left;
    }
}

/// <summary>What <see cref="Net.StartHost"/> sets up; see there.</summary>
internal sealed class TestHost(TcpListener listener, HostRuntimeOptions options, string stateDirectory, LinuxHostNetwork network) : IAsyncDisposable
{
    public TcpListener Listener { get; } = listener;

    public HostRuntimeOptions Options { get; } = options;

    public string StateDirectory { get; } = stateDirectory;

    public LinuxHostNetwork Network { get; } = network;

    /// <summary>The guest namespaces to delete when the test is over (<see cref="Net.NewGuest"/> adds to it).</summary>
    public List<string> Guests { get; } = [];

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Network.ShutdownAsync(CancellationToken.None);
        }
        finally
        {
            Net.DeleteGuests(Guests);
            Listener.Dispose();
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}
