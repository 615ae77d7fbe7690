namespace Stratus.Runtime.MicroVm;

/// <summary>
/// Admits at most <c>limit</c> boots at once, first come first served. Under TCG a booting guest
/// keeps about one host core busy, so boots beyond the host's spare cores only slow each other down.
/// </summary>
internal sealed class BootQueue(int limit)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private int _running;

    public int Limit { get; } = Math.Max(1, limit);

    /// <summary>Waits for a boot slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            if (_running < Limit && _waiting.Count == 0)
            {
                _running++;
                return new Slot(this);
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiting.AddLast(waiter);
        }
        using (cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                    waiter.TrySetCanceled(cancellationToken);
                }
            }
        }))
        {
            await waiter.Task.ConfigureAwait(false);
        }
        return new Slot(this);
    }

    private void Leave()
    {
        lock (_lock)
        {
            if (_waiting.First is { } next)
            {
                _waiting.RemoveFirst();
                next.Value.TrySetResult(); // the slot passes to the next in line
            }
            else
            {
                _running--;
            }
        }
    }

    private sealed class Slot(BootQueue queue) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                queue.Leave();
            }
        }
    }
}
