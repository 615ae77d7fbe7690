namespace Stratus.Server.Operations;

/// <summary>An instance runtime the host program considered, and what this host lacks for it (empty: usable).</summary>
public sealed record RuntimeCandidate(string Name, IReadOnlyList<string> Missing)
{
    public bool Available => Missing.Count == 0;
}

/// <summary>A guest image on the host. <paramref name="Kernel"/>: "ready", "pending" (built without it; the microVM runtime builds it) or "none".</summary>
public sealed record ImageSummary(string Name, string? Origin, string Kernel, long? DiskBytes, DateTime BuiltAt);

/// <summary>Work the host does in the background (a guest kernel build, say). <paramref name="State"/>: idle, queued, running, done, failed.</summary>
public sealed record BackgroundWork(string Name, string State, string? Detail, DateTime? StartedAt);

/// <summary>
/// What the host program (<c>stratus serve</c>) knows about the host beyond the control plane:
/// which runtime it chose and why not the others, the guest images, background work. Shown by
/// <c>GET /_stratus/status</c> and <c>stratus status</c>.
/// </summary>
public sealed record HostReport
{
    /// <summary>The <c>--runtime</c> asked for (auto, container, microvm, mock).</summary>
    public string RuntimeRequested { get; init; } = "auto";

    /// <summary>Why the runtime in use was chosen.</summary>
    public string RuntimeNote { get; init; } = "";

    /// <summary>Every runtime considered, in order of preference.</summary>
    public IReadOnlyList<RuntimeCandidate> Candidates { get; init; } = [];

    /// <summary>How guests are networked ("none" for the mock runtime).</summary>
    public string Network { get; init; } = "none";

    /// <summary>The microVM accelerator when known (kvm, tcg), else null.</summary>
    public Func<string?> Accelerator { get; init; } = () => null;

    public string? ImageDirectory { get; init; }

    public Func<IReadOnlyList<ImageSummary>> Images { get; init; } = () => [];

    public Func<IReadOnlyList<BackgroundWork>> BackgroundWork { get; init; } = () => [];
}
