using System.Diagnostics;
using System.Globalization;

namespace Stratus.Runtime.MicroVm;

/// <summary>Runs host tools and looks at host processes through /proc.</summary>
internal static class HostProcess
{
    /// <summary>Runs <paramref name="file"/> to completion; throws with its stderr when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var output = await stdout.ConfigureAwait(false);
        var error = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', info.ArgumentList)} failed ({process.ExitCode}): {error.Trim()}");
        }
        return output;
    }

    /// <summary>The command line of process <paramref name="pid"/>, or null when it is gone or a zombie.</summary>
    public static string? CommandLine(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat.LastIndexOf(')') is var close and > 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
            if (state is 'Z' or 'X')
            {
                return null;
            }
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every live process whose command line contains <paramref name="needle"/>: (pid, command line).</summary>
    public static IEnumerable<(int Pid, string CommandLine)> Find(string needle)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            if (CommandLine(pid) is { } commandLine && commandLine.Contains(needle, StringComparison.Ordinal))
            {
                yield return (pid, commandLine);
            }
        }
    }

    /// <summary>Sends SIGKILL to <paramref name="pid"/> (no error when it is already gone).</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    /// <summary>Waits until <paramref name="alive"/> turns false or <paramref name="timeout"/> passes; true when it ended.</summary>
    public static async Task<bool> WaitUntilGoneAsync(Func<bool> alive, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (alive())
        {
            if (deadline.Elapsed >= timeout)
            {
                return false;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }
}
