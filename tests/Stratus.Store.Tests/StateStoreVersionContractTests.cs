using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Xunit;

namespace Stratus.Store.Tests;

/// <summary>
/// Document versions, writes that replace only some index entries, and the cache of decoded
/// documents that relies on the versions: what every store implementation must answer alike.
/// </summary>
public abstract partial class StateStoreContractTests
{
    private sealed class Doc
    {
        public string Id { get; set; } = "";
        public string? Note { get; set; }
    }

    private static StoredResource Noted(string id, string note) =>
        Resource(id, document: $$"""{"id":"{{id}}","note":"{{note}}"}""");

    [Fact]
    public async Task EveryWrite_GetsAVersionAboveEveryCommittedOne()
    {
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Resource("i-1"));
            await tx.PutManyAsync([Resource("i-2"), Resource("i-3"), Resource("vol-1", type: "volume")]);
        });
        var first = await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"));
        Assert.All(first, r => Assert.True(r.Version > 0));
        Assert.Equal(first.Count, first.Select(r => r.Version).Distinct().Count());

        // A rolled-back write leaves the committed version; the next commit goes above it.
        await using (var tx = await Store.BeginWriteAsync())
        {
            await tx.PutAsync(Resource("i-1"));
            var own = await tx.GetAsync(Key("i-1"));
            Assert.True(own!.Version > first.Max(r => r.Version));
        }
        var afterRollback = await ReadAsync(s => s.GetAsync(Key("i-1")));
        Assert.Equal(first.Single(r => r.Id == "i-1").Version, afterRollback!.Version);

        await WriteAsync(tx => tx.PutAsync(Resource("i-1")));
        var rewritten = await ReadAsync(s => s.GetAsync(Key("i-1")));
        Assert.True(rewritten!.Version > first.Max(r => r.Version));
        var volume = await ReadAsync(s => s.GetAsync(Key("vol-1", type: "volume")));
        Assert.True(rewritten.Version > volume!.Version);

        // Versions survive a reopen and keep growing.
        await ReopenAsync();
        Assert.Equal(rewritten.Version, (await ReadAsync(s => s.GetAsync(Key("i-1"))))!.Version);
        await WriteAsync(tx => tx.PutAsync(Resource("i-2")));
        Assert.True((await ReadAsync(s => s.GetAsync(Key("i-2"))))!.Version > rewritten.Version);
        Assert.Equal(
            (await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"))).Select(r => r.Version),
            (await ReadAsync(s => s.GetManyAsync(AccountA, Region, "instance", ["i-1", "i-2", "i-3"]))).Select(r => r.Version));
    }

    [Fact]
    public async Task PutManyWithNames_ReplacesOnlyTheNamedEntries()
    {
        await WriteAsync(tx => tx.PutManyAsync(
        [
            Indexed("i-1", entries: [("state", "running"), ("tag:a", "1"), ("tag:b", "2")]),
            Indexed("i-2", entries: [("state", "stopped"), ("tag:a", "1")]),
        ]));
        await WriteAsync(tx => tx.PutManyAsync(
        [
            Indexed("i-1", entries: [("tag:a", "9"), ("tag:c", "3")]) with { Document = "{\"tags\":2}" },
            Indexed("i-2", entries: []),
        ], ["tag:a", "tag:c"]));

        Task<IReadOnlyList<IndexRow>> Entries(string id) => ReadAsync(s => s.ListIndexAsync(AccountA, Region, new IndexEntryQuery("") { Ids = [id] }));
        Assert.Equal(
            [new IndexRow("instance", "i-1", "state", "running"), new IndexRow("instance", "i-1", "tag:a", "9"), new IndexRow("instance", "i-1", "tag:b", "2"), new IndexRow("instance", "i-1", "tag:c", "3")],
            await Entries("i-1"));
        Assert.Equal([new IndexRow("instance", "i-2", "state", "stopped")], await Entries("i-2"));
        Assert.Equal("{\"tags\":2}", (await ReadAsync(s => s.GetAsync(Key("i-1"))))!.Document);

        // An entry outside the names is refused before anything is written.
        await using (var tx = await Store.BeginWriteAsync())
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => tx.PutManyAsync([Indexed("i-1", entries: [("state", "gone")])], ["tag:a"]));
        }
        Assert.Equal(4, (await Entries("i-1")).Count);
    }

    [Fact]
    public async Task PutManyWithNames_KeepsTheIndexVersionOfWhatExists()
    {
        await WriteAsync(tx => tx.PutManyAsync([Indexed("i-1", entries: [("state", "running"), ("tag:a", "1")])]));
        await WriteAsync(tx => tx.PutManyAsync(
        [
            Indexed("i-1", entries: [("tag:a", "2")]) with { IndexVersion = 2 },
            Indexed("i-2", entries: [("tag:a", "3")]) with { IndexVersion = 2 },
        ], ["tag:a"]));

        // i-1's other entries were derived under version 1, so it is still stale under version 2;
        // i-2 is new and takes the version it was given.
        Assert.Equal(["i-1"], Ids(await ReadAsync(s => s.ListIndexStaleAsync(2, 10))));
        Assert.Equal([new IndexRow("instance", "i-1", "state", "running"), new IndexRow("instance", "i-1", "tag:a", "2")],
            await ReadAsync(s => s.ListIndexAsync(AccountA, Region, new IndexEntryQuery("") { Ids = ["i-1"] })));
    }

    [Fact]
    public async Task DecodedCache_FollowsTheStore()
    {
        var cache = new DecodedResources();
        var scope = new Scope(AccountA, Region);
        var type = ResourceTypes.Instance;
        async Task<string?> NoteOf(string id) =>
            (await ReadAsync(s => cache.GetManyAsync<Doc>(s, scope, type, [id]))).SingleOrDefault()?.Note;

        await WriteAsync(tx => tx.PutManyAsync([Noted("i-1", "one"), Noted("i-2", "two")]));
        var listed = await ReadAsync(s => cache.ListAsync<Doc>(s, scope, type));
        Assert.Equal("one", listed[0].Note);
        Assert.Equal("two", listed[1].Note);
        Assert.Equal(2, cache.Count);

        // Unchanged documents are decoded once and shared.
        var again = await ReadAsync(s => cache.ListPageAsync<Doc>(s, scope, type, [], null, 10));
        Assert.Same(listed[0], again[0]);
        Assert.Same(listed[1], again[1]);

        // A committed write is what the next read decodes.
        await WriteAsync(tx => tx.PutAsync(Noted("i-1", "uno")));
        Assert.Equal("uno", await NoteOf("i-1"));
        Assert.Same(listed[1], (await ReadAsync(s => cache.FindAsync<Doc>(s, scope, type, []))).Single(d => d.Id == "i-2"));

        // A rolled-back write leaves the cache as the store.
        await using (var tx = await Store.BeginWriteAsync())
        {
            await tx.PutAsync(Noted("i-1", "rolled back"));
            await tx.PutAsync(Noted("i-3", "rolled back"));
        }
        Assert.Equal("uno", await NoteOf("i-1"));
        Assert.Null(await NoteOf("i-3"));

        // The versions a rolled-back transaction used are used again by the next one: the cache
        // must answer the document committed under them, not the one it may have seen before.
        await WriteAsync(tx => tx.PutAsync(Noted("i-1", "committed")));
        Assert.Equal("committed", await NoteOf("i-1"));

        // A write by another store on the same storage (another process, say) too.
        await ReopenAsync();
        await WriteAsync(tx => tx.PutAsync(Noted("i-2", "dos")));
        Assert.Equal("dos", await NoteOf("i-2"));
        Assert.Equal("committed", await NoteOf("i-1"));

        // Deleted and created again: the new document.
        await WriteAsync(tx => tx.DeleteAsync(Key("i-2")));
        Assert.Null(await NoteOf("i-2"));
        await WriteAsync(tx => tx.PutAsync(Noted("i-2", "again")));
        Assert.Equal("again", await NoteOf("i-2"));
    }

    [Fact]
    public async Task DecodedCache_DropsWhatAListingNoLongerFindsAndKeepsToItsBudget()
    {
        var scope = new Scope(AccountA, Region);
        var type = ResourceTypes.Instance;
        var cache = new DecodedResources();
        await WriteAsync(tx => tx.PutManyAsync([.. Enumerable.Range(0, 6).Select(i => Noted($"i-{i}", $"n{i}"))]));
        Assert.Equal(6, (await ReadAsync(s => cache.ListAsync<Doc>(s, scope, type))).Count);
        Assert.Equal(6, cache.Count);
        var weight = cache.Weight;
        Assert.True(weight > 0);

        // Deleted: a page over its range drops its entry; entries outside the page stay.
        await WriteAsync(async tx =>
        {
            await tx.DeleteAsync(Key("i-1"));
            await tx.DeleteAsync(Key("i-4"));
        });
        var page = await ReadAsync(s => cache.ListPageAsync<Doc>(s, scope, type, [], null, 2));
        Assert.Equal(["i-0", "i-2"], page.Select(d => d.Id));
        Assert.Equal(5, cache.Count);
        // A listing with conditions drops nothing; a full one drops the rest.
        Assert.Empty(await ReadAsync(s => cache.FindAsync<Doc>(s, scope, type, [IndexCondition.Equal("state", ["none"])])));
        Assert.Equal(5, cache.Count);
        Assert.Equal(["i-0", "i-2", "i-3", "i-5"], (await ReadAsync(s => cache.ListAsync<Doc>(s, scope, type))).Select(d => d.Id));
        Assert.Equal(4, cache.Count);
        Assert.True(cache.Weight < weight);

        // A changed document is read again; unchanged ones are shared.
        var before = await ReadAsync(s => cache.ListAsync<Doc>(s, scope, type));
        await WriteAsync(tx => tx.PutAsync(Noted("i-3", "changed")));
        var after = await ReadAsync(s => cache.ListAsync<Doc>(s, scope, type));
        Assert.Equal("changed", after[2].Note);
        Assert.Same(before[0], after[0]);
        Assert.Same(before[3], after[3]);

        // A budget of two documents keeps two; the rest are decoded for each read.
        var small = new DecodedResources(budget: Noted("i-0", "n0").Document.Length * 2);
        var first = await ReadAsync(s => small.ListAsync<Doc>(s, scope, type));
        Assert.Equal(["n0", "n2", "changed", "n5"], first.Select(d => d.Note));
        Assert.Equal(2, small.Count);
        var second = await ReadAsync(s => small.ListAsync<Doc>(s, scope, type));
        Assert.Same(first[0], second[0]);
        Assert.NotSame(first[3], second[3]);
        Assert.True(small.Weight <= small.Budget);
    }

    [Fact]
    public async Task DecodedCache_AnOlderSnapshotDoesNotReplaceANewerEntry()
    {
        var cache = new DecodedResources();
        var scope = new Scope(AccountA, Region);
        await WriteAsync(tx => tx.PutAsync(Noted("i-1", "old")));
        var oldSnapshot = await Store.OpenReadAsync();
        await using (oldSnapshot)
        {
            await WriteAsync(tx => tx.PutAsync(Noted("i-1", "new")));
            var fresh = await ReadAsync(s => cache.GetManyAsync<Doc>(s, scope, ResourceTypes.Instance, ["i-1"]));
            Assert.Equal("new", fresh[0].Note);
            Assert.Equal("old", (await cache.GetManyAsync<Doc>(oldSnapshot, scope, ResourceTypes.Instance, ["i-1"]))[0].Note);
        }
        var latest = await ReadAsync(s => cache.GetManyAsync<Doc>(s, scope, ResourceTypes.Instance, ["i-1"]));
        Assert.Equal("new", latest[0].Note);
    }

    [Fact]
    public async Task DecodedCache_KeepsProjectionsByVersionApartFromDocuments()
    {
        var cache = new DecodedResources();
        var scope = new Scope(AccountA, Region);
        var type = ResourceTypes.Instance;
        var made = 0;
        string? Running(StoredResource stored)
        {
            made++;
            return stored.Document.Contains("\"state\":\"running\"", StringComparison.Ordinal) ? stored.Id : null;
        }
        StoredResource Stated(string id, string state) =>
            Indexed(id, entries: [("state", state), ("zone", "a")]) with { Document = $$"""{"id":"{{id}}","state":"{{state}}"}""" };
        IReadOnlyList<IndexCondition> zone = [IndexCondition.Equal("zone", ["a"])];

        await WriteAsync(tx => tx.PutManyAsync([Stated("i-1", "running"), Stated("i-2", "stopped"), Stated("i-3", "running")]));
        Assert.Equal(["i-1", "i-3"], await ReadAsync(s => cache.ProjectAsync(s, scope, type, zone, Running)));
        Assert.Equal(3, made);
        Assert.Equal(3, cache.Count);
        Assert.Equal(3L * DecodedResources.ProjectionWeight, cache.Weight);

        // Unchanged: nothing is projected again, what made nothing (i-2) included.
        Assert.Equal(["i-1", "i-3"], await ReadAsync(s => cache.ProjectAsync(s, scope, type, zone, Running)));
        Assert.Equal(3, made);

        // The projections are not the decoded documents of the same resources, nor do they replace them.
        var docs = await ReadAsync(s => cache.ListAsync<Doc>(s, scope, type));
        Assert.Equal(3, docs.Count);
        Assert.Equal(6, cache.Count);
        Assert.Equal(["i-1", "i-3"], await ReadAsync(s => cache.ProjectAsync(s, scope, type, zone, Running)));
        Assert.Equal(3, made);

        // A changed document is projected again; one no longer listed (deleted, or no longer matching) is dropped.
        await WriteAsync(async tx =>
        {
            await tx.PutAsync(Stated("i-2", "running"));
            await tx.PutAsync(Indexed("i-3", entries: [("state", "running")]) with { Document = """{"id":"i-3","state":"running"}""" });
            await tx.DeleteAsync(Key("i-1"));
        });
        Assert.Equal(["i-2"], await ReadAsync(s => cache.ProjectAsync(s, scope, type, zone, Running)));
        Assert.Equal(4, made);
        Assert.Equal(3 + 1, cache.Count);
    }
}
