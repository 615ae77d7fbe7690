using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stratus.Runtime.MicroVm;

/// <summary>
/// A minimal client of QEMU's machine protocol over its Unix socket: one connection per command
/// (greeting, <c>qmp_capabilities</c>, the command, its answer; asynchronous events in between are
/// skipped). A connection per command keeps nothing open across a restart of Stratus.
/// </summary>
internal static class QmpClient
{
    /// <summary>Runs <paramref name="command"/> and returns its <c>return</c> value; throws on an error answer or a closed socket.</summary>
    public static async Task<JsonNode?> ExecuteAsync(string socketPath, string command, JsonObject? arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var ct = timeoutSource.Token;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var greeting = await ReadMessageAsync(reader, ct).ConfigureAwait(false);
        if (greeting["QMP"] is null)
        {
            throw new IOException("QMP: no greeting");
        }
        await SendAsync(stream, "qmp_capabilities", null, ct).ConfigureAwait(false);
        await ReadAnswerAsync(reader, "qmp_capabilities", ct).ConfigureAwait(false);
        await SendAsync(stream, command, arguments, ct).ConfigureAwait(false);
        return await ReadAnswerAsync(reader, command, ct).ConfigureAwait(false);
    }

    private static async Task SendAsync(NetworkStream stream, string command, JsonObject? arguments, CancellationToken ct)
    {
        var message = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            message["arguments"] = arguments;
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(message.ToJsonString() + "\n"), ct).ConfigureAwait(false);
    }

    private static async Task<JsonNode?> ReadAnswerAsync(StreamReader reader, string command, CancellationToken ct)
    {
        while (true)
        {
            var message = await ReadMessageAsync(reader, ct).ConfigureAwait(false);
            if (message["error"] is JsonObject error)
            {
                throw new InvalidOperationException($"QMP {command}: {error["class"]}: {error["desc"]}");
            }
            if (message.ContainsKey("return"))
            {
                return message["return"];
            }
            // an event ({"event": ...}) interleaved with the answer
        }
    }

    private static async Task<JsonObject> ReadMessageAsync(StreamReader reader, CancellationToken ct)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(ct).ConfigureAwait(false) ?? throw new IOException("QMP: connection closed");
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            try
            {
                if (JsonNode.Parse(line) is JsonObject message)
                {
                    return message;
                }
            }
            catch (JsonException)
            {
            }
            throw new IOException($"QMP: unexpected message {line}");
        }
    }
}
