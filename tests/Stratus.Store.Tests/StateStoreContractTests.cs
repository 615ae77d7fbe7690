using System.Globalization;
using System.Text;
using Stratus.Domain.Store;
using Xunit;

namespace Stratus.Store.Tests;

/// <summary>
/// The behaviour every <see cref="IStateStore"/> implementation must have. An implementation's
/// test class derives from this one and says how to make empty storage and open a store on
/// it; each test gets fresh storage.
/// </summary>
public abstract partial class StateStoreContractTests : IAsyncLifetime
{
    protected const string AccountA = "111111111111";
    protected const string AccountB = "222222222222";
    protected const string Region = "us-east-1";

    /// <summary>A UTC instant with sub-millisecond ticks, to check exact round trips.</summary>
    protected static readonly DateTime T0 = new DateTime(2024, 5, 1, 12, 34, 56, DateTimeKind.Utc).AddTicks(1234567);

    private IStateStore? _store;

    /// <summary>The store under test, initialized.</summary>
    protected IStateStore Store => _store ?? throw new InvalidOperationException("The store is not open.");

    /// <summary>Creates new, empty storage for the current test. Called once per test.</summary>
    protected abstract Task CreateEmptyStorageAsync();

    /// <summary>
    /// Opens a new store over the current test's storage, not yet initialized. Called once per
    /// test and again for every reopen.
    /// </summary>
    protected abstract IStateStore OpenStore();

    /// <summary>Removes the current test's storage once every store on it is disposed.</summary>
    protected virtual Task DeleteStorageAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        await CreateEmptyStorageAsync();
        _store = OpenStore();
        await _store.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
            _store = null;
        }

        await DeleteStorageAsync();
    }

    /// <summary>Disposes the store and opens and initializes a new one on the same storage.</summary>
    protected async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        _store = null;
        var store = OpenStore();
        await store.InitializeAsync();
        _store = store;
    }

    protected static ResourceKey Key(string id, string type = "instance", string account = AccountA, string region = Region) =>
        new(account, region, type, id);

    protected static StoredResource Resource(string id, string type = "instance", string account = AccountA, string region = Region, string? document = null) =>
        new(Key(id, type, account, region), document ?? $$"""{"id":"{{id}}","type":"{{type}}"}""", T0);

    protected async Task WriteAsync(Func<IStoreTransaction, Task> work)
    {
        await using var transaction = await Store.BeginWriteAsync();
        await work(transaction);
        await transaction.CommitAsync();
    }

    protected async Task<T> ReadAsync<T>(Func<IStoreSession, Task<T>> read)
    {
        await using var session = await Store.OpenReadAsync();
        return await read(session);
    }

    private static async Task<T> WithTimeout<T>(Task<T> task, string what)
    {
        await WithTimeout((Task)task, what);
        return await task;
    }

    private static async Task WithTimeout(Task task, string what)
    {
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(finished == task, $"{what} did not complete within 10 s.");
        await task;
    }

    // ---- schema and lifetime ------------------------------------------------------------

    [Fact]
    public async Task Initialize_IsIdempotent_AndKeepsData()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-1")));

        await Store.InitializeAsync();

        Assert.NotNull(await ReadAsync(s => s.GetAsync(Key("i-1"))));
    }

    [Fact]
    public async Task Data_SurvivesReopen()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAccountAsync(new Account(AccountA, "alpha", T0));
            await tx.PutAccessKeyAsync(new AccessKey("AKIAAAAA", "secret", AccountA, T0));
            await tx.PutAsync(Resource("i-1"));
            await tx.PutIdempotencyRecordAsync(new IdempotencyRecord(new IdempotencyKey(AccountA, Region, "RunInstances", "tok"), "h", "r"u8.ToArray(), "text/xml", T0));
        });

        await ReopenAsync();

        await using var session = await Store.OpenReadAsync();
        Assert.Equal(new Account(AccountA, "alpha", T0), await session.FindAccountAsync(AccountA));
        Assert.Equal(new AccessKey("AKIAAAAA", "secret", AccountA, T0), await session.FindAccessKeyAsync("AKIAAAAA"));
        Assert.Equal(Resource("i-1"), await session.GetAsync(Key("i-1")));
        Assert.NotNull(await session.FindIdempotencyRecordAsync(new IdempotencyKey(AccountA, Region, "RunInstances", "tok")));
    }

    // ---- resources ------------------------------------------------------------------------

    [Fact]
    public async Task Get_Missing_ReturnsNull()
    {
        Assert.Null(await ReadAsync(s => s.GetAsync(Key("i-missing"))));
    }

    [Fact]
    public async Task Put_ThenGet_RoundTripsDocumentAndUtcTimestamp()
    {
        var resource = Resource("i-0abc", document: """{"state":"running","tags":[{"k":"v"}]}""");
        await WriteAsync(tx => tx.PutAsync(resource));

        var stored = await ReadAsync(s => s.GetAsync(resource.Key));

        Assert.NotNull(stored);
        Assert.Equal(resource, stored);
        Assert.Equal("i-0abc", stored.Id);
        Assert.Equal(T0.Ticks, stored.CreatedAt.Ticks);
        Assert.Equal(DateTimeKind.Utc, stored.CreatedAt.Kind);
    }

    [Fact]
    public async Task Timestamps_AreStoredInUtc_WhateverTheInputKind()
    {
        var local = T0.ToLocalTime();
        Assert.Equal(DateTimeKind.Local, local.Kind);
        var unspecified = DateTime.SpecifyKind(T0, DateTimeKind.Unspecified);
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("i-local") with { CreatedAt = local });
            await tx.PutAsync(Resource("i-unspecified") with { CreatedAt = unspecified });
        });

        await using var session = await Store.OpenReadAsync();
        foreach (var id in new[] { "i-local", "i-unspecified" })
        {
            var stored = await session.GetAsync(Key(id));
            Assert.NotNull(stored);
            Assert.Equal(DateTimeKind.Utc, stored.CreatedAt.Kind);
            Assert.Equal(T0.Ticks, stored.CreatedAt.Ticks);
        }
    }

    [Fact]
    public async Task Put_ExistingKey_ReplacesTheResource()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-1", document: """{"v":1}""")));
        var later = T0.AddMinutes(5);
        await WriteAsync(tx => tx.PutAsync(Resource("i-1", document: """{"v":2}""") with { CreatedAt = later }));

        var stored = await ReadAsync(s => s.GetAsync(Key("i-1")));
        var all = await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"));

        Assert.Equal("""{"v":2}""", stored?.Document);
        Assert.Equal(later, stored?.CreatedAt);
        Assert.Single(all);
    }

    [Fact]
    public async Task Delete_ReturnsWhetherTheResourceExisted()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-1")));

        bool first = false, second = true;
        await WriteAsync(async tx =>
        {
            first = await tx.DeleteAsync(Key("i-1"));
            second = await tx.DeleteAsync(Key("i-1"));
        });

        Assert.True(first);
        Assert.False(second);
        Assert.Null(await ReadAsync(s => s.GetAsync(Key("i-1"))));
    }

    [Fact]
    public async Task Keys_AreDistinctInEveryPart()
    {
        var keys = new[]
        {
            Key("x-1"),
            Key("x-1", type: "volume"),
            Key("x-1", account: AccountB),
            Key("x-1", region: "eu-west-1"),
            Key("x-1", region: ""),
        };
        await WriteAsync(async tx =>
        {
            foreach (var key in keys)
            {
                await tx.PutAsync(new StoredResource(key, $$"""{"k":"{{key}}"}""", T0));
            }
        });

        await using var session = await Store.OpenReadAsync();
        foreach (var key in keys)
        {
            var stored = await session.GetAsync(key);
            Assert.NotNull(stored);
            Assert.Equal(key, stored.Key);
            Assert.Equal($$"""{"k":"{{key}}"}""", stored.Document);
        }
    }

    [Fact]
    public async Task List_ReturnsOneTypeInOneAccountAndRegion_OrderedOrdinallyById()
    {
        string[] ids = ["i-9", "i-10", "i-1", "I-2", "i-0a", "i-0B", "vol-x"];
        await WriteAsync(async tx =>
        {
            foreach (var id in ids)
            {
                await tx.PutAsync(Resource(id));
            }

            await tx.PutAsync(Resource("i-other-type", type: "volume"));
            await tx.PutAsync(Resource("i-other-account", account: AccountB));
            await tx.PutAsync(Resource("i-other-region", region: "eu-west-1"));
            await tx.PutAsync(Resource("i-global", region: ""));
        });

        var listed = await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"));

        var expected = ids.Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, listed.Select(r => r.Id).ToArray());
        Assert.All(listed, r => Assert.Equal(Resource(r.Id), r));
        Assert.Empty(await ReadAsync(s => s.ListAsync(AccountA, Region, "no-such-type")));
        Assert.Equal(["i-global"], (await ReadAsync(s => s.ListAsync(AccountA, "", "instance"))).Select(r => r.Id));
    }

    [Fact]
    public async Task ListAll_ReturnsEveryTypeInOneAccountAndRegion_OrderedByTypeThenId()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("vpc-2", type: "vpc"));
            await tx.PutAsync(Resource("i-2", type: "instance"));
            await tx.PutAsync(Resource("vpc-1", type: "vpc"));
            await tx.PutAsync(Resource("subnet-1", type: "subnet"));
            await tx.PutAsync(Resource("i-1", type: "instance"));
            await tx.PutAsync(Resource("i-b", type: "instance", account: AccountB));
            await tx.PutAsync(Resource("i-eu", type: "instance", region: "eu-west-1"));
        });

        var listed = await ReadAsync(s => s.ListAllAsync(AccountA, Region));

        Assert.Equal(
            ["instance/i-1", "instance/i-2", "subnet/subnet-1", "vpc/vpc-1", "vpc/vpc-2"],
            listed.Select(r => $"{r.Key.Type}/{r.Id}").ToArray());
        Assert.All(listed, r => Assert.Equal(Resource(r.Id, type: r.Key.Type), r));
    }

    [Fact]
    public async Task ListEveryAccount_ReturnsOneTypeInOneRegionAcrossAccounts()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("ami-2", type: "image"));
            await tx.PutAsync(Resource("ami-1", type: "image", account: AccountB));
            await tx.PutAsync(Resource("ami-0", type: "image"));
            await tx.PutAsync(Resource("vpc-1", type: "vpc"));
            await tx.PutAsync(Resource("ami-eu", type: "image", region: "eu-west-1"));
        });

        var listed = await ReadAsync(s => s.ListEveryAccountAsync(Region, "image"));

        Assert.Equal(
            [$"{AccountA}/ami-0", $"{AccountA}/ami-2", $"{AccountB}/ami-1"],
            listed.Select(r => $"{r.Key.AccountId}/{r.Id}").Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(listed.Select(r => (r.Key.AccountId, r.Id)).ToList(), listed.OrderBy(r => r.Key.AccountId, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).Select(r => (r.Key.AccountId, r.Id)).ToList());
    }

    [Fact]
    public async Task LargeUnicodeDocument_RoundTripsExactly()
    {
        var builder = new StringBuilder("{\"items\":[");
        for (var i = 0; i < 2000; i++)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{{\"n\":{i},\"s\":\"Zürich 東京 🚀 \\\"q\\\" \\n\"}},");
        }

        builder.Append("{}]}");
        var resource = Resource("i-big", document: builder.ToString());
        await WriteAsync(tx => tx.PutAsync(resource));

        var stored = await ReadAsync(s => s.GetAsync(resource.Key));

        Assert.Equal(resource.Document, stored?.Document);
    }

    // ---- accounts and access keys -------------------------------------------------------

    [Fact]
    public async Task Accounts_AreFoundListedInIdOrder_AndReplaced()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAccountAsync(new Account(AccountB, "beta", T0));
            await tx.PutAccountAsync(new Account(AccountA, "alpha", T0));
            await tx.PutAccountAsync(new Account("000000000000", "zero", T0));
        });
        await WriteAsync(tx => tx.PutAccountAsync(new Account(AccountB, "beta renamed", T0)));

        await using var session = await Store.OpenReadAsync();
        Assert.Equal(new Account(AccountA, "alpha", T0), await session.FindAccountAsync(AccountA));
        Assert.Null(await session.FindAccountAsync("999999999999"));
        Assert.Equal(
            [new Account("000000000000", "zero", T0), new Account(AccountA, "alpha", T0), new Account(AccountB, "beta renamed", T0)],
            await session.ListAccountsAsync());
        Assert.Equal(DateTimeKind.Utc, (await session.FindAccountAsync(AccountA))?.CreatedAt.Kind);
    }

    [Fact]
    public async Task AccessKeys_AreFoundAndListedPerAccountInIdOrder()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAccountAsync(new Account(AccountA, "alpha", T0));
            await tx.PutAccountAsync(new Account(AccountB, "beta", T0));
            await tx.PutAccessKeyAsync(new AccessKey("AKIAZZZZ", "s-z", AccountA, T0));
            await tx.PutAccessKeyAsync(new AccessKey("AKIAAAAA", "s-a", AccountA, T0, Active: false));
            await tx.PutAccessKeyAsync(new AccessKey("AKIABBBB", "s-b", AccountB, T0));
        });

        await using var session = await Store.OpenReadAsync();
        Assert.Equal(new AccessKey("AKIAAAAA", "s-a", AccountA, T0, Active: false), await session.FindAccessKeyAsync("AKIAAAAA"));
        Assert.Equal(new AccessKey("AKIABBBB", "s-b", AccountB, T0), await session.FindAccessKeyAsync("AKIABBBB"));
        Assert.Null(await session.FindAccessKeyAsync("AKIANONE"));
        Assert.Equal(["AKIAAAAA", "AKIAZZZZ"], (await session.ListAccessKeysAsync(AccountA)).Select(k => k.AccessKeyId));
        Assert.Equal(["AKIABBBB"], (await session.ListAccessKeysAsync(AccountB)).Select(k => k.AccessKeyId));
        Assert.Empty(await session.ListAccessKeysAsync("999999999999"));
    }

    [Fact]
    public async Task AccessKey_Put_ReplacesIt()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAccountAsync(new Account(AccountA, "alpha", T0));
            await tx.PutAccessKeyAsync(new AccessKey("AKIAAAAA", "old", AccountA, T0));
        });
        await WriteAsync(tx => tx.PutAccessKeyAsync(new AccessKey("AKIAAAAA", "new", AccountA, T0, Active: false)));

        var key = await ReadAsync(s => s.FindAccessKeyAsync("AKIAAAAA"));

        Assert.Equal(new AccessKey("AKIAAAAA", "new", AccountA, T0, Active: false), key);
    }

    [Fact]
    public async Task AccessKey_OfUnknownAccount_IsRejected_AndNothingOfTheTransactionLands()
    {
        var failed = false;
        await using (var tx = await Store.BeginWriteAsync())
        {
            await tx.PutAsync(Resource("i-1"));
            try
            {
                await tx.PutAccessKeyAsync(new AccessKey("AKIAORPHAN", "s", "999999999999", T0));
                await tx.CommitAsync();
            }
            catch (Exception)
            {
                failed = true;
            }
        }

        Assert.True(failed, "an access key of an account that does not exist must be refused");
        await using var session = await Store.OpenReadAsync();
        Assert.Null(await session.FindAccessKeyAsync("AKIAORPHAN"));
        Assert.Null(await session.GetAsync(Key("i-1")));

        // The store is still usable afterwards.
        await WriteAsync(tx => tx.PutAsync(Resource("i-2")));
        Assert.NotNull(await ReadAsync(s => s.GetAsync(Key("i-2"))));
    }

    // ---- idempotency records ------------------------------------------------------------

    [Fact]
    public async Task IdempotencyRecords_AreKeyedByAccountRegionOperationAndToken()
    {
        var key = new IdempotencyKey(AccountA, Region, "RunInstances", "token-1");
        IdempotencyKey[] others =
        [
            key with { AccountId = AccountB },
            key with { Region = "eu-west-1" },
            key with { Operation = "CreateVolume" },
            key with { ClientToken = "token-2" },
        ];
        await WriteAsync(tx => tx.PutIdempotencyRecordAsync(new IdempotencyRecord(key, "hash-1", "<response/>"u8.ToArray(), "text/xml", T0)));

        await using (var session = await Store.OpenReadAsync())
        {
            AssertRecord(new IdempotencyRecord(key, "hash-1", "<response/>"u8.ToArray(), "text/xml", T0), await session.FindIdempotencyRecordAsync(key));
            foreach (var other in others)
            {
                Assert.Null(await session.FindIdempotencyRecordAsync(other));
            }
        }

        // Binary bodies (CBOR) and their content type come back as written.
        byte[] cbor = [0xA1, 0x61, 0x61, 0x00, 0xFF];
        await WriteAsync(tx => tx.PutIdempotencyRecordAsync(new IdempotencyRecord(key, "hash-2", cbor, "application/cbor", T0.AddSeconds(1))));
        AssertRecord(
            new IdempotencyRecord(key, "hash-2", cbor, "application/cbor", T0.AddSeconds(1)),
            await ReadAsync(s => s.FindIdempotencyRecordAsync(key)));
    }

    private static void AssertRecord(IdempotencyRecord expected, IdempotencyRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Response = Array.Empty<byte>() }, actual with { Response = Array.Empty<byte>() });
        Assert.Equal(expected.Response, actual.Response);
    }

    // ---- transactions ---------------------------------------------------------------------

    [Fact]
    public async Task Transaction_ReadsItsOwnUncommittedWrites()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-old")));

        await using var tx = await Store.BeginWriteAsync();
        await tx.PutAccountAsync(new Account(AccountA, "alpha", T0));
        await tx.PutAccessKeyAsync(new AccessKey("AKIAAAAA", "s", AccountA, T0));
        await tx.PutAsync(Resource("i-new"));
        await tx.PutAsync(Resource("vpc-1", type: "vpc"));
        Assert.True(await tx.DeleteAsync(Key("i-old")));
        var idem = new IdempotencyRecord(new IdempotencyKey(AccountA, Region, "RunInstances", "t"), "h", "r"u8.ToArray(), "text/xml", T0);
        await tx.PutIdempotencyRecordAsync(idem);

        Assert.NotNull(await tx.GetAsync(Key("i-new")));
        Assert.Null(await tx.GetAsync(Key("i-old")));
        Assert.Equal(["i-new"], (await tx.ListAsync(AccountA, Region, "instance")).Select(r => r.Id));
        Assert.Equal(["i-new", "vpc-1"], (await tx.ListAllAsync(AccountA, Region)).Select(r => r.Id));
        Assert.Equal("alpha", (await tx.FindAccountAsync(AccountA))?.Name);
        Assert.Single(await tx.ListAccountsAsync());
        Assert.NotNull(await tx.FindAccessKeyAsync("AKIAAAAA"));
        Assert.Single(await tx.ListAccessKeysAsync(AccountA));
        AssertRecord(idem, await tx.FindIdempotencyRecordAsync(idem.Key));
        await tx.CommitAsync();
    }

    [Fact]
    public async Task Transaction_DisposedWithoutCommit_RollsBack()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-keep", document: """{"v":1}""")));

        await using (var tx = await Store.BeginWriteAsync())
        {
            await tx.PutAsync(Resource("i-new"));
            await tx.PutAsync(Resource("i-keep", document: """{"v":2}"""));
            await tx.PutAccountAsync(new Account(AccountA, "alpha", T0));
        }

        await using var session = await Store.OpenReadAsync();
        Assert.Null(await session.GetAsync(Key("i-new")));
        Assert.Equal("""{"v":1}""", (await session.GetAsync(Key("i-keep")))?.Document);
        Assert.Empty(await session.ListAccountsAsync());
    }

    [Fact]
    public async Task Transaction_ExceptionPartWayThrough_LeavesNothingApplied()
    {
        async Task FailingWork()
        {
            await using var tx = await Store.BeginWriteAsync();
            await tx.PutAsync(Resource("i-1"));
            await tx.DeleteAsync(Key("i-pre"));
            throw new InvalidOperationException("boom");
        }

        await WriteAsync(tx => tx.PutAsync(Resource("i-pre")));

        await Assert.ThrowsAsync<InvalidOperationException>(FailingWork);

        await using var session = await Store.OpenReadAsync();
        Assert.Null(await session.GetAsync(Key("i-1")));
        Assert.NotNull(await session.GetAsync(Key("i-pre")));
    }

    [Fact]
    public async Task Transaction_CannotBeUsedAfterCommit()
    {
        var tx = await Store.BeginWriteAsync();
        await tx.PutAsync(Resource("i-1"));
        await tx.CommitAsync();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => tx.PutAsync(Resource("i-2")));
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => tx.CommitAsync());
        await tx.DisposeAsync();
        await tx.DisposeAsync();

        Assert.NotNull(await ReadAsync(s => s.GetAsync(Key("i-1"))));
        Assert.Null(await ReadAsync(s => s.GetAsync(Key("i-2"))));
    }

    [Fact]
    public async Task BeginWrite_WaitsForTheCurrentWriter()
    {
        await using var first = await Store.BeginWriteAsync();
        await first.PutAsync(Resource("i-1", document: """{"v":1}"""));

        var second = Store.BeginWriteAsync();
        await Task.Delay(200);
        var waited = !second.IsCompleted;

        await first.CommitAsync();
        await using var tx = await WithTimeout(second, "the second BeginWriteAsync");
        Assert.True(waited, "a second writer must wait for the first");
        Assert.Equal("""{"v":1}""", (await tx.GetAsync(Key("i-1")))?.Document);
    }

    [Fact]
    public async Task BeginWrite_WaitingCanBeCancelled()
    {
        await using var first = await Store.BeginWriteAsync();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.BeginWriteAsync(cancellation.Token));

        await first.PutAsync(Resource("i-1"));
        await first.CommitAsync();
        await WriteAsync(tx => tx.PutAsync(Resource("i-2")));
        Assert.Equal(2, (await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"))).Count);
    }

    [Fact]
    public async Task ConcurrentWriters_AllLand_AndAreSerialized()
    {
        const int Writers = 16;
        const int WritesEach = 10;
        await WriteAsync(tx => tx.PutAsync(Resource("counter", type: "counter", document: "0")));

        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < WritesEach; i++)
            {
                await WriteAsync(async tx =>
                {
                    var counter = await tx.GetAsync(Key("counter", type: "counter"));
                    var value = int.Parse(counter!.Document, CultureInfo.InvariantCulture);
                    await tx.PutAsync(Resource("counter", type: "counter", document: (value + 1).ToString(CultureInfo.InvariantCulture)));
                    await tx.PutAsync(Resource($"w{w:D2}-{i:D2}"));
                });
            }
        }));
        await Task.WhenAll(tasks);

        await using var session = await Store.OpenReadAsync();
        Assert.Equal(Writers * WritesEach, (await session.ListAsync(AccountA, Region, "instance")).Count);
        Assert.Equal((Writers * WritesEach).ToString(CultureInfo.InvariantCulture), (await session.GetAsync(Key("counter", type: "counter")))?.Document);
    }

    // ---- read sessions --------------------------------------------------------------------

    [Fact]
    public async Task ReadSession_SeesTheSnapshotOfItsOpening()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-1", document: """{"v":1}""")));
        await using var before = await Store.OpenReadAsync();

        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("i-1", document: """{"v":2}"""));
            await tx.PutAsync(Resource("i-2"));
        });
        await using var after = await Store.OpenReadAsync();

        Assert.Equal("""{"v":1}""", (await before.GetAsync(Key("i-1")))?.Document);
        Assert.Null(await before.GetAsync(Key("i-2")));
        Assert.Single(await before.ListAsync(AccountA, Region, "instance"));
        Assert.Equal("""{"v":2}""", (await after.GetAsync(Key("i-1")))?.Document);
        Assert.Equal(2, (await after.ListAllAsync(AccountA, Region)).Count);
    }

    [Fact]
    public async Task ReadSession_DoesNotWaitForTheWriter_NorSeeItsUncommittedWrites()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-1", document: """{"v":1}""")));
        await using var tx = await Store.BeginWriteAsync();
        await tx.PutAsync(Resource("i-1", document: """{"v":2}"""));
        await tx.PutAsync(Resource("i-2"));

        await using (var session = await WithTimeout(Store.OpenReadAsync(), "OpenReadAsync during a write"))
        {
            Assert.Equal("""{"v":1}""", (await WithTimeout(session.GetAsync(Key("i-1")), "a read during a write"))?.Document);
            Assert.Null(await session.GetAsync(Key("i-2")));

            // The writer can commit while a reader holds an older snapshot.
            await WithTimeout(tx.CommitAsync(), "CommitAsync with a reader open");
            Assert.Equal("""{"v":1}""", (await session.GetAsync(Key("i-1")))?.Document);
        }

        Assert.Equal("""{"v":2}""", (await ReadAsync(s => s.GetAsync(Key("i-1"))))?.Document);
    }

    [Fact]
    public async Task ConcurrentReaders_AlwaysSeeWholeTransactions()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("a", document: "0"));
            await tx.PutAsync(Resource("b", document: "0"));
        });
        using var stop = new CancellationTokenSource();

        var writer = Task.Run(async () =>
        {
            for (var i = 1; i <= 100; i++)
            {
                var value = i.ToString(CultureInfo.InvariantCulture);
                await WriteAsync(async tx =>
                {
                    await tx.PutAsync(Resource("a", document: value));
                    await tx.PutAsync(Resource("b", document: value));
                });
            }
        });
        var readers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var reads = 0;
            while (!writer.IsCompleted || reads == 0)
            {
                await using var session = await Store.OpenReadAsync();
                var a = await session.GetAsync(Key("a"));
                await Task.Yield();
                var b = await session.GetAsync(Key("b"));
                var both = await session.ListAsync(AccountA, Region, "instance");
                Assert.Equal(a?.Document, b?.Document);
                Assert.Equal([a?.Document, a?.Document], both.Select(r => r.Document));
                reads++;
            }

            return reads;
        })).ToArray();

        await writer;
        var counts = await Task.WhenAll(readers);

        Assert.All(counts, c => Assert.True(c > 0));
        Assert.Equal("100", (await ReadAsync(s => s.GetAsync(Key("b"))))?.Document);
    }

    [Fact]
    public async Task ReadSession_CannotBeUsedAfterDispose()
    {
        var session = await Store.OpenReadAsync();
        await session.DisposeAsync();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => session.GetAsync(Key("i-1")));
        await session.DisposeAsync();
    }
}
