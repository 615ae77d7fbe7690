using System.Diagnostics;
using System.Text.Json;

namespace Stratus.Runtime.Container;

/// <summary>The host's cgroup layout, as crun needs to know it.</summary>
internal enum CgroupLayout
{
    /// <summary>cgroup v2 only (<c>/sys/fs/cgroup/cgroup.controllers</c> exists).</summary>
    Unified,

    /// <summary>cgroup v1 controllers, no v2 hierarchy mounted.</summary>
    Legacy,

    /// <summary>cgroup v1 controllers plus a v2 hierarchy at <c>/sys/fs/cgroup/unified</c>, which crun 1.8 refuses to work with.</summary>
    Hybrid,
}

/// <summary>A crun container as <c>crun state</c> reports it.</summary>
internal sealed record CrunState(string Id, int Pid, string Status, string Bundle);

/// <summary>Runs crun. On a hybrid cgroup host crun runs in a private mount namespace where the v2 hierarchy is unmounted.</summary>
internal static class Crun
{
    private const string UnifiedMount = "/sys/fs/cgroup/unified";

    public static CgroupLayout Layout { get; } = DetectLayout();

    private static CgroupLayout DetectLayout()
    {
        if (File.Exists("/sys/fs/cgroup/cgroup.controllers"))
        {
            return CgroupLayout.Unified;
        }
        return File.Exists(Path.Combine(UnifiedMount, "cgroup.controllers")) ? CgroupLayout.Hybrid : CgroupLayout.Legacy;
    }

    /// <summary>The cgroup directories of <paramref name="cgroupsPath"/> (one per v1 controller, or the one v2 directory).</summary>
    public static IReadOnlyList<string> CgroupDirectories(string cgroupsPath) => Layout == CgroupLayout.Unified
        ? [Path.Combine("/sys/fs/cgroup", cgroupsPath)]
        : Directory.EnumerateDirectories("/sys/fs/cgroup")
            .Where(d => Path.GetFileName(d) != "unified")
            .Select(d => Path.Combine(d, cgroupsPath))
            .ToList();

    /// <summary>The file and arguments that run crun with <paramref name="arguments"/> on this host.</summary>
    public static (string File, IReadOnlyList<string> Arguments) Command(IEnumerable<string> arguments) => Layout == CgroupLayout.Hybrid
        ? ("unshare", ["--mount", "--propagation", "private", "/bin/sh", "-c", $"umount {UnifiedMount} 2>/dev/null; exec crun \"$@\"", "crun", .. arguments])
        : ("crun", [.. arguments]);

    public static async Task<string> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var (file, args) = Command(arguments);
        var (_, output, _) = await HostTools.RunAsync(file, args, cancellationToken).ConfigureAwait(false);
        return output;
    }

    /// <summary>
    /// Runs the container under a supervisor: <c>setsid sh</c> (its own session, not a child of
    /// Stratus, so it outlives a restart of Stratus) runs <c>crun run</c> in the foreground with
    /// standard input from /dev/null and the container's output and errors (crun's own included)
    /// appended to <paramref name="console"/>, and writes crun's exit status (the init's: 129 when
    /// the guest rebooted, 130 when it powered off) to <paramref name="exitFile"/> once crun has
    /// removed the container. Before crun it makes the FIFO <paramref name="consoleFifo"/> (the
    /// container's /dev/console) and a <c>cat</c> that appends what arrives there to the console
    /// too; the cat holds the FIFO open for reading and writing, so writers never block and it
    /// never sees an end, and the supervisor ends it after crun. Returns once the init runs, with its PID.
    /// </summary>
    public static async Task<int> RunSupervisedAsync(string id, string bundle, string pidFile, string exitFile, string supervisorPidFile, string console,
        string consoleFifo, CancellationToken cancellationToken)
    {
        File.Delete(pidFile);
        File.Delete(exitFile);
        File.Delete(supervisorPidFile);
        var offset = File.Exists(console) ? new FileInfo(console).Length : 0;
        var (file, args) = Command(["run", "--no-new-keyring", "--pid-file", pidFile, "--bundle", bundle, id]);
        const string Supervisor = "exec </dev/null >>\"$1\" 2>&1; echo $$ >\"$3\"; exit_file=$2; fifo=$4; shift 4; " +
            "rm -f \"$fifo\"; reader=; if mkfifo -m 600 \"$fifo\"; then cat <>\"$fifo\" & reader=$!; fi; " +
            "\"$@\"; rc=$?; if [ -n \"$reader\" ]; then kill $reader; wait $reader; fi; rm -f \"$fifo\"; " +
            "echo $rc >\"$exit_file.tmp\"; mv -f \"$exit_file.tmp\" \"$exit_file\"";
        await HostTools.RunAsync("setsid", ["-f", "/bin/sh", "-c", Supervisor, "sh", console, exitFile, supervisorPidFile, consoleFifo, file, .. args], cancellationToken).ConfigureAwait(false);

        var deadline = Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency);
        var delay = 1;
        while (true)
        {
            if (ReadPid(pidFile) is { } pid && !IsCrun(pid))
            {
                return pid;
            }
            if (File.Exists(exitFile))
            {
                throw new HostCommandException($"crun run {id} failed (exit {File.ReadAllText(exitFile).Trim()}): {ReadFrom(console, offset)}".Trim());
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new HostCommandException($"crun run {id} did not start the init within 30 s: {ReadFrom(console, offset)}".Trim());
            }
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 20);
        }
    }

    /// <summary>The exit status the supervisor recorded, or null when it has not (yet).</summary>
    public static int? ReadExitStatus(string exitFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(exitFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static int? ReadPid(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>True while <paramref name="pid"/> is still crun's side of the container, before it execs the init.</summary>
    private static bool IsCrun(int pid)
    {
        try
        {
            var exe = new FileInfo($"/proc/{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}/exe").LinkTarget;
            return exe is not null && Path.GetFileName(exe) == "crun" && HostTools.IsAlive(pid);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string ReadFrom(string path, long offset)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Max(offset, stream.Length - 4096), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The state of container <paramref name="id"/>, or null when crun has none.</summary>
    public static async Task<CrunState?> StateAsync(string id, CancellationToken cancellationToken)
    {
        var (file, args) = Command(["state", id]);
        var (exit, output, _) = await HostTools.RunAsync(file, args, cancellationToken, check: false).ConfigureAwait(false);
        return exit == 0 ? Parse(output) : null;
    }

    /// <summary>Every container crun knows on this host.</summary>
    public static async Task<IReadOnlyList<CrunState>> ListAsync(CancellationToken cancellationToken)
    {
        var (file, args) = Command(["list", "--format", "json"]);
        var (exit, output, _) = await HostTools.RunAsync(file, args, cancellationToken, check: false).ConfigureAwait(false);
        if (exit != 0 || string.IsNullOrWhiteSpace(output))
        {
            return [];
        }
        using var document = JsonDocument.Parse(output);
        return document.RootElement.ValueKind != JsonValueKind.Array
            ? []
            : document.RootElement.EnumerateArray().Select(e => Parse(e.GetRawText())).OfType<CrunState>().ToList();
    }

    /// <summary>Removes container <paramref name="id"/>, killing what is left of it; no-op when crun has none.</summary>
    public static async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        var (file, args) = Command(["delete", "--force", id]);
        var (exit, _, error) = await HostTools.RunAsync(file, args, cancellationToken, check: false).ConfigureAwait(false);
        if (exit != 0 && await StateAsync(id, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new HostCommandException(HostTools.Describe("crun", ["delete", "--force", id], exit, error.Trim()));
        }
    }

    private static CrunState? Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return root.TryGetProperty("id", out var id)
            ? new CrunState(
                id.GetString() ?? "",
                root.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : 0,
                root.TryGetProperty("status", out var status) ? status.GetString() ?? "" : "",
                root.TryGetProperty("bundle", out var bundle) ? bundle.GetString() ?? "" : "")
            : null;
    }
}
