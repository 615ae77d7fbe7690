using Stratus.Protocol.Cbor;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Json;
using Stratus.Protocol.Query;

namespace Stratus.Protocol;

/// <summary>The codec of each protocol name a model uses.</summary>
public static class ProtocolCodecs
{
    /// <summary>What <see cref="IProtocolCodec.ParseInput"/> returns for an operation without input.</summary>
    public static object NoInput { get; } = new();

    public static IReadOnlyList<IProtocolCodec> All { get; } = [Ec2Codec.Instance, QueryCodec.Instance, JsonCodec.Instance, CborCodec.Instance];

    /// <summary>The codec for <c>ec2</c>, <c>query</c>, <c>json</c> or <c>smithy-rpc-v2-cbor</c>; null for others.</summary>
    public static IProtocolCodec? For(string protocol) => protocol switch
    {
        "ec2" => Ec2Codec.Instance,
        "query" => QueryCodec.Instance,
        "json" => JsonCodec.Instance,
        "smithy-rpc-v2-cbor" => CborCodec.Instance,
        _ => null,
    };
}
