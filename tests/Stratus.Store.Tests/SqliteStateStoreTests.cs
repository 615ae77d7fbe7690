using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Stratus.Domain.Store;
using Stratus.Store.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace Stratus.Store.Tests;

/// <summary>The contract on the SQLite store, plus what only SQLite has: the file, its
/// settings, crash safety and a second process writing to the same file.</summary>
public sealed class SqliteStateStoreTests(ITestOutputHelper output) : StateStoreContractTests
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(120);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "stratus-store-tests", Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_directory, "state.db");

    protected override Task CreateEmptyStorageAsync()
    {
        Directory.CreateDirectory(_directory);
        return Task.CompletedTask;
    }

    protected override IStateStore OpenStore() => SqliteStateStore.Open(new SqliteStoreOptions(DatabasePath));

    protected override Task DeleteStorageAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>A connection straight to the file, outside the store.</summary>
    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    // ---- settings and schema --------------------------------------------------------------

    [Fact]
    public async Task WriteConnection_UsesWalFullSyncForeignKeysAndABusyTimeout()
    {
        var settings = await ((SqliteStore)Store).ReadWriterSettingsAsync();

        Assert.Equal("wal", settings["journal_mode"]);
        Assert.Equal("2", settings["synchronous"]); // FULL
        Assert.Equal("1", settings["foreign_keys"]);
        Assert.Equal("30000", settings["busy_timeout"]);
        Assert.Equal("0", settings["query_only"]);
        Assert.Equal("8192", settings["wal_autocheckpoint"]); // the bound; checkpoints run in the background
        Assert.Equal("2", settings["temp_store"]); // MEMORY: statement journals never touch the disk
    }

    [Fact]
    public async Task WithAFlushDelay_CommitsDoNotSyncAndTheLogIsFsyncedInTheBackground()
    {
        await Store.DisposeAsync();
        await using var store = (SqliteStore)SqliteStateStore.Open(new SqliteStoreOptions(DatabasePath) { FlushDelay = TimeSpan.FromMilliseconds(50) });
        await store.InitializeAsync();
        var settings = await store.ReadWriterSettingsAsync();
        Assert.Equal("1", settings["synchronous"]); // NORMAL: COMMIT writes the log, the store fsyncs it

        // The migrations' commits are flushed after start-up; then each round of commits once more.
        var deadline = Stopwatch.StartNew();
        while (store.Flushes == 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }
        var before = store.Flushes;
        Assert.True(before > 0, "the start-up commits were never flushed");
        await using (var tx = await store.BeginWriteAsync())
        {
            await tx.PutAsync(Resource("i-flushed"));
            await tx.CommitAsync();
        }
        while (store.Flushes == before && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }
        Assert.True(store.Flushes > before, "a commit was not flushed within 30 s");
    }

    [Fact]
    public async Task ReleaseCaches_EmptiesTheWritersPageCache_AndTheStoreGoesOn()
    {
        var store = (SqliteStore)Store;
        await WriteAsync(async tx =>
        {
            for (var i = 0; i < 500; i++)
            {
                await tx.PutAsync(Resource($"i-{i:d5}", document: new string('x', 2000)));
            }
        });
        var before = await store.WriterCacheBytesAsync();
        Assert.True(before > 500 * 1024, $"the writer's cache held only {before} bytes after writing 1 MB");

        store.ReleaseCaches();

        var after = await store.WriterCacheBytesAsync();
        Assert.True(after < before / 4, $"the writer's cache held {after} bytes after the release ({before} before)");
        await WriteAsync(tx => tx.PutAsync(Resource("i-after")));
        await using var read = await Store.OpenReadAsync();
        Assert.Equal(501, (await read.ListAsync(AccountA, Region, "instance")).Count);
    }

    [Fact]
    public async Task Commits_AreCheckpointedIntoTheDatabaseFileInTheBackground()
    {
        for (var i = 0; i < 5; i++)
        {
            var id = $"i-{i}";
            await WriteAsync(tx => tx.PutAsync(Resource(id)));
        }

        // Five small commits are far below any WAL size at which a commit checkpoints itself: the
        // database file alone (a copy without its WAL) holds them only once the checkpointer ran.
        var copy = Path.Combine(_directory, "copy.db");
        var deadline = Stopwatch.StartNew();
        long rows = -1;
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            File.Copy(DatabasePath, copy, overwrite: true);
            using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString()))
            {
                connection.Open();
                try
                {
                    rows = long.Parse(Scalar(connection, "SELECT COUNT(*) FROM resources") ?? "-1", CultureInfo.InvariantCulture);
                }
                catch (SqliteException)
                {
                    // The schema itself is not in the file yet.
                }
            }

            if (rows == 5)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(5, rows);
    }

    [Fact]
    public void Database_IsInWalMode_ForEveryConnection()
    {
        using var raw = OpenRaw();

        Assert.Equal("wal", Scalar(raw, "PRAGMA journal_mode"));
    }

    [Fact]
    public void Schema_RecordsEveryMigration()
    {
        using var raw = OpenRaw();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT version, description, applied_at FROM schema_version ORDER BY version";
        using var reader = command.ExecuteReader();
        var versions = new List<int>();
        while (reader.Read())
        {
            versions.Add(reader.GetInt32(0));
            Assert.False(string.IsNullOrWhiteSpace(reader.GetString(1)));
            Assert.Equal(DateTimeKind.Utc, Timestamps.FromText(reader.GetString(2)).Kind);
        }

        Assert.Equal(Schema.Migrations.Select(m => m.Version), versions);
        Assert.Equal(Enumerable.Range(1, Schema.LatestVersion), Schema.Migrations.Select(m => m.Version));
    }

    [Fact]
    public async Task NewerSchema_IsRefused()
    {
        await Store.DisposeAsync();
        using (var raw = OpenRaw())
        {
            using var command = raw.CreateCommand();
            command.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES (999, 'future', '2030-01-01T00:00:00.0000000Z')";
            command.ExecuteNonQuery();
        }

        await using var store = OpenStore();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.InitializeAsync());
        Assert.Contains("999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VersionSevenDatabase_MarksEveryRowForReindexing_AndIndexesAgainThroughItsRow()
    {
        // A database whose index entries lived in resource_index (keyed per resource): after the
        // upgrade every row is stale (start-up re-derives its entries) and writes go on as usual.
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        Directory.CreateDirectory(_directory);
        using (var raw = OpenRaw())
        {
            using var command = raw.CreateCommand();
            command.CommandText = Schema.CreateVersionTable + ";" + string.Join(";", Schema.Migrations.Take(7).SelectMany(m => m.Statements)) +
                ";" + string.Join(";", Enumerable.Range(1, 7).Select(v => $"INSERT INTO schema_version VALUES ({v}, 'v{v}', '2026-01-01T00:00:00.0000000Z')")) +
                ";INSERT INTO resources (account_id, region, type, id, document, created_at, index_version, version) VALUES ('111111111111', 'us-east-1', 'instance', 'i-1', '{}', '2026-01-01T00:00:00.0000000Z', 1, 3)" +
                ";INSERT INTO resource_index VALUES ('111111111111', 'us-east-1', 'instance', 'i-1', 'tag:Name', 'web')";
            command.ExecuteNonQuery();
        }

        await using var store = OpenStore();
        await store.InitializeAsync();
        await using (var tx = await store.BeginWriteAsync())
        {
            var stale = Assert.Single(await tx.ListIndexStaleAsync(1, 10));
            Assert.Equal("i-1", stale.Id);
            Assert.Empty(await tx.FindAsync("111111111111", "us-east-1", "instance", [IndexCondition.Equal("tag:Name", ["web"])]));
            await tx.PutManyAsync([stale with { Index = [new IndexEntry("tag:Name", "web")], IndexVersion = 1 }]);
            await tx.CommitAsync();
        }

        await using var session = await store.OpenReadAsync();
        Assert.Empty(await session.ListIndexStaleAsync(1, 10));
        Assert.Equal("i-1", Assert.Single(await session.FindAsync("111111111111", "us-east-1", "instance", [IndexCondition.Equal("tag:Name", ["web"])])).Id);
        Assert.Equal(new IndexRow("instance", "i-1", "tag:Name", "web"), Assert.Single(await session.ListIndexAsync("111111111111", "us-east-1", new IndexEntryQuery("tag:") { Ids = ["i-1"], Types = ["instance"] })));
    }

    [Fact]
    public async Task VersionOneDatabase_KeepsItsIdempotencyRecordsAsXmlText()
    {
        // A database as the first schema left it: the response is EC2 XML text, no content type.
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
        Directory.CreateDirectory(_directory);
        using (var raw = OpenRaw())
        {
            using var command = raw.CreateCommand();
            command.CommandText = Schema.CreateVersionTable + ";" + string.Join(";", Schema.Migrations[0].Statements) +
                ";INSERT INTO schema_version VALUES (1, 'initial schema', '2026-01-01T00:00:00.0000000Z')" +
                ";INSERT INTO idempotency_records VALUES ('111111111111', 'us-east-1', 'RunInstances', 'tok', 'h', '<RunInstancesResponse/>', '2026-01-01T00:00:00.0000000Z')";
            command.ExecuteNonQuery();
        }

        await using var store = OpenStore();
        await store.InitializeAsync();
        await using var session = await store.OpenReadAsync();
        var record = await session.FindIdempotencyRecordAsync(new IdempotencyKey("111111111111", "us-east-1", "RunInstances", "tok"));
        Assert.NotNull(record);
        Assert.Equal("<RunInstancesResponse/>"u8.ToArray(), record.Response);
        Assert.Equal("text/xml;charset=UTF-8", record.ContentType);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task DatabaseAndWal_AreReadableByTheOwnerOnly()
    {
        // The database holds secret access keys.
        await WriteAsync(tx => tx.PutAccountAsync(new Account("111111111111", "a", DateTime.UnixEpoch)));
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            var path = DatabasePath + suffix;
            Assert.True(File.Exists(path), path);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Statements_UseOnlyPortableSql()
    {
        var statements = Schema.Migrations.SelectMany(m => m.Statements)
            .Concat([Schema.CreateVersionTable, Schema.SelectVersion, Schema.InsertVersion])
            .Concat(typeof(Sql).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Where(f => f.IsLiteral)
                .Select(f => (string)f.GetRawConstantValue()!))
            .ToList();
        string[] sqliteOnly = ["OR REPLACE", "OR IGNORE", "ROWID", "AUTOINCREMENT", "WITHOUT", "PRAGMA", "DATETIME(", "STRFTIME(", "JULIANDAY(", "IFNULL(", "GLOB", "COLLATE", "?"];

        Assert.True(statements.Count > 15);
        foreach (var text in statements)
        {
            // The one allowed SQLite-only clause: a table kept in its primary key's B-tree, which
            // is what a PostgreSQL table with a primary key is anyway, so its schema leaves it out.
            const string WithoutRowid = ") WITHOUT ROWID";
            var statement = text.TrimStart().StartsWith("CREATE TABLE", StringComparison.Ordinal) && text.TrimEnd().EndsWith(WithoutRowid, StringComparison.Ordinal)
                ? text.TrimEnd()[..^(WithoutRowid.Length - 1)]
                : text;
            foreach (var token in sqliteOnly)
            {
                Assert.DoesNotContain(token, statement.ToUpperInvariant(), StringComparison.Ordinal);
            }
        }

        Assert.All(statements.Where(s => s.StartsWith("INSERT INTO", StringComparison.Ordinal) && !s.Contains("schema_version", StringComparison.Ordinal)),
            s => Assert.Contains("ON CONFLICT (", s, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryAccountListing_SearchesAnIndex_InsteadOfScanningTheTable()
    {
        // What the background controllers run each pass for each region: with thousands of
        // resources a scan of the table cost 150 ms per statement; the index answers in microseconds.
        using var raw = OpenRaw();
        using var command = raw.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + Sql.ListResourcesOfEveryAccount;
        command.Parameters.AddWithValue("@region", "us-east-1");
        command.Parameters.AddWithValue("@type", "instance");
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        Assert.Contains(plan, p => p.Contains("SEARCH resources USING INDEX ix_resources_region_type", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Fact]
    public void IndexEntryStatements_SeekTheirKeys_InsteadOfScanningTheRegion()
    {
        // A write deletes a resource's changed entries one by one by their whole key; a scan of the
        // region's entries per statement made a tag write on 100 instances of 1,000 take 30 ms.
        List<string> Plan(string sql, int count)
        {
            using var raw = OpenRaw();
            using var command = raw.CreateCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + sql;
            foreach (var name in new[] { "@account_id", "@region", "@type" })
            {
                command.Parameters.AddWithValue(name, "x");
            }

            for (var i = 0; i < count; i++)
            {
                foreach (var p in new[] { "@e", "@n", "@v", "@i" })
                {
                    command.Parameters.AddWithValue(p + i.ToString(CultureInfo.InvariantCulture), "x" + i.ToString(CultureInfo.InvariantCulture));
                }
            }

            var plan = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }

            return plan;
        }

        var delete = Plan(Sql.DeleteIndexEntries(32), 32);
        Assert.Contains(delete, p => p.Contains("SEARCH index_entries USING PRIMARY KEY (account_id=? AND region=? AND name=? AND value=? AND type=? AND id=?)", StringComparison.Ordinal));
        Assert.DoesNotContain(delete, p => p.StartsWith("SCAN index_entries", StringComparison.Ordinal));
        var rows = Plan(Sql.IndexEntriesOf(32), 32);
        Assert.Contains(rows, p => p.StartsWith("SEARCH resources USING INDEX", StringComparison.Ordinal) && p.Contains("account_id=?", StringComparison.Ordinal) && p.EndsWith("id=?)", StringComparison.Ordinal));
    }

    // ---- lifetime ---------------------------------------------------------------------------

    [Fact]
    public async Task Sessions_RequireInitialize()
    {
        await using var store = OpenStore();

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.OpenReadAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.BeginWriteAsync());
    }

    [Fact]
    public async Task DisposedStore_RefusesWork()
    {
        await Store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.OpenReadAsync());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.BeginWriteAsync());
        await Store.DisposeAsync();
    }

    [Fact]
    public void Open_ValidatesOptions()
    {
        Assert.Throws<ArgumentNullException>(() => SqliteStateStore.Open(null!));
        Assert.Throws<ArgumentException>(() => SqliteStateStore.Open(new SqliteStoreOptions(" ")));
        Assert.Throws<ArgumentOutOfRangeException>(() => SqliteStateStore.Open(new SqliteStoreOptions(DatabasePath) { BusyTimeout = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SqliteStateStore.Open(new SqliteStoreOptions(DatabasePath) { MaxIdleReadConnections = -1 }));
    }

    [Fact]
    public async Task Initialize_CreatesAMissingDirectory()
    {
        var nested = Path.Combine(_directory, "a", "b", "nested.db");
        await using (var store = SqliteStateStore.Open(new SqliteStoreOptions(nested)))
        {
            await store.InitializeAsync();
            await using var tx = await store.BeginWriteAsync();
            await tx.PutAsync(Resource("i-1"));
            await tx.CommitAsync();
        }

        Assert.True(File.Exists(nested));
    }

    [Fact]
    public async Task Dispose_ClosesEveryConnection_SoTheFileCanBeDeleted()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-1")));
        for (var i = 0; i < 3; i++)
        {
            // Leave a few read connections idle in the pool.
            await using var a = await Store.OpenReadAsync();
            await using var b = await Store.OpenReadAsync();
            Assert.NotNull(await b.GetAsync(Key("i-1")));
        }

        await Store.DisposeAsync();

        // SQLite removes the -wal and -shm files when the last connection to the file closes.
        Assert.False(File.Exists(DatabasePath + "-wal"), "the -wal file is left: a connection is still open");
        Assert.False(File.Exists(DatabasePath + "-shm"), "the -shm file is left: a connection is still open");
        File.Delete(DatabasePath);
        Assert.False(File.Exists(DatabasePath));
    }

    [Fact]
    public async Task ReadSessionOutlivingTheStore_StillWorksAndClosesOnDispose()
    {
        await WriteAsync(tx => tx.PutAsync(Resource("i-1")));
        var session = await Store.OpenReadAsync();

        await Store.DisposeAsync();
        Assert.NotNull(await session.GetAsync(Key("i-1")));
        await session.DisposeAsync();

        Assert.False(File.Exists(DatabasePath + "-wal"));
    }

    // ---- crash safety and other processes -------------------------------------------------

    [Theory]
    [InlineData(Program.CommitLoop)]
    [InlineData(Program.CommitLoopFlushedLater)]
    public async Task KilledWriter_LosesNoCommittedTransaction(string mode)
    {
        // Nothing of this test's store may be open while the children write.
        await Store.DisposeAsync();
        var printed = new List<string>();

        for (var round = 0; round < 3; round++)
        {
            using var timeout = new CancellationTokenSource(ChildTimeout);
            using var child = Program.StartChild(mode, DatabasePath, $"r{round}-", "1000000");
            var stderr = child.StandardError.ReadToEndAsync(timeout.Token);
            var target = 20 + (round * 25);
            var seen = new List<string>();
            try
            {
                while (seen.Count < target)
                {
                    var line = await child.StandardOutput.ReadLineAsync(timeout.Token);
                    if (line is null)
                    {
                        Assert.Fail($"the writer exited early: {await stderr}");
                    }

                    seen.Add(line);
                }
            }
            finally
            {
                // SIGKILL: no finalizers, no disposal, no chance to checkpoint or close the file.
                child.Kill();
                await child.WaitForExitAsync(timeout.Token);
            }

            // Ids already in the pipe were printed after their commit returned: they count too.
            var rest = await child.StandardOutput.ReadToEndAsync(timeout.Token);
            var lines = rest.Split('\n');
            seen.AddRange(lines.Take(lines.Length - 1)); // the last piece is empty or a torn line
            Assert.NotEqual(0, child.ExitCode);
            output.WriteLine($"round {round}: killed the writer after {seen.Count} printed commits (exit code {child.ExitCode})");
            printed.AddRange(seen);
        }

        await using (var store = OpenStore())
        {
            await store.InitializeAsync();
            await using var session = await store.OpenReadAsync();
            foreach (var id in printed)
            {
                var stored = await session.GetAsync(Program.Key("instance", id));
                Assert.True(stored is not null, $"committed resource {id} is missing after the crash");
                Assert.Equal(Program.Document(id), stored.Document);
            }

            var listed = await session.ListAsync(Program.Account, Program.Region, "instance");
            Assert.True(listed.Count >= printed.Count);
        }

        using var raw = OpenRaw();
        Assert.Equal("ok", Scalar(raw, "PRAGMA integrity_check"));
    }

    [Fact]
    public async Task AnotherProcess_WritingToTheSameFile_IsSerializedWithThisOne()
    {
        const int Each = 100;
        await using var snapshot = await Store.OpenReadAsync();
        using var timeout = new CancellationTokenSource(ChildTimeout);
        using var child = Program.StartChild(Program.Increment, DatabasePath, "child-", Each.ToString(CultureInfo.InvariantCulture));
        var stderr = child.StandardError.ReadToEndAsync(timeout.Token);
        var first = await child.StandardOutput.ReadLineAsync(timeout.Token);
        Assert.True(first is not null, $"the other process failed: {await stderr}");

        // Both processes now do read-modify-write increments of one counter at the same time.
        // The first one holds the write lock for a while, so the other process has to wait
        // for it (BEGIN IMMEDIATE + busy timeout) rather than fail or lose an update.
        for (var i = 0; i < Each; i++)
        {
            await Program.IncrementAsync(Store, Program.Id("parent-", i), i == 0 ? TimeSpan.FromMilliseconds(500) : default);
        }

        var childOutput = await child.StandardOutput.ReadToEndAsync(timeout.Token);
        await child.WaitForExitAsync(timeout.Token);
        Assert.True(child.ExitCode == 0, $"the other process failed ({child.ExitCode}): {await stderr}");
        output.WriteLine($"the other process printed {1 + childOutput.Count(c => c == '\n')} commits");

        await using var session = await Store.OpenReadAsync();
        Assert.Equal((2 * Each).ToString(CultureInfo.InvariantCulture), (await session.GetAsync(Program.Key(Program.CounterType, Program.CounterId)))?.Document);
        Assert.Equal(2 * Each, (await session.ListAsync(Program.Account, Program.Region, "marker")).Count);
        Assert.Null(await snapshot.GetAsync(Program.Key(Program.CounterType, Program.CounterId)));
    }

    // ---- performance --------------------------------------------------------------------------

    [Fact]
    public async Task CommitLatency_IsReported()
    {
        const int Warmup = 20;
        const int Measured = 300;
        var samples = new List<double>(Measured);
        for (var i = 0; i < Warmup + Measured; i++)
        {
            var id = Program.Id("lat-", i);
            var started = Stopwatch.GetTimestamp();
            await using (var tx = await Store.BeginWriteAsync())
            {
                await tx.PutAsync(new StoredResource(Key(id), Program.Document(id), DateTime.UtcNow));
                await tx.CommitAsync();
            }

            if (i >= Warmup)
            {
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        samples.Sort();
        double Percentile(double p) => samples[(int)Math.Min(samples.Count - 1, Math.Round(p * (samples.Count - 1)))];
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"write transaction (put one {Program.Document("x").Length}-byte document + fsync'd commit), {Measured} samples: " +
            $"p50 {Percentile(0.5):F2} ms, p90 {Percentile(0.9):F2} ms, p99 {Percentile(0.99):F2} ms, max {samples[^1]:F2} ms"));
        Assert.Equal(Warmup + Measured, (await ReadAsync(s => s.ListAsync(AccountA, Region, "instance"))).Count);
    }
}
