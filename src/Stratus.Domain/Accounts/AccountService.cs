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

    public async Task<AccountCredentials> CreateAsync(string name, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var tx = await store.BeginWriteAsync(ct).ConfigureAwait(false);
        string accountId;
        do
        {
            accountId = ResourceIds.NewAccountId();
        }
        while (await tx.FindAccountAsync(accountId, ct).ConfigureAwait(false) is not null);
        var account = new Account(accountId, name, now);
        var key = new AccessKey(ResourceIds.NewAccessKeyId(), ResourceIds.NewSecretAccessKey(), accountId, now);
        await tx.PutAccountAsync(account, ct).ConfigureAwait(false);
        await tx.PutAccessKeyAsync(key, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new AccountCredentials(account, key);
    }

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
            _keys[accessKeyId] = key;
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
