using System.Collections;
using System.Formats.Cbor;
using Stratus.Core;
using Stratus.Protocol.Json;
using Stratus.Protocol.Model;

namespace Stratus.Protocol.Cbor;

/// <summary>
/// Smithy RPC v2 CBOR (<c>smithy-rpc-v2-cbor</c>: CloudWatch's Go SDK v2 / Terraform path,
/// <c>POST /service/&lt;TargetPrefix&gt;/operation/&lt;Op&gt;</c> with <c>Smithy-Protocol: rpc-v2-cbor</c>).
/// Bodies are CBOR maps keyed by member name; timestamps are tag 1 (epoch seconds), blobs byte
/// strings; definite and indefinite lengths are read, unknown members ignored. Responses carry
/// <c>Smithy-Protocol: rpc-v2-cbor</c> and <c>application/cbor</c>; errors are maps with
/// <c>__type</c> and <c>message</c>, plus <c>x-amzn-query-error</c> for query-compatible services.
/// </summary>
public sealed class CborCodec : IProtocolCodec
{
    public const string ContentType = "application/cbor";

    public static CborCodec Instance { get; } = new();

    public string Protocol => "smithy-rpc-v2-cbor";

    public object ParseInput(ServiceInfo service, OperationInfo operation, WireRequest request) =>
        operation.Input is { } input ? Parse(service, input, request.Body) : ProtocolCodecs.NoInput;

    public static object Parse(ServiceInfo service, ShapeInfo input, ReadOnlyMemory<byte> body)
    {
        var rules = InputRules.For(service, "smithy-rpc-v2-cbor");
        if (body.IsEmpty)
        {
            var empty = input.CreateStructure();
            rules.CheckRequired(input, empty, null);
            return empty;
        }
        var reader = new CborReader(body, CborConformanceMode.Strict); // Strict: text must be valid UTF-8, map keys unique
        try
        {
            var value = ReadStructure(rules, input, reader, null);
            if (reader.BytesRemaining != 0)
            {
                throw InputRules.Serialization("The request body has data after its CBOR value.");
            }
            return value;
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw InputRules.Serialization("The request body is not a valid CBOR document for this operation.");
        }
    }

    private static object ReadStructure(InputRules rules, ShapeInfo shape, CborReader r, string? path)
    {
        if (r.PeekState() != CborReaderState.StartMap)
        {
            throw WrongType(shape, path);
        }
        var target = shape.CreateStructure();
        r.ReadStartMap();
        while (r.PeekState() != CborReaderState.EndMap)
        {
            var name = r.ReadTextString();
            if (shape.FindByName(name) is not { } member)
            {
                r.SkipValue();
                continue;
            }
            if (r.PeekState() == CborReaderState.Null || r.PeekState() == CborReaderState.SimpleValue)
            {
                r.SkipValue();
                continue;
            }
            member.SetValue(target, ReadValue(rules, member.Shape, r, rules.MemberPath(path, member, member.Name)));
        }
        r.ReadEndMap();
        rules.CheckRequired(shape, target, path);
        return target;
    }

    private static object? ReadValue(InputRules rules, ShapeInfo shape, CborReader r, string path)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                return ReadStructure(rules, shape, r, path);
            case ShapeKind.List:
                {
                    if (r.PeekState() != CborReaderState.StartArray)
                    {
                        throw WrongType(shape, path);
                    }
                    var list = shape.CreateList();
                    r.ReadStartArray();
                    var i = 0;
                    while (r.PeekState() != CborReaderState.EndArray)
                    {
                        i++;
                        if (r.PeekState() is CborReaderState.Null or CborReaderState.SimpleValue)
                        {
                            r.SkipValue();
                            continue;
                        }
                        list.Add(ReadValue(rules, shape.Element, r, $"{path}.{i}.member"));
                    }
                    r.ReadEndArray();
                    rules.CheckLength(shape, list.Count, path);
                    return list;
                }
            case ShapeKind.Map:
                {
                    if (r.PeekState() != CborReaderState.StartMap)
                    {
                        throw WrongType(shape, path);
                    }
                    var map = shape.CreateMap();
                    r.ReadStartMap();
                    while (r.PeekState() != CborReaderState.EndMap)
                    {
                        var key = rules.CheckString(shape.Key, r.ReadTextString(), $"{path}.key");
                        if (r.PeekState() is CborReaderState.Null or CborReaderState.SimpleValue)
                        {
                            r.SkipValue();
                            continue;
                        }
                        map[key] = ReadValue(rules, shape.Value, r, $"{path}.{key}.value");
                    }
                    r.ReadEndMap();
                    rules.CheckLength(shape, map.Count, path);
                    return map;
                }
            case ShapeKind.String:
                return r.PeekState() == CborReaderState.TextString ? rules.CheckString(shape, r.ReadTextString(), path) : throw WrongType(shape, path);
            case ShapeKind.Integer:
                return rules.CheckRange(shape, checked((int)ReadInteger(shape, r, path)), path);
            case ShapeKind.Long:
                return rules.CheckRange(shape, ReadInteger(shape, r, path), path);
            case ShapeKind.Double:
                return rules.CheckRange(shape, ReadDouble(shape, r, path), path);
            case ShapeKind.Float:
                return rules.CheckRange(shape, (float)ReadDouble(shape, r, path), path);
            case ShapeKind.Boolean:
                return r.PeekState() == CborReaderState.Boolean ? r.ReadBoolean() : throw WrongType(shape, path);
            case ShapeKind.Timestamp:
                {
                    if (r.PeekState() == CborReaderState.Tag)
                    {
                        if (r.ReadTag() != CborTag.UnixTimeSeconds)
                        {
                            throw WrongType(shape, path);
                        }
                    }
                    var seconds = ReadDouble(shape, r, path);
                    return seconds is > -62135596800 and < 253402300799 ? JsonCodec.FromEpochSeconds(seconds) : throw WrongType(shape, path);
                }
            case ShapeKind.Blob:
                return r.PeekState() == CborReaderState.ByteString ? r.ReadByteString() : throw WrongType(shape, path);
            default:
                throw new InvalidOperationException($"{shape} has no CBOR form");
        }
    }

    private static long ReadInteger(ShapeInfo shape, CborReader r, string path) => r.PeekState() switch
    {
        CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => r.ReadInt64(),
        _ => throw WrongType(shape, path),
    };

    private static double ReadDouble(ShapeInfo shape, CborReader r, string path) => r.PeekState() switch
    {
        CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger => r.ReadInt64(),
        CborReaderState.HalfPrecisionFloat or CborReaderState.SinglePrecisionFloat or CborReaderState.DoublePrecisionFloat => r.ReadDouble(),
        _ => throw WrongType(shape, path),
    };

    private static AwsException WrongType(ShapeInfo shape, string? path) =>
        InputRules.Serialization($"The value at '{path ?? "(body)"}' is not a valid {shape.Kind.ToString().ToLowerInvariant()}.");

    public WireResponse WriteOutput(ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        var w = new CborWriter(CborConformanceMode.Lax, convertIndefiniteLengthEncodings: false);
        if (operation.Output is { } shape && output is not null)
        {
            WriteStructure(w, shape, output);
        }
        else
        {
            w.WriteStartMap(0);
            w.WriteEndMap();
        }
        // Encoded straight into a pooled segment: no array of the response's size is allocated.
        using var buffer = new SegmentedBuffer();
        buffer.Advance(w.Encode(buffer.GetSpan(w.BytesWritten)));
        return new(200, ContentType, buffer.ToBody(), Headers(requestId));
    }

    /// <summary>The CBOR encoding of a value of a structure shape.</summary>
    public static byte[] Serialize(ShapeInfo shape, object value)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        WriteStructure(w, shape, value);
        return w.Encode();
    }

    public WireResponse WriteError(ServiceInfo service, AwsException error, string requestId)
    {
        var w = new CborWriter(CborConformanceMode.Lax);
        w.WriteStartMap(2);
        w.WriteTextString("__type");
        w.WriteTextString(JsonCodec.ErrorType(service, error));
        w.WriteTextString("message");
        w.WriteTextString(Text(error.Message));
        w.WriteEndMap();
        var headers = new List<KeyValuePair<string, string>>(Headers(requestId));
        if (service.AwsQueryCompatible)
        {
            headers.Add(new("x-amzn-query-error", $"{error.Code};{(error.StatusCode >= 500 ? "Receiver" : "Sender")}"));
        }
        return new(error.StatusCode, ContentType, w.Encode(), headers);
    }

    private static KeyValuePair<string, string>[] Headers(string requestId) =>
        [new("Smithy-Protocol", "rpc-v2-cbor"), new("x-amzn-RequestId", requestId)];

    private static void WriteStructure(CborWriter w, ShapeInfo shape, object value)
    {
        var count = 0;
        foreach (var member in shape.Members)
        {
            if (member.GetValue(value) is not null)
            {
                count++;
            }
        }
        w.WriteStartMap(count);
        foreach (var member in shape.Members)
        {
            if (member.GetValue(value) is { } v)
            {
                w.WriteTextString(member.Name);
                WriteValue(w, member.Shape, v);
            }
        }
        w.WriteEndMap();
    }

    private static void WriteValue(CborWriter w, ShapeInfo shape, object value)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                WriteStructure(w, shape, value);
                break;
            case ShapeKind.List:
                {
                    var items = (IList)value;
                    w.WriteStartArray(items.Count);
                    foreach (var item in items)
                    {
                        if (item is null)
                        {
                            w.WriteNull();
                        }
                        else
                        {
                            WriteValue(w, shape.Element, item);
                        }
                    }
                    w.WriteEndArray();
                    break;
                }
            case ShapeKind.Map:
                {
                    var map = (IDictionary)value;
                    var count = 0;
                    foreach (DictionaryEntry entry in map)
                    {
                        if (entry.Value is not null)
                        {
                            count++;
                        }
                    }
                    w.WriteStartMap(count);
                    foreach (DictionaryEntry entry in map)
                    {
                        if (entry.Value is not null)
                        {
                            w.WriteTextString(Text((string)entry.Key));
                            WriteValue(w, shape.Value, entry.Value);
                        }
                    }
                    w.WriteEndMap();
                    break;
                }
            case ShapeKind.String:
                w.WriteTextString(Text((string)value));
                break;
            case ShapeKind.Boolean:
                w.WriteBoolean((bool)value);
                break;
            case ShapeKind.Integer:
                w.WriteInt32((int)value);
                break;
            case ShapeKind.Long:
                w.WriteInt64((long)value);
                break;
            case ShapeKind.Double:
                w.WriteDouble((double)value);
                break;
            case ShapeKind.Float:
                w.WriteSingle((float)value);
                break;
            case ShapeKind.Timestamp:
                w.WriteTag(CborTag.UnixTimeSeconds);
                w.WriteDouble(JsonCodec.ToEpochSeconds((DateTime)value));
                break;
            case ShapeKind.Blob:
                w.WriteByteString((byte[])value);
                break;
            default:
                throw new InvalidOperationException($"{shape} has no CBOR form");
        }
    }

    /// <summary>Unpaired surrogates have no UTF-8 form; they become U+FFFD.</summary>
    private static string Text(string s)
    {
        foreach (var c in s)
        {
            if (char.IsSurrogate(c))
            {
                return JsonCodec.ReplaceLoneSurrogates(s);
            }
        }
        return s;
    }
}
