using Stratus.Domain.Store;
using Xunit;

namespace Stratus.Store.Tests;

/// <summary>The store's reads by key lists and by index entries, which every implementation must answer alike.</summary>
public abstract partial class StateStoreContractTests
{
    private static StoredResource Indexed(string id, string type = "instance", string account = AccountA, params (string Name, string Value)[] entries) =>
        Resource(id, type, account) with { Index = entries.Select(e => new IndexEntry(e.Name, e.Value)).ToList(), IndexVersion = 1 };

    private static List<string> Ids(IEnumerable<StoredResource> resources) => resources.Select(r => r.Id).ToList();

    [Fact]
    public async Task GetMany_ReturnsTheNamedResourcesOfTheScopeInIdOrder()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("i-3"));
            await tx.PutAsync(Resource("i-1"));
            await tx.PutAsync(Resource("i-2"));
            await tx.PutAsync(Resource("i-9", account: AccountB));
            await tx.PutAsync(Resource("i-8", type: "volume"));
        });

        Assert.Equal(["i-1", "i-3"], Ids(await ReadAsync(s => s.GetManyAsync(AccountA, Region, "instance", ["i-3", "i-1", "i-3", "i-404"]))));
        Assert.Empty(await ReadAsync(s => s.GetManyAsync(AccountA, Region, "instance", ["i-9", "i-8"])));
        Assert.Empty(await ReadAsync(s => s.GetManyAsync(AccountA, Region, "instance", [])));
        var many = Enumerable.Range(0, 1500).Select(i => $"i-{i:D5}").ToList();
        Assert.Equal(["i-1", "i-2", "i-3"], Ids(await ReadAsync(s => s.GetManyAsync(AccountA, Region, "instance", [.. many, "i-2", "i-1", "i-3"]))));
        var stored = Assert.Single(await ReadAsync(s => s.GetManyAsync(AccountA, Region, "instance", ["i-2"])));
        Assert.Equal(Resource("i-2").Document, stored.Document);
        Assert.Equal(T0, stored.CreatedAt);
    }

    [Fact]
    public async Task Find_MatchesEveryConditionByNameAndValue()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Indexed("i-1", entries: [("tag:Name", "web"), ("state", "running"), ("group", "sg-1"), ("group", "sg-2")]));
            await tx.PutAsync(Indexed("i-2", entries: [("tag:Name", "db"), ("state", "running"), ("group", "sg-2")]));
            await tx.PutAsync(Indexed("i-3", entries: [("tag:Env", "web"), ("state", "stopped")]));
            await tx.PutAsync(Indexed("i-4", account: AccountB, entries: [("tag:Name", "web")]));
            await tx.PutAsync(Indexed("vol-1", type: "volume", entries: [("tag:Name", "web")]));
        });

        Task<IReadOnlyList<StoredResource>> Find(params IndexCondition[] conditions) =>
            ReadAsync(s => s.FindAsync(AccountA, Region, "instance", conditions));

        Assert.Equal(["i-1"], Ids(await Find(IndexCondition.Equal("tag:Name", ["web"]))));
        Assert.Equal(["i-1", "i-2"], Ids(await Find(IndexCondition.Equal("tag:Name", ["web", "db", "none"]))));
        Assert.Equal(["i-1", "i-2"], Ids(await Find(IndexCondition.Equal("group", ["sg-2"]))));
        Assert.Equal(["i-2"], Ids(await Find(IndexCondition.Equal("group", ["sg-2"]), IndexCondition.Equal("tag:Name", ["db"]))));
        Assert.Equal(["i-1", "i-3"], Ids(await Find(new IndexCondition(["tag:Name", "tag:Env"], ["web"]))));
        Assert.Equal(["i-3"], Ids(await Find(new IndexCondition(["tag:Env"], null))));
        Assert.Empty(await Find(IndexCondition.Equal("tag:Name", ["WEB"])));
        Assert.Empty(await Find(IndexCondition.Equal("tag:Name", [])));
        Assert.Equal(["i-1", "i-2", "i-3"], Ids(await Find()));
    }

    [Fact]
    public async Task Put_ReplacesIndexEntries_DeleteAndRollbackKeepThemConsistent()
    {
        await WriteAsync(tx => tx.PutAsync(Indexed("i-1", entries: [("state", "pending")])));
        await WriteAsync(tx => tx.PutAsync(Indexed("i-1", entries: [("state", "running")])));
        Assert.Empty(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["pending"])])));
        Assert.Single(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["running"])])));

        await using (var tx = await Store.BeginWriteAsync())
        {
            await tx.PutAsync(Indexed("i-1", entries: [("state", "stopped")]));
            Assert.Single(await tx.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["stopped"])]));
        }
        Assert.Single(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["running"])])));

        await WriteAsync(tx => tx.DeleteAsync(Key("i-1")));
        Assert.Empty(await ReadAsync(s => s.ListIndexAsync(AccountA, Region, new IndexEntryQuery(""))));
        await WriteAsync(tx => tx.PutAsync(Resource("i-1")));
        Assert.Empty(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["running"])])));
    }

    [Fact]
    public async Task ListIndex_AnswersByPrefixTypeIdNameAndValue()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Indexed("i-2", entries: [("tag:b", "2"), ("tag:a", "1"), ("state", "running")]));
            await tx.PutAsync(Indexed("i-1", entries: [("tag:a", "1")]));
            await tx.PutAsync(Indexed("vol-1", type: "volume", entries: [("tag:a", "x"), ("tag;", "not a tag")]));
            await tx.PutAsync(Indexed("i-3", account: AccountB, entries: [("tag:a", "1")]));
        });

        Task<IReadOnlyList<IndexRow>> List(IndexEntryQuery query) => ReadAsync(s => s.ListIndexAsync(AccountA, Region, query));

        Assert.Equal(
            [new IndexRow("instance", "i-1", "tag:a", "1"), new IndexRow("instance", "i-2", "tag:a", "1"), new IndexRow("instance", "i-2", "tag:b", "2"), new IndexRow("volume", "vol-1", "tag:a", "x")],
            await List(new IndexEntryQuery("tag:")));
        Assert.Equal(6, (await List(new IndexEntryQuery(""))).Count);
        Assert.Equal(["vol-1"], (await List(new IndexEntryQuery("tag:") { Types = ["volume"] })).Select(r => r.Id));
        Assert.Equal(["i-2", "i-2"], (await List(new IndexEntryQuery("tag:") { Ids = ["i-2", "i-404"] })).Select(r => r.Id));
        // With ids, every other list still narrows, and the order is id, name, value.
        Assert.Equal(
            [new IndexRow("instance", "i-1", "tag:a", "1"), new IndexRow("instance", "i-2", "tag:a", "1"), new IndexRow("instance", "i-2", "tag:b", "2"), new IndexRow("volume", "vol-1", "tag:a", "x")],
            await List(new IndexEntryQuery("tag:") { Ids = ["vol-1", "i-2", "i-1", "i-3", "i-2"] }));
        Assert.Equal([new IndexRow("instance", "i-2", "tag:b", "2")], await List(new IndexEntryQuery("tag:") { Ids = ["i-2", "i-1"], Names = ["tag:b"] }));
        Assert.Equal(["i-1", "i-2"], (await List(new IndexEntryQuery("tag:") { Ids = ["i-2", "i-1", "vol-1"], Values = ["1"] })).Select(r => r.Id));
        Assert.Equal(["vol-1"], (await List(new IndexEntryQuery("") { Ids = ["i-2", "vol-1"], Types = ["volume"], Names = ["tag:a", "tag;"] })).Select(r => r.Id).Distinct());
        Assert.Equal(["running"], (await List(new IndexEntryQuery("st") { Ids = ["i-2"] })).Select(r => r.Value));
        Assert.Equal(["i-1", "i-2"], (await List(new IndexEntryQuery("tag:") { Names = ["tag:a"], Values = ["1"] })).Select(r => r.Id));
        Assert.Empty(await List(new IndexEntryQuery("tag:") { Ids = [] }));
    }

    [Fact]
    public async Task ListIndexStale_ReturnsRowsWrittenUnderOlderVersions()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("i-1"));
            await tx.PutAsync(Resource("i-2", account: AccountB));
            await tx.PutAsync(Indexed("i-3"));
            await tx.PutAsync(Resource("i-4") with { IndexVersion = 2 });
        });

        // In no particular order: compare as sets.
        Assert.Equal(["i-1", "i-2"], Ids(await ReadAsync(s => s.ListIndexStaleAsync(1, 10))).Order(StringComparer.Ordinal));
        Assert.True(Assert.Single(Ids(await ReadAsync(s => s.ListIndexStaleAsync(1, 1)))) is "i-1" or "i-2");
        Assert.Equal(["i-1", "i-2", "i-3"], Ids(await ReadAsync(s => s.ListIndexStaleAsync(2, 10))).Order(StringComparer.Ordinal));
        await WriteAsync(tx => tx.PutAsync(Resource("i-1") with { IndexVersion = 1 }));
        Assert.Equal(["i-2"], Ids(await ReadAsync(s => s.ListIndexStaleAsync(1, 10))));
    }

    [Fact]
    public async Task Find_IsEquivalentToFilteringEveryResourceInMemory_Randomized()
    {
        var random = new Random(20261206);
        string[] names = ["tag:Name", "tag:env", "state", "vpc-id", "group"];
        string[] values = ["a", "b", "c", "web", "running", "stopped", "", "A"];
        var model = new Dictionary<string, List<IndexEntry>>(StringComparer.Ordinal);
        for (var round = 0; round < 4; round++)
        {
            await WriteAsync(async tx =>
            {
                for (var i = 0; i < 60; i++)
                {
                    var id = $"i-{random.Next(100):D3}";
                    if (random.Next(10) == 0)
                    {
                        await tx.DeleteAsync(Key(id));
                        model.Remove(id);
                        continue;
                    }
                    var entries = Enumerable.Range(0, random.Next(5))
                        .Select(_ => new IndexEntry(names[random.Next(names.Length)], values[random.Next(values.Length)]))
                        .Distinct().ToList();
                    await tx.PutAsync(Resource(id) with { Index = entries, IndexVersion = 1 });
                    model[id] = entries;
                }
            });
            for (var q = 0; q < 50; q++)
            {
                var conditions = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => new IndexCondition(
                    names.OrderBy(_ => random.Next()).Take(1 + random.Next(2)).ToList(),
                    random.Next(4) == 0 ? null : values.OrderBy(_ => random.Next()).Take(1 + random.Next(3)).ToList())).ToList();
                var expected = model
                    .Where(m => conditions.TrueForAll(c => m.Value.Exists(e => c.Names.Contains(e.Name) && (c.Values is null || c.Values.Contains(e.Value)))))
                    .Select(m => m.Key).Order(StringComparer.Ordinal).ToList();
                var found = await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", conditions));
                Assert.Equal(expected, Ids(found));
                // The versions alone: the same ids with the versions of their documents.
                Assert.Equal(found.Select(r => new ResourceVersion(r.Id, r.Version)),
                    await ReadAsync(s => s.ListVersionsAsync(AccountA, Region, "instance", conditions, null, null)));
                // The same answer page by page, whatever the page size.
                var limit = 1 + random.Next(7);
                var paged = new List<string>();
                string? after = null;
                while (true)
                {
                    var page = await ReadAsync(s => s.ListPageAsync(AccountA, Region, "instance", conditions, after, limit));
                    Assert.True(page.Count <= limit);
                    Assert.Equal(page.Select(r => new ResourceVersion(r.Id, r.Version)),
                        await ReadAsync(s => s.ListVersionsAsync(AccountA, Region, "instance", conditions, after, limit)));
                    paged.AddRange(Ids(page));
                    if (page.Count < limit)
                    {
                        break;
                    }
                    after = page[^1].Id;
                }
                Assert.Equal(expected, paged);
            }
        }
    }

    [Fact]
    public async Task ListPage_ReadsInIdOrderAfterTheKeyUpToTheLimit()
    {
        await WriteAsync(async tx =>
        {
            foreach (var id in (List<string>)["i-5", "i-1", "i-3", "i-2", "i-4"])
            {
                await tx.PutAsync(Indexed(id, entries: [("state", id is "i-2" or "i-4" ? "stopped" : "running")]));
            }
            await tx.PutAsync(Indexed("i-0", account: AccountB, entries: [("state", "running")]));
            await tx.PutAsync(Indexed("vol-1", type: "volume", entries: [("state", "running")]));
        });

        Task<IReadOnlyList<StoredResource>> Page(string? after, int limit, params IndexCondition[] conditions) =>
            ReadAsync(s => s.ListPageAsync(AccountA, Region, "instance", conditions, after, limit));

        Assert.Equal(["i-1", "i-2"], Ids(await Page(null, 2)));
        Assert.Equal(["i-3", "i-4"], Ids(await Page("i-2", 2)));
        Assert.Equal(["i-5"], Ids(await Page("i-4", 2)));
        Assert.Empty(await Page("i-5", 2));
        Assert.Equal(["i-3", "i-4", "i-5"], Ids(await Page("i-25", 10)));
        Assert.Equal(["i-1", "i-3"], Ids(await Page(null, 2, IndexCondition.Equal("state", ["running"]))));
        Assert.Equal(["i-5"], Ids(await Page("i-3", 2, IndexCondition.Equal("state", ["running"]))));
        Assert.Empty(await Page(null, 2, IndexCondition.Equal("state", [])));
        var first = Assert.Single(await Page(null, 1));
        Assert.Equal(Resource("i-1").Document, first.Document);
        Assert.Equal(T0, first.CreatedAt);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Page(null, 0));
    }

    [Fact]
    public async Task ListVersions_AnswersIdsAndVersionsWithoutDocuments()
    {
        await WriteAsync(async tx =>
        {
            foreach (var id in (List<string>)["i-3", "i-1", "i-2"])
            {
                await tx.PutAsync(Indexed(id, entries: [("state", id == "i-2" ? "stopped" : "running")]));
            }
            await tx.PutAsync(Indexed("i-0", account: AccountB, entries: [("state", "running")]));
            await tx.PutAsync(Indexed("vol-1", type: "volume", entries: [("state", "running")]));
        });
        await WriteAsync(tx => tx.PutAsync(Indexed("i-1", entries: [("state", "running")]) with { Document = "{\"v\":2}" }));
        var stored = await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"));

        Task<IReadOnlyList<ResourceVersion>> Versions(string? after, int? limit, params IndexCondition[] conditions) =>
            ReadAsync(s => s.ListVersionsAsync(AccountA, Region, "instance", conditions, after, limit));

        Assert.Equal(stored.Select(r => new ResourceVersion(r.Id, r.Version)), await Versions(null, null));
        Assert.True(stored[0].Version > stored[1].Version);
        Assert.Equal(["i-2", "i-3"], (await Versions("i-1", null)).Select(v => v.Id));
        Assert.Equal(["i-1"], (await Versions(null, 1)).Select(v => v.Id));
        Assert.Equal(["i-3"], (await Versions("i-1", 5, IndexCondition.Equal("state", ["running"]))).Select(v => v.Id));
        Assert.Empty(await Versions(null, null, IndexCondition.Equal("state", [])));
        Assert.Empty(await ReadAsync(s => s.ListVersionsAsync(AccountA, Region, "subnet", [], null, null)));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Versions(null, 0));
    }

    [Fact]
    public async Task PutMany_IsPutOneAfterAnother()
    {
        await WriteAsync(tx => tx.PutAsync(Indexed("i-1", entries: [("state", "pending"), ("tag:a", "1")])));
        var many = Enumerable.Range(0, 300).Select(i => Indexed($"i-{i:D3}", entries: [("state", i % 2 == 0 ? "running" : "stopped"), ("n", $"{i}")])).ToList();
        await WriteAsync(tx => tx.PutManyAsync(
        [
            Indexed("i-1", entries: [("state", "running")]),
            .. many,
            Indexed("i-2", entries: [("state", "stopped")]),
            Indexed("i-2", entries: [("state", "running"), ("tag:x", "y")]) with { Document = "{\"last\":true}" },
            Indexed("vol-1", type: "volume", entries: [("state", "running")]),
            Indexed("i-9", account: AccountB, entries: [("state", "running")]),
        ]));

        Assert.Equal(((List<string>)["i-1", "i-2"]).Concat(many.Where((_, i) => i % 2 == 0).Select(r => r.Id)).Order(StringComparer.Ordinal),
            Ids(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["running"])]))).Order(StringComparer.Ordinal));
        Assert.Empty(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["pending"])])));
        Assert.Equal(["i-2"], Ids(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("tag:x", ["y"])]))));
        Assert.Equal("{\"last\":true}", (await ReadAsync(s => s.GetAsync(Key("i-2"))))!.Document);
        Assert.Equal(2, (await ReadAsync(s => s.ListIndexAsync(AccountA, Region, new IndexEntryQuery("") { Ids = ["i-150"] }))).Count);
        Assert.Single(await ReadAsync(s => s.FindAsync(AccountA, Region, "volume", [IndexCondition.Equal("state", ["running"])])));
        Assert.Single(await ReadAsync(s => s.FindAsync(AccountB, Region, "instance", [IndexCondition.Equal("state", ["running"])])));
        Assert.Equal(302, (await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"))).Count);

        // Rolled back with the transaction.
        await using (var tx = await Store.BeginWriteAsync())
        {
            await tx.PutManyAsync([Indexed("i-1", entries: [("state", "stopped")]), Indexed("i-new")]);
        }
        Assert.Null(await ReadAsync(s => s.GetAsync(Key("i-new"))));
        Assert.DoesNotContain("i-1", Ids(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["stopped"])]))));
        Assert.Contains("i-1", Ids(await ReadAsync(s => s.FindAsync(AccountA, Region, "instance", [IndexCondition.Equal("state", ["running"])]))));
    }
}
