namespace Stratus.Core;

/// <summary>
/// One holder at a time per key (an instance id): holders of the same key run in turn, other keys
/// go on freely. A key's gate exists only while someone holds it or waits for it, so the keys of
/// a long-running server (every instance ever launched) leave nothing behind.
/// </summary>
public sealed class KeyedGate
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How many keys are held or waited for now.</summary>
    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Waits until the key is free and takes it; disposing the result gives it back.</summary>
    public async Task<Holder> EnterAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        Entry? entry;
        lock (_entries)
        {
            if (!_entries.TryGetValue(key, out entry))
            {
                entry = new Entry();
                _entries.Add(key, entry);
            }

            entry.Users++;
        }

        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, entry);
            throw;
        }

        return new Holder(this, key, entry);
    }

    private void Leave(string key, Entry entry)
    {
        lock (_entries)
        {
            if (--entry.Users == 0)
            {
                // Nobody holds or waits for it: a later EnterAsync makes a new one.
                _entries.Remove(key);
                entry.Semaphore.Dispose();
            }
        }
    }

    /// <summary>A held key; <see cref="Dispose"/> releases it (once).</summary>
    public sealed class Holder : IDisposable
    {
        private readonly KeyedGate _gate;
        private readonly string _key;
        private Entry? _entry;

        internal Holder(KeyedGate gate, string key, Entry entry) => (_gate, _key, _entry) = (gate, key, entry);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _entry, null) is { } entry)
            {
                entry.Semaphore.Release();
                _gate.Leave(_key, entry);
            }
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        /// <summary>Holders and waiters; guarded by the gate's dictionary.</summary>
        public int Users { get; set; }
    }
}
