using System.Text;

namespace Stratus.Runtime.Images;

/// <summary>What the guest kernel build of this process is doing, for logs and <c>stratus status</c>.</summary>
/// <param name="State">"idle" (not needed yet), "building", "ready" or "failed".</param>
/// <param name="LastLine">The build's last progress line (or the error when it failed).</param>
public sealed record GuestKernelBuildState(string State, DateTime? StartedAt, DateTime? FinishedAt, string? LastLine, string? KernelPath);

/// <summary>
/// Builds the Stratus guest kernel once, when the microVM runtime first needs it (an image built
/// with <c>--skip-kernel</c> has none), in the background, and attaches it to every image that
/// waits for it. Concurrent callers share the one build; a failed build is retried by the next caller.
/// </summary>
public sealed class GuestKernelBuild
{
    private readonly object _gate = new();
    private readonly Func<GuestImageStore, TextWriter, ImageBuilder> _builder;
    private Task<string>? _build;
    private GuestKernelBuildState _state = new("idle", null, null, null, null);

    public GuestKernelBuild(Func<GuestImageStore, TextWriter, ImageBuilder>? builder = null) =>
        _builder = builder ?? ((store, progress) => new ImageBuilder(store, progress));

    /// <summary>The build of this process (one per process: the kernel cache is per host).</summary>
    public static GuestKernelBuild Shared { get; } = new();

    public GuestKernelBuildState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Starts the build unless it runs or is done; returns the kernel's path once built and attached.</summary>
    public Task<string> EnsureAsync(GuestImageStore store, Action<string> log)
    {
        lock (_gate)
        {
            if (_build is { IsFaulted: false, IsCanceled: false })
            {
                return _build;
            }
            _state = new GuestKernelBuildState("building", DateTime.UtcNow, null, "starting", null);
            _build = Task.Run(() => RunAsync(store, log));
            return _build;
        }
    }

    private async Task<string> RunAsync(GuestImageStore store, Action<string> log)
    {
        using var progress = new LineWriter(line =>
        {
            lock (_gate)
            {
                _state = _state with { LastLine = line.Trim() };
            }
            log(line.Trim());
        });
        try
        {
            var builder = _builder(store, progress);
            var kernel = await builder.CachedKernelAsync().ConfigureAwait(false);
            if (kernel is null)
            {
                log("guest kernel: building it for the microVM runtime (about 5-13 minutes on 2 cores, once; cached after)");
                kernel = await builder.BuildKernelAsync().ConfigureAwait(false);
            }
            var attached = builder.AttachKernel(kernel);
            log($"guest kernel: ready ({kernel}){(attached.Count > 0 ? "; attached to " + string.Join(", ", attached) : "")}");
            lock (_gate)
            {
                _state = new GuestKernelBuildState("ready", _state.StartedAt, DateTime.UtcNow, _state.LastLine, kernel);
            }
            return kernel;
        }
        catch (Exception e)
        {
            log($"guest kernel: build failed: {e.Message}");
            lock (_gate)
            {
                _state = new GuestKernelBuildState("failed", _state.StartedAt, DateTime.UtcNow, e.Message, null);
            }
            throw;
        }
    }

    /// <summary>A writer that hands each complete line to a callback.</summary>
    private sealed class LineWriter(Action<string> onLine) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    var line = _line.ToString();
                    _line.Clear();
                    onLine(line);
                }
                else if (value != '\r')
                {
                    _line.Append(value);
                }
            }
        }
    }
}
