namespace Stratus.Store.Sqlite;

/// <summary>One schema step: statements applied together, in one transaction, in order.</summary>
internal sealed record Migration(int Version, string Description, IReadOnlyList<string> Statements);

/// <summary>
/// The schema as an ordered list of migrations. A database records in <c>schema_version</c>
/// every version applied to it; start-up applies the missing ones. Never edit a released
/// migration: append a new one. Every statement is written in SQL that PostgreSQL accepts too
/// (TEXT/INTEGER columns, composite primary keys, no SQLite-only functions or rowid use), but for
/// <c>WITHOUT ROWID</c>, which tells SQLite to keep a table in its primary key's B-tree (what a
/// PostgreSQL table with a primary key index is anyway).
/// </summary>
internal static class Schema
{
    public const string CreateVersionTable =
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)";

    public const string SelectVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_version";

    public const string InsertVersion =
        "INSERT INTO schema_version (version, description, applied_at) VALUES (@version, @description, @applied_at)";

    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new Migration(1, "initial schema",
        [
            """
            CREATE TABLE accounts (
                account_id TEXT NOT NULL PRIMARY KEY,
                name TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE access_keys (
                access_key_id TEXT NOT NULL PRIMARY KEY,
                secret_access_key TEXT NOT NULL,
                account_id TEXT NOT NULL REFERENCES accounts (account_id) DEFERRABLE INITIALLY DEFERRED,
                created_at TEXT NOT NULL,
                active INTEGER NOT NULL
            )
            """,
            "CREATE INDEX ix_access_keys_account ON access_keys (account_id, access_key_id)",
            """
            CREATE TABLE resources (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                type TEXT NOT NULL,
                id TEXT NOT NULL,
                document TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (account_id, region, type, id)
            )
            """,
            """
            CREATE TABLE idempotency_records (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                operation TEXT NOT NULL,
                client_token TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                response TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (account_id, region, operation, client_token)
            )
            """,
        ]),
        // Idempotency records keep the response as sent: its bytes (base64 in the text column, so
        // binary protocols like CBOR fit) and content type. Rows written before are EC2 XML text.
        new Migration(2, "idempotency records keep response bytes and content type",
        [
            "ALTER TABLE idempotency_records ADD COLUMN content_type TEXT NOT NULL DEFAULT 'text/xml;charset=UTF-8'",
            "ALTER TABLE idempotency_records ADD COLUMN response_encoding TEXT NOT NULL DEFAULT 'text'",
        ]),
        // Index entries the domain derives from each document (tags, state, VPC, ...), so Describe
        // calls find resources by them instead of reading every document of a type. Rows written
        // before carry index_version 0: start-up rebuilds their entries.
        new Migration(3, "resource index entries",
        [
            "ALTER TABLE resources ADD COLUMN index_version INTEGER NOT NULL DEFAULT 0",
            "CREATE INDEX ix_resources_index_version ON resources (index_version)",
            """
            CREATE TABLE resource_index (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                type TEXT NOT NULL,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (account_id, region, type, id, name, value)
            )
            """,
            "CREATE INDEX ix_resource_index_value ON resource_index (account_id, region, name, value, type, id)",
        ]),
        // An IAM user's access keys authenticate as that user; the account root's have no user.
        new Migration(4, "access keys name their IAM user",
        [
            "ALTER TABLE access_keys ADD COLUMN user_name TEXT NOT NULL DEFAULT ''",
        ]),
        // Every write of a resource stamps it with a version higher than any committed before
        // (resource_versions keeps the last one, so deletes never let a version come back), so a
        // cache of decoded documents knows whether what it holds is what is stored. Rows written
        // before carry 0: not cached until written again.
        new Migration(5, "resource versions",
        [
            "ALTER TABLE resources ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
            "CREATE TABLE resource_versions (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL)",
            "INSERT INTO resource_versions (name, value) VALUES ('resources', 0) ON CONFLICT (name) DO NOTHING",
        ]),
        // Listings of one type in one region across every account (what the background controllers
        // read each pass, mostly finding nothing) walk this index instead of every row of the table.
        new Migration(6, "resources by region and type",
        [
            "CREATE INDEX ix_resources_region_type ON resources (region, type, account_id, id)",
        ]),
        // The accounts and regions holding resources of a type (what the background loops walk)
        // are found by seeking from one to the next along this index.
        new Migration(7, "resources by type and scope",
        [
            "CREATE INDEX ix_resources_type_scope ON resources (type, account_id, region)",
        ]),
        // Index entries keyed by what finds them (name, value) and nothing else, and each resource's
        // own entries kept in its row: a write reads them there, and deletes and inserts only the
        // entries that changed, each by its whole key. The table before also had a key per
        // resource and a rowid table: three B-trees, each changed at random places by every write
        // (a tag on 100 instances wrote ~230 pages of log; now ~130). Entries are re-derived at
        // start-up: every row is stale.
        new Migration(8, "index entries keyed by name and value",
        [
            "DROP INDEX ix_resource_index_value",
            "DROP TABLE resource_index",
            """
            CREATE TABLE index_entries (
                account_id TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                type TEXT NOT NULL,
                id TEXT NOT NULL,
                PRIMARY KEY (account_id, region, name, value, type, id)
            ) WITHOUT ROWID
            """,
            "ALTER TABLE resources ADD COLUMN index_entries TEXT NOT NULL DEFAULT ''",
            "UPDATE resources SET index_version = 0",
        ]),
    ];

    public static int LatestVersion => Migrations[^1].Version;
}
