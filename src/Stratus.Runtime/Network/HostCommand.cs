using System.Diagnostics;
using System.Text;

namespace Stratus.Runtime.Network;

/// <summary>The result of a host command.</summary>
internal sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>How many host commands a piece of work started (see <see cref="HostCommand.Count"/>).</summary>
internal sealed class CommandTally(CommandTally? parent)
{
    private int _value;

    public int Value => Volatile.Read(ref _value);

    public void Add()
    {
        for (var tally = this; tally is not null; tally = tally.Parent)
        {
            Interlocked.Increment(ref tally._value);
        }
    }

    private CommandTally? Parent { get; } = parent;
}

/// <summary>Runs host tools (ip, nft, dnsmasq) and reports their failures with their own words.</summary>
internal static class HostCommand
{
    private static readonly AsyncLocal<CommandTally?> Current = new();

    /// <summary>
    /// Counts the commands started from here on in this asynchronous flow (what the caller awaits),
    /// until the calling async method returns; a tally started inside another adds to it as well.
    /// </summary>
    public static CommandTally Count() => Current.Value = new CommandTally(Current.Value);

    /// <summary>Runs the command and throws, with its stderr, when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string? input = null, CancellationToken cancellationToken = default)
    {
        var args = arguments.ToList();
        var result = await TryAsync(file, args, input, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"'{Describe(file, args)}' failed with exit code {result.ExitCode}: {result.StandardError.Trim()}");
        }
        return result.StandardOutput;
    }

    /// <summary>Runs the command and returns how it went, whatever that was.</summary>
    public static async Task<CommandResult> TryAsync(string file, IEnumerable<string> arguments, string? input = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Current.Value?.Add();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            throw;
        }
        return new CommandResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static string Describe(string file, IEnumerable<string> arguments) => string.Join(' ', arguments.Prepend(file));
}
