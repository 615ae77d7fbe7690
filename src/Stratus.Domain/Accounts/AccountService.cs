using System.Collections.Concurrent;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;

namespace Stratus.Domain.Accounts;

/// <summary>A new account with its first (root) access key; the secret is shown only here.</summary>
public sealed record AccountCredentials(Account Account, AccessKey AccessKey);

/// <summary>
/// Accounts and their access keys. Lookups by access key id are cached once found; a key not yet
/// known is looked up in the store every time, so accounts created by another process (the
/// <c>stratus account create</c> command) work at once.
/// </summary>
public sealed class AccountService(IStateStore store, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, AccessKey> _keys = new(StringComparer.Ordinal);

    public Task<AccountCredentials> CreateAsync(string name, CancellationToken ct = default) => CreateAsync(name, null, ct);

    /// <summary>
    /// Creates an account with a root access key. <paramref name="accountId"/> chooses its id (12
    /// digits, as AWS's; test suites migrating from other emulators expect one such as
    /// 123456789012); an id already taken is refused. Null draws a random one.
    /// </summary>
    public async Task<AccountCredentials> CreateAsync(string name, string? accountId, CancellationToken ct = default)
    {
        if (accountId is not null && !IsValidAccountId(accountId))
        {
            throw new ArgumentException($"'{accountId}' is not an account id: it must be 12 digits.", nameof(accountId));
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        if (accountId is not null)
        {
            if (await tx.FindAccountAsync(accountId, ct).ConfigureAwait(false) is not null)
            {
                throw new InvalidOperationException($"Account {accountId} already exists.");
            }
        }
        else
        {
            do
            {
                accountId = ResourceIds.NewAccountId();
            }
            while (await tx.FindAccountAsync(accountId, ct).ConfigureAwait(false) is not null);
        }
        var account = new Account(accountId, name, now);
        var key = new AccessKey(ResourceIds.NewAccessKeyId(), ResourceIds.NewSecretAccessKey(), accountId, now);
        await tx.PutAccountAsync(account, ct).ConfigureAwait(false);
        await tx.PutAccessKeyAsync(key, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new AccountCredentials(account, key);
    }

    public static bool IsValidAccountId(string accountId) => accountId.Length == 12 && accountId.All(char.IsAsciiDigit);

    /// <summary>Returns the first account's first key, creating the account on the very first start.</summary>
    public async Task<(AccountCredentials Credentials, bool Created)> BootstrapAsync(CancellationToken ct = default)
    {
        await using (var read = await store.OpenReadAsync(ct).ConfigureAwait(false))
        {
            var accounts = await read.ListAccountsAsync(ct).ConfigureAwait(false);
            if (accounts.Count > 0)
            {
                var first = accounts.OrderBy(a => a.CreatedAt).ThenBy(a => a.AccountId, StringComparer.Ordinal).First();
                var keys = await read.ListAccessKeysAsync(first.AccountId, ct).ConfigureAwait(false);
                var key = keys.Where(k => k.Active).OrderBy(k => k.CreatedAt).FirstOrDefault();
                if (key is not null)
                {
                    return (new AccountCredentials(first, key), false);
                }
            }
        }
        return (await CreateAsync("default", ct).ConfigureAwait(false), true);
    }

    public async Task<AccessKey?> FindAccessKeyAsync(string accessKeyId, CancellationToken ct = default)
    {
        if (_keys.TryGetValue(accessKeyId, out var cached))
        {
            return cached;
        }
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        var key = await read.FindAccessKeyAsync(accessKeyId, ct).ConfigureAwait(false);
        if (key is { Active: true })
        {
            // An IAM user's key is read from the store every time: deactivating or deleting it takes effect at once.
            if (key.UserName is null)
            {
                _keys[accessKeyId] = key;
            }
            return key;
        }
        return null;
    }

    public async Task<IReadOnlyList<Account>> ListAsync(CancellationToken ct = default)
    {
        await using var read = await store.OpenReadAsync(ct).ConfigureAwait(false);
        return await read.ListAccountsAsync(ct).ConfigureAwait(false);
    }
}
