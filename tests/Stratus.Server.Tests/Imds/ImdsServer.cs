using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Stratus.Domain.Accounts;
using Stratus.Domain.Instances;
using Stratus.Domain.Store;
using Stratus.Runtime;
using Stratus.Server.Imds;
using Stratus.Server.Tests.Ec2;
using Stratus.Store.Sqlite;

namespace Stratus.Server.Tests.Imds;

/// <summary>
/// The mock runtime, plus caller resolution for the metadata service: tests bind a loopback
/// address (127.0.0.x) to an instance and connect from it, as a guest's address identifies it
/// under a real runtime.
/// </summary>
internal sealed class LoopbackCallerRuntime(IInstanceRuntime inner) : IInstanceRuntime
{
    private readonly ConcurrentDictionary<IPAddress, MetadataCaller> _callers = new();

    public void Bind(IPAddress guestAddress, MetadataCaller caller) => _callers[guestAddress] = caller;

    public string Name => inner.Name;

    public MetadataCaller? ResolveMetadataCaller(IPAddress localAddress, IPAddress remoteAddress)
    {
        return IPAddress.IsLoopback(localAddress) && _callers.TryGetValue(remoteAddress, out var caller) ? caller : null;
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);
    public Task StartAsync(InstanceBoot boot, CancellationToken cancellationToken) => inner.StartAsync(boot, cancellationToken);
    public Task ResumeAsync(InstanceBoot boot, CancellationToken cancellationToken) => inner.ResumeAsync(boot, cancellationToken);
    public Task StopAsync(string instanceId, bool force, CancellationToken cancellationToken) => inner.StopAsync(instanceId, force, cancellationToken);
    public Task RebootAsync(string instanceId, CancellationToken cancellationToken) => inner.RebootAsync(instanceId, cancellationToken);
    public Task TerminateAsync(string instanceId, CancellationToken cancellationToken) => inner.TerminateAsync(instanceId, cancellationToken);
    public Task DeleteVolumeAsync(string volumeId, CancellationToken cancellationToken) => inner.DeleteVolumeAsync(volumeId, cancellationToken);
    public Task SetPublicIpAsync(string instanceId, string? publicIp, CancellationToken cancellationToken) => inner.SetPublicIpAsync(instanceId, publicIp, cancellationToken);

    public Task ApplyFirewallAsync(Stratus.Domain.Firewall.VpcFirewall firewall, CancellationToken cancellationToken) => inner.ApplyFirewallAsync(firewall, cancellationToken);
    public Task<string> GetConsoleOutputAsync(string instanceId, CancellationToken cancellationToken) => inner.GetConsoleOutputAsync(instanceId, cancellationToken);
    public GuestHealth? GetHealth(string instanceId) => inner.GetHealth(instanceId);
    public Task ShutdownAsync(CancellationToken cancellationToken) => inner.ShutdownAsync(cancellationToken);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>A live server with the metadata service on a free port and the loopback caller runtime.</summary>
public sealed class ImdsServer : IAsyncLifetime
{
    private WebApplication? _app;
    private IStateStore? _store;
    private int _nextAddress = 2;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "stratus-imds-tests-" + Guid.NewGuid().ToString("N"));
    public Uri Endpoint { get; private set; } = null!;
    public int MetadataPort { get; private set; }
    public AccountCredentials Root { get; private set; } = null!;

    /// <summary>The server's store, for tests that set up state directly.</summary>
    public IStateStore Store => _store!;
    internal LoopbackCallerRuntime Runtime { get; private set; } = null!;
    internal MetadataService Metadata => _app!.Services.GetRequiredService<MetadataService>();
    internal SessionCredentialIssuer Sessions => _app!.Services.GetRequiredService<SessionCredentialIssuer>();

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        MetadataPort = ServerOptions.FreeTcpPort();
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = DataDirectory,
            AwsConfigDirectory = null,
            MetadataPort = MetadataPort,
        };
        _store = SqliteStateStore.Open(new SqliteStoreOptions(options.DatabasePath));
        Runtime = new LoopbackCallerRuntime(InstanceRuntimes.Mock(new MockRuntimeOptions { BootTime = TimeSpan.FromMilliseconds(100), ShutdownTime = TimeSpan.FromMilliseconds(100) }));
        _app = await StratusHost.CreateAsync(options, _store, Runtime, TextWriter.Null);
        await _app.StartAsync();
        Endpoint = new Uri(_app.Urls.First(u => !u.EndsWith(":" + MetadataPort, StringComparison.Ordinal)) + "/");
        Root = (await new AccountService(_store, TimeProvider.System).BootstrapAsync()).Credentials;
    }

    internal Ec2TestClient Ec2() => new(Endpoint, Root.AccessKey.AccessKeyId, Root.AccessKey.SecretAccessKey);

    /// <summary>A fresh loopback address for a guest.</summary>
    public IPAddress NextGuestAddress() => IPAddress.Parse("127.0.0." + Interlocked.Increment(ref _nextAddress).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Binds a new guest address to the instance and returns a metadata client connecting from it.</summary>
    internal ImdsClient GuestOf(string instanceId)
    {
        var address = NextGuestAddress();
        Runtime.Bind(address, new MetadataCaller(Root.Account.AccountId, "us-east-1", instanceId));
        return new ImdsClient(address, MetadataPort);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        Directory.Delete(DataDirectory, recursive: true);
    }
}

/// <summary>An HTTP client that connects to the metadata port from a given loopback address, as a guest would.</summary>
internal sealed class ImdsClient : IDisposable
{
    private readonly HttpClient _http;

    public ImdsClient(IPAddress from, int port, string host = "127.0.0.1")
    {
        From = from;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri($"http://{host}:{port}") };
    }

    public IPAddress From { get; }

    public async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, response);
    }

    public async Task<string> TokenAsync(int ttl = 21600)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Put, "/latest/api/token", ("X-aws-ec2-metadata-token-ttl-seconds", ttl.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    public Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> GetAsync(string path, string? token = null) =>
        token is null ? SendAsync(HttpMethod.Get, path) : SendAsync(HttpMethod.Get, path, ("X-aws-ec2-metadata-token", token));

    /// <summary>A GET that must succeed; returns the body.</summary>
    public async Task<string> ReadAsync(string path, string? token)
    {
        var (status, body, _) = await GetAsync(path, token);
        Assert.True(status == HttpStatusCode.OK, $"GET {path}: {(int)status}");
        return body;
    }

    public void Dispose() => _http.Dispose();
}
