using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Stratus.Domain.Store;

namespace Stratus.Server.Hosting;

/// <summary>
/// Gives the managed heap's free space back to the system once a burst of work is over. A large
/// read (an unfiltered DescribeInstances of 10,000 instances reads and decodes about 50 MB of
/// document text and writes a 38 MB body) or a populate of thousands of instances allocates
/// hundreds of megabytes that live for the whole request, so they are promoted to the older
/// generations and then die there; the collector keeps the regions they occupied committed for
/// later use, and sizes generation 0 from the processor's last-level cache (260 MiB reported on
/// some virtual machines: by its sizing rule a budget of over 100 MB). After the 10,000-instance
/// benchmark the process held 480–590 MB while 140–200 MB was alive (docs/benchmarks.md).
/// Every <see cref="Tick"/> this looks at what the process allocated: once at least
/// <see cref="BurstBytes"/> were allocated since the last trim, the last tick allocated little
/// (the server is quiet) and the collector holds at least <see cref="SlackBytes"/> more than the
/// heap's live size, it runs one blocking, compacting, aggressive collection, which releases the
/// free regions. It never runs during a burst (a busy tick allocates more than
/// <see cref="QuietBytes"/>), and at most once per <see cref="BurstBytes"/> allocated, so its cost
/// (one full collection) is small against the work that made the garbage. The same quiet moment
/// also frees what is outside the managed heap: the state store's page caches
/// (<see cref="IReleasableCaches"/>: up to 32 MiB for the writer, 2 MiB per idle reader) and the
/// C allocator's free pages (<c>malloc_trim</c>), which a burst leaves as much of as the heap.
/// Off with <c>STRATUS_HEAP_TRIM=0</c> (to compare).
/// </summary>
internal sealed class HeapTrimmer : BackgroundService
{
    private readonly ILogger<HeapTrimmer> _logger;
    private readonly TimeSpan _tick;
    private readonly Func<HeapSample> _sample;
    private readonly Action _trim;

    public HeapTrimmer(ILogger<HeapTrimmer> logger, IStateStore store)
        : this(logger, Tick, SampleProcess, () => TrimProcess(store as IReleasableCaches))
    {
    }

    /// <summary>With the counters and the collection given (tests).</summary>
    internal HeapTrimmer(ILogger<HeapTrimmer> logger, TimeSpan tick, Func<HeapSample> sample, Action trim)
    {
        _logger = logger;
        _tick = tick;
        _sample = sample;
        _trim = trim;
    }

    /// <summary>What the process allocated in all, and what the collector held and found alive at its last collection.</summary>
    internal readonly record struct HeapSample(long Allocated, long Committed, long HeapSize);

    private static HeapSample SampleProcess()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        return new HeapSample(GC.GetTotalAllocatedBytes(precise: false), info.TotalCommittedBytes, info.HeapSizeBytes);
    }

    private static void TrimProcess(IReleasableCaches? caches)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        caches?.ReleaseCaches();
        NativeHeap.Trim();
    }

    /// <summary>How often the allocation counters are looked at.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>Allocated since the last trim (or start) before a trim is considered: 256 MiB.</summary>
    public const long BurstBytes = 256L * 1024 * 1024;

    /// <summary>At most this allocated during the last tick for the server to count as quiet: 8 MiB.</summary>
    public const long QuietBytes = 8L * 1024 * 1024;

    /// <summary>Committed beyond the heap's size at the last collection before a trim is worth it: 64 MiB.</summary>
    public const long SlackBytes = 64L * 1024 * 1024;

    /// <summary>Whether the trimmer runs (<c>STRATUS_HEAP_TRIM=0</c> turns it off).</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable("STRATUS_HEAP_TRIM") is not "0";

    /// <summary>How many trims ran.</summary>
    public int Trims => Volatile.Read(ref _trims);

    private int _trims;

    /// <summary>
    /// Whether to trim now: a burst since the last trim, a quiet last tick, and enough committed
    /// memory beyond the live heap to give back.
    /// </summary>
    public static bool ShouldTrim(long allocatedSinceTrim, long allocatedLastTick, long committedBytes, long heapSizeBytes) =>
        allocatedSinceTrim >= BurstBytes && allocatedLastTick <= QuietBytes && committedBytes - heapSizeBytes >= SlackBytes;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_tick);
        var atTrim = _sample().Allocated;
        var last = atTrim;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var sample = _sample();
                var now = sample.Allocated;
                if (ShouldTrim(now - atTrim, now - last, sample.Committed, sample.HeapSize))
                {
                    _trim();
                    Interlocked.Increment(ref _trims);
                    var after = _sample();
                    now = after.Allocated;
                    atTrim = now;
                    if (_logger.IsEnabled(LogLevel.Debug))
                    {
                        _logger.LogDebug("Heap trimmed: committed {Before} -> {After} bytes, live {Live} bytes", sample.Committed, after.Committed, after.HeapSize);
                    }
                }
                last = now;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>The C allocator of the process (glibc's malloc, which SQLite and the runtime's native parts use).</summary>
internal static partial class NativeHeap
{
    /// <summary>
    /// Returns the allocator's free memory to the system (<c>malloc_trim(0)</c>: free pages inside
    /// its arenas too, not only at their tops). Nothing on a C library without it.
    /// </summary>
    public static void Trim()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no malloc_trim): its free memory stays with the process.
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
