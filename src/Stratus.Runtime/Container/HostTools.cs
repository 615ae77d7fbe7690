using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Stratus.Runtime.Container;

/// <summary>A host command that failed.</summary>
public sealed class HostCommandException(string message) : Exception(message);

/// <summary>Runs host tools and the few system calls the container runtime needs.</summary>
internal static partial class HostTools
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>
    /// The number of a signal named as in an image manifest: "SIGTERM", "TERM", "SIGRTMIN+3" (glibc's
    /// SIGRTMIN is 34) or a number; null when it is none of these.
    /// </summary>
    public static int? SignalNumber(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }
        var n = name.Trim().ToUpperInvariant();
        if (int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number is > 0 and < 65 ? number : null;
        }
        n = n.StartsWith("SIG", StringComparison.Ordinal) ? n[3..] : n;
        if (n.StartsWith("RTMIN", StringComparison.Ordinal))
        {
            var offset = 0;
            if (n.Length > 5 && (n[5] != '+' || !int.TryParse(n[6..], NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
            {
                return null;
            }
            return offset <= 30 ? 34 + offset : null;
        }
        return n switch
        {
            "HUP" => 1,
            "INT" => 2,
            "QUIT" => 3,
            "KILL" => SigKill,
            "USR1" => 10,
            "USR2" => 12,
            "TERM" => SigTerm,
            "PWR" => 30,
            _ => null,
        };
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/>; returns its standard output, throws on a non-zero exit unless <paramref name="check"/> is false.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        string file, IEnumerable<string> arguments, CancellationToken cancellationToken, bool check = true)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new HostCommandException($"{file} could not be started");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKillProcess(process);
            throw;
        }
        var result = (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        if (check && result.ExitCode != 0)
        {
            throw new HostCommandException(Describe(file, info.ArgumentList, result.ExitCode, result.Item3.Trim()));
        }
        return result;
    }

    public static string Describe(string file, IEnumerable<string> arguments, int exitCode, string error) =>
        $"{file} {string.Join(' ', arguments)} exited with {exitCode.ToString(CultureInfo.InvariantCulture)}{(error.Length == 0 ? "" : ": " + error)}";

    private static void TryKillProcess(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>The directory of <paramref name="program"/> on PATH, or null.</summary>
    public static string? Which(string program)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var end = stat.LastIndexOf(')');
            var state = end >= 0 && end + 2 < stat.Length ? stat[end + 2] : '?';
            return state is not ('Z' or 'X');
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

    /// <summary>The process's start time in clock ticks since boot (tells a process from a later one with the same PID), or null.</summary>
    public static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Field 22 of stat; fields[0] is field 3 (state).
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process no longer exists.</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    public static bool IsRoot() => GetEffectiveUserId() == 0;

    /// <summary>Mount points at or under <paramref name="directory"/>, deepest first.</summary>
    public static IReadOnlyList<string> MountsUnder(string directory)
    {
        var prefix = directory.TrimEnd('/');
        var mounts = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length < 5)
            {
                continue;
            }
            var mountPoint = Unescape(fields[4]);
            if (mountPoint == prefix || mountPoint.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                mounts.Add(mountPoint);
            }
        }
        return mounts.Distinct(StringComparer.Ordinal).OrderByDescending(m => m.Length).ToList();
    }

    /// <summary>True when an overlay mount has its upper layer in <paramref name="directory"/>.</summary>
    public static bool OverlaysWithUpperIn(string directory)
    {
        var upper = "upperdir=" + directory.TrimEnd('/') + "/";
        return File.ReadLines("/proc/self/mountinfo").Any(l => l.Contains(" overlay ", StringComparison.Ordinal) && l.Contains(upper, StringComparison.Ordinal));
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var builder = new StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }
        return builder.ToString();
    }

    /// <summary>Mounts an overlay filesystem.</summary>
    public static void MountOverlay(string lower, string upper, string work, string target)
    {
        var options = $"lowerdir={lower},upperdir={upper},workdir={work}";
        if (Mount("overlay", target, "overlay", 0, options) != 0)
        {
            throw new HostCommandException($"mounting the overlay on {target} ({options}) failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>Unmounts <paramref name="target"/> (lazily when busy); false when it was not mounted.</summary>
    public static bool Unmount(string target)
    {
        if (Umount2(target, 0) == 0)
        {
            return true;
        }
        const int Busy = 16;
        return Marshal.GetLastPInvokeError() == Busy && Umount2(target, 2 /* MNT_DETACH */) == 0;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Mount(string source, string target, string fileSystemType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);
}
