using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Stratus.Store.Sqlite;

/// <summary>
/// A statement prepared once on a connection and run through SQLite's own API, for the statements
/// of many parameters that every write runs (multi-row upserts, index entry inserts and deletes).
/// Microsoft.Data.Sqlite binds each parameter by name on every execution, and SQLite finds a name
/// by a linear search of the statement's parameters: O(n²) per execution, a tenth of a tag write's
/// time on 100 resources. Here each name is looked up once, when the statement is prepared.
/// Errors are raised as Microsoft.Data.Sqlite's <see cref="SqliteException"/>. Not thread-safe.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly Dictionary<string, int> _parameters = new(StringComparer.Ordinal);

    public RawStatement(sqlite3 db, string sql)
    {
        _db = db;
        Check(raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement));
        for (var i = 1; i <= raw.sqlite3_bind_parameter_count(_statement); i++)
        {
            _parameters[raw.sqlite3_bind_parameter_name(_statement, i).utf8_to_string()] = i;
        }
    }

    public RawStatement Bind(string name, string value)
    {
        Check(raw.sqlite3_bind_text(_statement, IndexOf(name), value));
        return this;
    }

    public RawStatement Bind(string name, long value)
    {
        Check(raw.sqlite3_bind_int64(_statement, IndexOf(name), value));
        return this;
    }

    /// <summary>Binds <c>@prefix0</c>..<c>@prefix(size-1)</c>, repeating the last value to fill the bucket.</summary>
    public RawStatement BindList(string prefix, IReadOnlyList<string> values, int size)
    {
        for (var i = 0; i < size; i++)
        {
            Bind("@" + prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), values[Math.Min(i, values.Count - 1)]);
        }

        return this;
    }

    /// <summary>Runs the statement to its end; returns the rows it changed.</summary>
    public int Execute()
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Runs the statement, calling <paramref name="row"/> with each row it returns.</summary>
    public void Read(Action<RawStatement> row)
    {
        try
        {
            int rc;
            while ((rc = raw.sqlite3_step(_statement)) == raw.SQLITE_ROW)
            {
                row(this);
            }

            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>The text of a column of the current row.</summary>
    public string GetString(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    /// <summary>The integer of a column of the current row.</summary>
    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    public void Dispose() => _statement.Dispose();

    private int IndexOf(string name) =>
        _parameters.TryGetValue(name, out var index) ? index : throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
