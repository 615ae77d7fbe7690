namespace Stratus.Store.Sqlite;

/// <summary>
/// Every data statement of the store, parameterized and portable to PostgreSQL. Ordering is by
/// the key columns' binary (ordinal) collation.
/// </summary>
internal static class Sql
{
    public const string PinSnapshot = "SELECT COUNT(*) FROM schema_version";

    public const string GetResource =
        "SELECT document, created_at FROM resources WHERE account_id = @account_id AND region = @region AND type = @type AND id = @id";

    public const string ListResources =
        "SELECT account_id, region, type, id, document, created_at FROM resources WHERE account_id = @account_id AND region = @region AND type = @type ORDER BY id";

    public const string ListAllResources =
        "SELECT account_id, region, type, id, document, created_at FROM resources WHERE account_id = @account_id AND region = @region ORDER BY type, id";

    public const string ListResourcesOfEveryAccount =
        "SELECT account_id, region, type, id, document, created_at FROM resources WHERE region = @region AND type = @type ORDER BY account_id, id";

    public const string PutResource =
        """
        INSERT INTO resources (account_id, region, type, id, document, created_at)
        VALUES (@account_id, @region, @type, @id, @document, @created_at)
        ON CONFLICT (account_id, region, type, id)
        DO UPDATE SET document = excluded.document, created_at = excluded.created_at
        """;

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
