using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Stratus.Domain.Store;
using Stratus.Store.Sqlite;

namespace Stratus.Store.Tests;

/// <summary>
/// Entry point of the test assembly when it runs as a child process of the crash and
/// cross-process tests (test runners load the assembly without calling it). Every mode goes
/// through <see cref="SqliteStateStore"/>, like the server or the CLI would.
/// </summary>
internal static class Program
{
    public const string CommitLoop = "commit-loop";
    /// <summary>As <see cref="CommitLoop"/>, with commits fsync'd by the store's background flush (<see cref="SqliteStoreOptions.FlushDelay"/>).</summary>
    public const string CommitLoopFlushedLater = "commit-loop-flushed-later";
    public const string Increment = "increment";
    public const string Account = "123456789012";
    public const string Region = "us-east-1";
    public const string CounterType = "counter";
    public const string CounterId = "shared";

    /// <summary>
    /// <c>commit-loop DB PREFIX COUNT</c>: commits COUNT transactions, each putting one ~2 KB
    /// resource, and prints each resource id on its own line once its commit returned.
    /// <c>increment DB PREFIX COUNT</c>: COUNT read-modify-write transactions, each adding one
    /// to the shared counter resource and putting a marker resource, printed once committed.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 4 || !int.TryParse(args[3], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            await Console.Error.WriteLineAsync("usage: (commit-loop|commit-loop-flushed-later|increment) DB PREFIX COUNT");
            return 2;
        }

        var (mode, path, prefix) = (args[0], args[1], args[2]);
        await using var store = SqliteStateStore.Open(new SqliteStoreOptions(path)
        {
            FlushDelay = mode == CommitLoopFlushedLater ? TimeSpan.FromMilliseconds(200) : null,
        });
        await store.InitializeAsync();
        switch (mode)
        {
            case CommitLoop or CommitLoopFlushedLater:
                for (var i = 0; i < count; i++)
                {
                    var id = Id(prefix, i);
                    await using (var tx = await store.BeginWriteAsync())
                    {
                        await tx.PutAsync(new StoredResource(Key("instance", id), Document(id), DateTime.UtcNow));
                        await tx.CommitAsync();
                    }

                    await Console.Out.WriteLineAsync(id);
                    await Console.Out.FlushAsync();
                }

                return 0;
            case Increment:
                for (var i = 0; i < count; i++)
                {
                    var id = Id(prefix, i);
                    await IncrementAsync(store, id);
                    await Console.Out.WriteLineAsync(id);
                    await Console.Out.FlushAsync();
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync($"unknown mode '{mode}'");
                return 2;
        }
    }

    public static ResourceKey Key(string type, string id) => new(Account, Region, type, id);

    public static string Id(string prefix, int i) => prefix + i.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>A JSON document of about 2 KB.</summary>
    public static string Document(string id)
    {
        var builder = new StringBuilder(2100);
        builder.Append(CultureInfo.InvariantCulture, $"{{\"instanceId\":\"{id}\",\"tags\":[");
        for (var i = 0; builder.Length < 2000; i++)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{{\"Key\":\"tag-{i:D3}\",\"Value\":\"value-{i:D3}-abcdefghij\"}},");
        }

        builder.Append("{}]}");
        return builder.ToString();
    }

    /// <summary>
    /// One read-modify-write transaction on the shared counter, plus a marker resource; the
    /// transaction is held open for <paramref name="hold"/> before it commits.
    /// </summary>
    public static async Task IncrementAsync(IStateStore store, string markerId, TimeSpan hold = default)
    {
        await using var tx = await store.BeginWriteAsync();
        var counter = await tx.GetAsync(Key(CounterType, CounterId));
        var value = counter is null ? 0 : int.Parse(counter.Document, CultureInfo.InvariantCulture);
        await tx.PutAsync(new StoredResource(Key(CounterType, CounterId), (value + 1).ToString(CultureInfo.InvariantCulture), DateTime.UtcNow));
        await tx.PutAsync(new StoredResource(Key("marker", markerId), "{}", DateTime.UtcNow));
        if (hold > TimeSpan.Zero)
        {
            await Task.Delay(hold);
        }

        await tx.CommitAsync();
    }

    /// <summary>Starts this assembly as a child process with the given arguments.</summary>
    public static Process StartChild(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(Program).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the child process");
    }

    private static string DotnetHost()
    {
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        // The runtime lives in <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, name);
        return File.Exists(candidate) ? candidate : name;
    }
}
