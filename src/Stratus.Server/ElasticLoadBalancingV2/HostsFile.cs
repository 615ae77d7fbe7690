using System.Text;
using Microsoft.Extensions.Logging;

namespace Stratus.Server.ElasticLoadBalancingV2;

/// <summary>
/// Keeps the load balancers' DNS names resolvable on the host: a block of the hosts file between
/// marker lines owned by this server (its data directory and process id) maps each name to the
/// load balancer's address. The file is rewritten atomically (temporary file and rename; in place
/// when the file is a mount point that cannot be replaced), the block is removed at shutdown, and
/// blocks of servers no longer running are removed at start.
/// </summary>
internal sealed class HostsFile(string path, string dataDirectory, ILogger<HostsFile> log)
{
    private const string Begin = "# BEGIN stratus load balancers", End = "# END stratus load balancers";
    private readonly string _owner = $"dir={Path.GetFullPath(dataDirectory)} pid={Environment.ProcessId}";
    private string? _written;

    /// <summary>Removes blocks of this data directory and of servers that are gone.</summary>
    public void Clean() => Rewrite(block => block.Contains($"dir={Path.GetFullPath(dataDirectory)} ", StringComparison.Ordinal) || !OwnerAlive(block), null);

    public void Write(IReadOnlyList<(string DnsName, string Address)> names)
    {
        var body = string.Concat(names.OrderBy(n => n.DnsName, StringComparer.Ordinal).Select(n => $"{n.Address}\t{n.DnsName}\n"));
        if (body == _written)
        {
            return;
        }
        Rewrite(block => block.Contains(_owner, StringComparison.Ordinal), names.Count == 0 ? null : $"{Begin} {_owner}\n{body}{End} {_owner}\n");
        _written = body;
    }

    public void Remove()
    {
        Rewrite(block => block.Contains(_owner, StringComparison.Ordinal), null);
        _written = null;
    }

    private FileStream Lock()
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            try
            {
                return new FileStream(path + ".stratus-lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static bool OwnerAlive(string beginLine)
    {
        var at = beginLine.LastIndexOf(" pid=", StringComparison.Ordinal);
        if (at < 0 || !int.TryParse(beginLine.AsSpan(at + 5), out var pid))
        {
            return false;
        }
        return Directory.Exists($"/proc/{pid}");
    }

    private void Rewrite(Func<string, bool> drop, string? add)
    {
        try
        {
            // Servers sharing the host take turns (an advisory lock beside the file).
            using var turn = Lock();
            var lines = File.Exists(path) ? File.ReadAllLines(path) : [];
            var output = new StringBuilder();
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].StartsWith(Begin, StringComparison.Ordinal) && drop(lines[i]))
                {
                    while (i < lines.Length && !lines[i].StartsWith(End, StringComparison.Ordinal))
                    {
                        i++;
                    }
                    continue;
                }
                output.Append(lines[i]).Append('\n');
            }
            if (add is not null)
            {
                output.Append(add);
            }
            var text = output.ToString();
            if (File.Exists(path) && File.ReadAllText(path) == text)
            {
                return;
            }
            var temporary = path + ".stratus-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                File.WriteAllText(temporary, text);
                File.Move(temporary, path, overwrite: true);
            }
            catch (IOException)
            {
                File.Delete(temporary);
                File.WriteAllText(path, text);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("cannot update {Path} for load balancer names: {Error}", path, e.Message);
        }
    }
}
