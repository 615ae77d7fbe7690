using System.Buffers;
using System.IO.Pipelines;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// A connection's transport that reports every byte it carries (read and written) to
/// <paramref name="count"/>: HTTP listeners put it in front of Kestrel's transport (before TLS, so
/// HTTPS counts the bytes on the wire) for the ProcessedBytes metric.
/// </summary>
internal sealed class CountingDuplexPipe(IDuplexPipe inner, Action<long> count) : IDuplexPipe
{
    public PipeReader Input { get; } = new Reader(inner.Input, count);

    public PipeWriter Output { get; } = new Writer(inner.Output, count);

    private sealed class Reader(PipeReader inner, Action<long> count) : PipeReader
    {
        private ReadOnlySequence<byte> _last;

        private void Consumed(SequencePosition consumed)
        {
            if (!_last.IsEmpty)
            {
                count(_last.Slice(_last.Start, consumed).Length);
            }
            _last = default;
        }

        public override void AdvanceTo(SequencePosition consumed)
        {
            Consumed(consumed);
            inner.AdvanceTo(consumed);
        }

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            Consumed(consumed);
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
            _last = result.Buffer;
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (inner.TryRead(out result))
            {
                _last = result.Buffer;
                return true;
            }
            return false;
        }
    }

    private sealed class Writer(PipeWriter inner, Action<long> count) : PipeWriter
    {
        public override void Advance(int bytes)
        {
            count(bytes);
            inner.Advance(bytes);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    }
}
