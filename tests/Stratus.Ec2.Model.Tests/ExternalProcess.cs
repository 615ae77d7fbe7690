using System.Diagnostics;

namespace Stratus.Ec2.Model.Tests;

/// <summary>Runs a client-side script and returns its standard output; a missing tool fails the test.</summary>
internal static class ExternalProcess
{
    public static string Run(string fileName, IEnumerable<string> arguments, string workingDirectory, string? input = null, int timeoutSeconds = 300)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{fileName} is required for this test and could not be started: {e.Message}. Run scripts/install-deps.sh.", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (input is not null)
            {
                process.StandardInput.Write(input);
            }
            process.StandardInput.Close();
            if (!process.WaitForExit(timeoutSeconds * 1000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish in {timeoutSeconds} s");
            }
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result}");
            }
            return stdout.Result;
        }
    }

    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !(Directory.Exists(Path.Combine(dir.FullName, "spec")) && Directory.Exists(Path.Combine(dir.FullName, "src"))))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("tests must run inside the repository");
    }
}
