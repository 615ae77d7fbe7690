using Microsoft.AspNetCore.Builder;
using Stratus.Domain.Accounts;
using Stratus.Domain.Store;
using Stratus.Runtime;
using Stratus.Store.Sqlite;

namespace Stratus.Server.Tests;

/// <summary>
/// A real Stratus server in this process: Kestrel on a free loopback port, SQLite in a temporary
/// directory, signatures required. Tests talk to it over HTTP like any client.
/// </summary>
public sealed class LiveServer : IAsyncLifetime
{
    private WebApplication? _app;
    private IStateStore? _store;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "stratus-tests-" + Guid.NewGuid().ToString("N"));
    public Uri Endpoint { get; private set; } = null!;
    public AccountCredentials Root { get; private set; } = null!;
    public AccountService Accounts { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            DataDirectory = DataDirectory,
            AwsConfigDirectory = null,
        };
        _store = SqliteStateStore.Open(new SqliteStoreOptions(options.DatabasePath));
        _app = await StratusHost.CreateAsync(options, _store, InstanceRuntimes.Mock(), TextWriter.Null);
        await _app.StartAsync();
        Endpoint = new Uri(_app.Urls.First() + "/");
        Accounts = new AccountService(_store, TimeProvider.System);
        Root = (await Accounts.BootstrapAsync()).Credentials;
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
