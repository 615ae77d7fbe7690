namespace Stratus.Store.Sqlite;

/// <summary>
/// Every data statement of the store, parameterized and portable to PostgreSQL. Ordering is by
/// the key columns' binary (ordinal) collation.
/// </summary>
internal static class Sql
{
    public const string PinSnapshot = "SELECT COUNT(*) FROM schema_version";

    public const string GetResource =
        "SELECT document, created_at, version FROM resources WHERE account_id = @account_id AND region = @region AND type = @type AND id = @id";

    public const string ListResources =
        "SELECT account_id, region, type, id, document, created_at, version FROM resources WHERE account_id = @account_id AND region = @region AND type = @type ORDER BY id";

    public const string ListAllResources =
        "SELECT account_id, region, type, id, document, created_at, version FROM resources WHERE account_id = @account_id AND region = @region ORDER BY type, id";

    /// <summary>The first (account, region) holding a resource of @type, through <c>ix_resources_type_scope</c>.</summary>
    public const string FirstScopeOfType =
        "SELECT account_id, region FROM resources WHERE type = @type ORDER BY account_id, region LIMIT 1";

    /// <summary>The (account, region) after (@account_id, @region) holding a resource of @type: one seek, whatever the scope before holds.</summary>
    public const string NextScopeOfType =
        "SELECT account_id, region FROM resources WHERE type = @type AND (account_id, region) > (@account_id, @region) ORDER BY account_id, region LIMIT 1";

    public const string ListResourcesOfEveryAccount =
        "SELECT account_id, region, type, id, document, created_at, version FROM resources WHERE region = @region AND type = @type ORDER BY account_id, id";

    /// <summary>Rows indexed under older rules, by the index_version index (no ORDER BY: sorting by key scanned every row at each start).</summary>
    public const string ListIndexStale =
        """
        SELECT account_id, region, type, id, document, created_at, version FROM resources
        WHERE index_version < @version LIMIT @limit
        """;

    private const string ResourceColumns = "SELECT account_id, region, type, id, document, created_at, version FROM resources";

    /// <summary>
    /// Lists are bound as one parameter per value; their count is rounded up to a power of two
    /// (the last value repeated) so each statement shape is prepared once per connection.
    /// </summary>
    public static int Bucket(int count)
    {
        var size = 1;
        while (size < count && size < 1024)
        {
            size *= 2;
        }

        return Math.Max(size, count);
    }

    /// <summary><c>@prefix0, @prefix1, ...</c> for a list of <paramref name="count"/> values.</summary>
    public static string Parameters(string prefix, int count) =>
        string.Join(", ", Enumerable.Range(0, count).Select(i => "@" + prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Resources of one type with ids in a list of <paramref name="count"/> parameters <c>@i0</c>...</summary>
    public static string GetManyResources(int count) =>
        $"{ResourceColumns} WHERE account_id = @account_id AND region = @region AND type = @type AND id IN ({Parameters("i", count)}) ORDER BY id";

    /// <summary>
    /// Resources of one type with, for each condition k, an index entry named one of <c>@cKnJ</c>
    /// (and valued one of <c>@cKvJ</c> when the condition has values).
    /// </summary>
    public static string FindResources(IReadOnlyList<(int Names, int Values)> conditions) => FindResources(conditions, keyset: false);

    /// <summary>
    /// <see cref="FindResources(IReadOnlyList{ValueTuple{int, int}})"/>, and with <paramref name="keyset"/>
    /// only ids after <c>@after</c>, at most <c>@limit</c> of them: one page of a keyset scan,
    /// which the primary key answers in id order without sorting.
    /// </summary>
    public static string FindResources(IReadOnlyList<(int Names, int Values)> conditions, bool keyset) =>
        FindResources(ResourceColumns, conditions, keyset);

    /// <summary>
    /// The ids and versions of <see cref="FindResources(IReadOnlyList{ValueTuple{int, int}}, bool)"/>'s
    /// keyset form, without the documents (<c>@limit</c> -1: no limit).
    /// </summary>
    public static string FindVersions(IReadOnlyList<(int Names, int Values)> conditions) =>
        FindResources(VersionColumns, conditions, keyset: true);

    private const string VersionColumns = "SELECT id, version FROM resources";

    private static string FindResources(string columns, IReadOnlyList<(int Names, int Values)> conditions, bool keyset)
    {
        var text = new System.Text.StringBuilder(columns)
            .Append(" WHERE account_id = @account_id AND region = @region AND type = @type");
        for (var k = 0; k < conditions.Count; k++)
        {
            var (names, values) = conditions[k];
            var c = "c" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            text.Append(" AND id IN (SELECT id FROM index_entries WHERE account_id = @account_id AND region = @region AND name IN (")
                .Append(Parameters(c + "n", names)).Append(')');
            if (values > 0)
            {
                text.Append(" AND value IN (").Append(Parameters(c + "v", values)).Append(')');
            }

            text.Append(" AND type = @type)");
        }

        if (keyset)
        {
            text.Append(" AND id > @after");
        }

        text.Append(" ORDER BY id");
        return (keyset ? text.Append(" LIMIT @limit") : text).ToString();
    }

    /// <summary>
    /// An upsert of <paramref name="count"/> resources of one account, region and type:
    /// <c>(@i0, @d0, @c0, @v0, @s0, @x0)</c>... for id, document, created_at, index_version, version
    /// and the encoded index entries (<see cref="IndexEntryText"/>).
    /// </summary>
    public static string PutResources(int count) => UpsertResources(count, "index_version = excluded.index_version, ");

    /// <summary>
    /// <see cref="PutResources"/> for writes that replace only some of the resources' index entries:
    /// an existing row keeps its <c>index_version</c> (its other entries were derived under it), so
    /// the update leaves the <c>index_version</c> index alone — one index entry less rewritten, at a
    /// random place, per resource.
    /// </summary>
    public static string PutResourcesKeepingIndexVersion(int count) => UpsertResources(count, "");

    private static string UpsertResources(int count, string indexVersion) =>
        "INSERT INTO resources (account_id, region, type, id, document, created_at, index_version, version, index_entries) VALUES " +
        string.Join(", ", Enumerable.Range(0, count).Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"(@account_id, @region, @type, @i{i}, @d{i}, @c{i}, @v{i}, @s{i}, @x{i})"))) +
        " ON CONFLICT (account_id, region, type, id) DO UPDATE SET document = excluded.document, created_at = excluded.created_at, " +
        indexVersion + "version = excluded.version, index_entries = excluded.index_entries";

    /// <summary>The encoded index entries of the resources <c>@i0</c>... of one account, region and type.</summary>
    public static string IndexEntriesOf(int count) =>
        $"SELECT id, index_entries FROM resources WHERE account_id = @account_id AND region = @region AND type = @type AND id IN ({Parameters("i", count)})";

    /// <summary>The last version a committed write of a resource was stamped with (0 when none).</summary>
    public const string LastVersion = "SELECT value FROM resource_versions WHERE name = 'resources'";

    /// <summary>Records the last version a transaction stamped, with its commit.</summary>
    public const string SetLastVersion = "UPDATE resource_versions SET value = @value WHERE name = 'resources'";

    /// <summary>
    /// Deletes <paramref name="count"/> index entries <c>(@e0, @n0, @v0)</c>... (resource id, name,
    /// value) of one account, region and type. The list is a subquery so that each entry is found
    /// by a seek on the whole key: as a row value list or ORed conditions SQLite chose to scan
    /// every entry of the region instead.
    /// </summary>
    public static string DeleteIndexEntries(int count) =>
        "DELETE FROM index_entries WHERE account_id = @account_id AND region = @region AND type = @type AND (name, value, id) IN (SELECT column1, column2, column3 FROM (VALUES " +
        string.Join(", ", Enumerable.Range(0, count).Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"(@n{i}, @v{i}, @e{i})"))) +
        ") AS removed)";

    /// <summary>
    /// Inserts <paramref name="count"/> index entries <c>(@e0, @n0, @v0)</c>... (resource id, name,
    /// value) of one account, region and type; a repeated entry is inserted once.
    /// </summary>
    public static string InsertIndexEntries(int count) =>
        "INSERT INTO index_entries (account_id, region, name, value, type, id) VALUES " +
        string.Join(", ", Enumerable.Range(0, count).Select(i => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"(@account_id, @region, @n{i}, @v{i}, @type, @e{i})"))) +
        " ON CONFLICT (account_id, region, name, value, type, id) DO NOTHING";

    /// <summary>Index entries by name prefix (<c>@name_from</c> to <c>@name_to</c>) and optional lists, through their key.</summary>
    public static string ListIndex(bool prefix, int types, int names, int values)
    {
        var text = new System.Text.StringBuilder("SELECT type, id, name, value FROM index_entries WHERE account_id = @account_id AND region = @region");
        if (prefix)
        {
            text.Append(" AND name >= @name_from AND name < @name_to");
        }

        void List(string column, string p, int count)
        {
            if (count > 0)
            {
                text.Append(" AND ").Append(column).Append(" IN (").Append(Parameters(p, count)).Append(')');
            }
        }

        List("type", "t", types);
        List("name", "n", names);
        List("value", "v", values);
        return text.Append(" ORDER BY id, name, value").ToString();
    }

    /// <summary>
    /// The encoded index entries of the resources <c>@i0</c>... of one account and region, of the
    /// types <c>@t0</c>... (every type when <paramref name="types"/> is 0).
    /// </summary>
    public static string IndexEntriesOfIds(int types, int ids) =>
        "SELECT type, id, index_entries FROM resources WHERE account_id = @account_id AND region = @region" +
        (types > 0 ? $" AND type IN ({Parameters("t", types)})" : "") +
        $" AND id IN ({Parameters("i", ids)})";

    public const string DeleteResource =
        "DELETE FROM resources WHERE account_id = @account_id AND region = @region AND type = @type AND id = @id";

    public const string FindAccount = "SELECT name, created_at FROM accounts WHERE account_id = @account_id";

    public const string ListAccounts = "SELECT account_id, name, created_at FROM accounts ORDER BY account_id";

    public const string PutAccount =
        """
        INSERT INTO accounts (account_id, name, created_at) VALUES (@account_id, @name, @created_at)
        ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, created_at = excluded.created_at
        """;

    public const string FindAccessKey =
        "SELECT secret_access_key, account_id, created_at, active, user_name FROM access_keys WHERE access_key_id = @access_key_id";

    public const string ListAccessKeys =
        "SELECT access_key_id, secret_access_key, created_at, active, user_name FROM access_keys WHERE account_id = @account_id ORDER BY access_key_id";

    public const string PutAccessKey =
        """
        INSERT INTO access_keys (access_key_id, secret_access_key, account_id, created_at, active, user_name)
        VALUES (@access_key_id, @secret_access_key, @account_id, @created_at, @active, @user_name)
        ON CONFLICT (access_key_id) DO UPDATE SET
            secret_access_key = excluded.secret_access_key,
            account_id = excluded.account_id,
            created_at = excluded.created_at,
            active = excluded.active,
            user_name = excluded.user_name
        """;

    public const string FindIdempotencyRecord =
        """
        SELECT request_hash, response, created_at, content_type, response_encoding FROM idempotency_records
        WHERE account_id = @account_id AND region = @region AND operation = @operation AND client_token = @client_token
        """;

    public const string PutIdempotencyRecord =
        """
        INSERT INTO idempotency_records (account_id, region, operation, client_token, request_hash, response, created_at, content_type, response_encoding)
        VALUES (@account_id, @region, @operation, @client_token, @request_hash, @response, @created_at, @content_type, 'base64')
        ON CONFLICT (account_id, region, operation, client_token) DO UPDATE SET
            request_hash = excluded.request_hash,
            response = excluded.response,
            created_at = excluded.created_at,
            content_type = excluded.content_type,
            response_encoding = excluded.response_encoding
        """;
}
