using Stratus.Core;
using Stratus.Protocol.Model;

namespace Stratus.Protocol;

/// <summary>
/// An HTTP request as a protocol codec sees it, after routing: method, raw path, the decoded
/// query-string and (for form bodies) form parameters, headers (case-insensitive names) and the
/// raw body.
/// </summary>
public sealed record WireRequest(
    string Method,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Parameters,
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body);

/// <summary>
/// What a codec answers: status, content type, body and extra headers. The body may hold pooled
/// segments: whoever sends the response disposes it (<see cref="WireBody.Dispose"/>) once written.
/// </summary>
public sealed record WireResponse(
    int StatusCode,
    string ContentType,
    WireBody Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public static IReadOnlyList<KeyValuePair<string, string>> NoHeaders { get; } = [];
}

/// <summary>
/// One wire protocol (<c>ec2</c>, <c>query</c>, <c>json</c>, <c>smithy-rpc-v2-cbor</c>): reads an
/// operation's typed input from a request and writes its typed output or an error, by walking the
/// service model's shape descriptors. Codecs hold no state; the gateway picks one per request.
/// </summary>
public interface IProtocolCodec
{
    /// <summary>The model's protocol name this codec speaks.</summary>
    string Protocol { get; }

    /// <summary>Parses the operation's input; client mistakes throw <see cref="AwsException"/>.</summary>
    object ParseInput(ServiceInfo service, OperationInfo operation, WireRequest request);

    WireResponse WriteOutput(ServiceInfo service, OperationInfo operation, object? output, string requestId);

    WireResponse WriteError(ServiceInfo service, AwsException error, string requestId);
}
