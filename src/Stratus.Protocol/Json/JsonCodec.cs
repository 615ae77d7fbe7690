using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Stratus.Core;
using Stratus.Protocol.Model;

namespace Stratus.Protocol.Json;

/// <summary>
/// AWS JSON 1.0 and 1.1 (<c>json</c>: Service Quotas, CloudWatch's boto3/CLI v2 path). The body is a
/// JSON object keyed by member <c>jsonName</c>, else <c>locationName</c>, else name; timestamps are
/// epoch seconds (numbers) unless the member's <c>timestampFormat</c> says otherwise, blobs base64,
/// NaN/Infinity as strings; unknown members are ignored. Responses are
/// <c>application/x-amz-json-&lt;jsonVersion&gt;</c>; errors are <c>{"__type": "Shape", "message": "…"}</c>
/// with the error's HTTP status, and for <c>awsQueryCompatible</c> services the query error code in
/// <c>x-amzn-query-error: Code;Sender</c>.
/// </summary>
public sealed class JsonCodec : IProtocolCodec
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };
    private static readonly JsonDocumentOptions ReaderOptions = new() { MaxDepth = 64 };

    public static JsonCodec Instance { get; } = new();

    public string Protocol => "json";

    public static string ContentType(ServiceInfo service) => "application/x-amz-json-" + (service.JsonVersion ?? "1.0");

    public object ParseInput(ServiceInfo service, OperationInfo operation, WireRequest request)
    {
        if (operation.Input is not { } input)
        {
            return ProtocolCodecs.NoInput;
        }
        return Parse(service, input, request.Body.Span);
    }

    public static object Parse(ServiceInfo service, ShapeInfo input, ReadOnlySpan<byte> body)
    {
        var rules = InputRules.For(service, "json");
        if (body.IsEmpty)
        {
            var empty = input.CreateStructure();
            rules.CheckRequired(input, empty, null);
            return empty;
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body.ToArray(), ReaderOptions);
        }
        catch (JsonException)
        {
            throw InputRules.Serialization("The request body is not valid JSON.");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw InputRules.Serialization("The request body must be a JSON object.");
            }
            try
            {
                return ReadStructure(rules, input, doc.RootElement, null);
            }
            catch (InvalidOperationException)
            {
                // A property name escaping an unpaired surrogate.
                throw InputRules.Serialization("The request body contains a name that is not valid UTF-16.");
            }
        }
    }

    private static object ReadStructure(InputRules rules, ShapeInfo shape, JsonElement element, string? path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw WrongType(shape, path);
        }
        var target = shape.CreateStructure();
        foreach (var property in element.EnumerateObject())
        {
            if (shape.FindByJsonName(property.Name) is not { } member || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            member.SetValue(target, ReadValue(rules, member, member.Shape, property.Value, rules.MemberPath(path, member, member.JsonName)));
        }
        rules.CheckRequired(shape, target, path);
        return target;
    }

    private static object? ReadValue(InputRules rules, MemberInfo? member, ShapeInfo shape, JsonElement element, string path)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                return ReadStructure(rules, shape, element, path);
            case ShapeKind.List:
                {
                    if (element.ValueKind != JsonValueKind.Array)
                    {
                        throw WrongType(shape, path);
                    }
                    var list = shape.CreateList();
                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        i++;
                        if (item.ValueKind != JsonValueKind.Null)
                        {
                            list.Add(ReadValue(rules, null, shape.Element, item, $"{path}.{i}.member"));
                        }
                    }
                    rules.CheckLength(shape, list.Count, path);
                    return list;
                }
            case ShapeKind.Map:
                {
                    if (element.ValueKind != JsonValueKind.Object)
                    {
                        throw WrongType(shape, path);
                    }
                    var map = shape.CreateMap();
                    foreach (var property in element.EnumerateObject())
                    {
                        var key = rules.CheckString(shape.Key, property.Name, $"{path}.key");
                        if (property.Value.ValueKind != JsonValueKind.Null)
                        {
                            map[key] = ReadValue(rules, null, shape.Value, property.Value, $"{path}.{key}.value");
                        }
                    }
                    rules.CheckLength(shape, map.Count, path);
                    return map;
                }
            default:
                return ReadScalar(rules, member, shape, element, path);
        }
    }

    private static object ReadScalar(InputRules rules, MemberInfo? member, ShapeInfo shape, JsonElement e, string path)
    {
        switch (shape.Kind)
        {
            case ShapeKind.String:
                return e.ValueKind == JsonValueKind.String ? rules.CheckString(shape, Text(rules, e, path), path) : throw WrongType(shape, path);
            case ShapeKind.Integer:
                return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i) ? rules.CheckRange(shape, i, path) : throw WrongType(shape, path);
            case ShapeKind.Long:
                return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var l) ? rules.CheckRange(shape, l, path) : throw WrongType(shape, path);
            case ShapeKind.Double:
                return rules.CheckRange(shape, ReadDouble(shape, e, path), path);
            case ShapeKind.Float:
                return rules.CheckRange(shape, (float)ReadDouble(shape, e, path), path);
            case ShapeKind.Boolean:
                return e.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw WrongType(shape, path),
                };
            case ShapeKind.Timestamp:
                if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var seconds) && seconds is > -62135596800 and < 253402300799)
                {
                    return FromEpochSeconds(seconds);
                }
                if (e.ValueKind == JsonValueKind.String && ProtocolFormats.TryParseTimestamp(e.GetString()!, out var t))
                {
                    return t;
                }
                throw WrongType(shape, path);
            case ShapeKind.Blob:
                if (e.ValueKind == JsonValueKind.String && e.TryGetBytesFromBase64(out var bytes))
                {
                    return bytes;
                }
                throw WrongType(shape, path);
            default:
                throw new InvalidOperationException($"{shape} is not a scalar ({member})");
        }
    }

    /// <summary>A JSON string; one escaping an unpaired surrogate (<c>"\ud800"</c>) is refused like any character XML cannot carry.</summary>
    private static string Text(InputRules rules, JsonElement e, string path)
    {
        try
        {
            return e.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw rules.CharacterError(path);
        }
    }

    private static double ReadDouble(ShapeInfo shape, JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d))
        {
            return d;
        }
        if (e.ValueKind == JsonValueKind.String)
        {
            switch (e.GetString())
            {
                case "NaN":
                    return double.NaN;
                case "Infinity":
                    return double.PositiveInfinity;
                case "-Infinity":
                    return double.NegativeInfinity;
            }
        }
        throw WrongType(shape, path);
    }

    internal static DateTime FromEpochSeconds(double seconds) =>
        DateTime.SpecifyKind(DateTime.UnixEpoch.AddTicks((long)Math.Round(seconds * 1000) * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    internal static double ToEpochSeconds(DateTime value) =>
        Math.Round((value.ToUniversalTime() - DateTime.UnixEpoch).Ticks / (double)TimeSpan.TicksPerMillisecond) / 1000.0;

    private static AwsException WrongType(ShapeInfo shape, string? path) =>
        InputRules.Serialization($"The value at '{path ?? "(body)"}' is not a valid {shape.Kind.ToString().ToLowerInvariant()}.");

    public WireResponse WriteOutput(ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        using var buffer = new SegmentedBuffer();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            if (operation.Output is { } shape && output is not null)
            {
                WriteStructure(w, shape, output);
            }
            else
            {
                w.WriteStartObject();
                w.WriteEndObject();
            }
        }
        return new(200, ContentType(service), buffer.ToBody(), [new("x-amzn-RequestId", requestId)]);
    }

    /// <summary>The JSON document of a value of a structure shape.</summary>
    public static byte[] Serialize(ShapeInfo shape, object value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteStructure(w, shape, value);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public WireResponse WriteError(ServiceInfo service, AwsException error, string requestId)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("__type", ErrorType(service, error));
            w.WriteString("message", Text(error.Message));
            w.WriteEndObject();
        }
        return new(error.StatusCode, ContentType(service), WireBody.Of(buffer.WrittenMemory), ErrorHeaders(service, error, requestId));
    }

    /// <summary>The <c>__type</c> of an error: the model's error shape carrying that code, else the code itself.</summary>
    public static string ErrorType(ServiceInfo service, AwsException error) => service.FindError(error.Code)?.Name ?? error.Code;

    /// <summary>Request id, and for query-compatible services <c>x-amzn-query-error: Code;Sender|Receiver</c>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ErrorHeaders(ServiceInfo service, AwsException error, string requestId) =>
        service.AwsQueryCompatible
            ? [new("x-amzn-RequestId", requestId), new("x-amzn-query-error", $"{error.Code};{(error.StatusCode >= 500 ? "Receiver" : "Sender")}")]
            : [new("x-amzn-RequestId", requestId)];

    private static void WriteStructure(Utf8JsonWriter w, ShapeInfo shape, object value)
    {
        w.WriteStartObject();
        foreach (var member in shape.Members)
        {
            if (member.GetValue(value) is { } v)
            {
                w.WritePropertyName(Text(member.JsonName));
                WriteValue(w, member, member.Shape, v);
            }
        }
        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, MemberInfo? member, ShapeInfo shape, object value)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                WriteStructure(w, shape, value);
                break;
            case ShapeKind.List:
                w.WriteStartArray();
                foreach (var item in (IList)value)
                {
                    if (item is null)
                    {
                        w.WriteNullValue();
                    }
                    else
                    {
                        WriteValue(w, null, shape.Element, item);
                    }
                }
                w.WriteEndArray();
                break;
            case ShapeKind.Map:
                w.WriteStartObject();
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    if (entry.Value is not null)
                    {
                        w.WritePropertyName(Text((string)entry.Key));
                        WriteValue(w, null, shape.Value, entry.Value);
                    }
                }
                w.WriteEndObject();
                break;
            case ShapeKind.String:
                w.WriteStringValue(Text((string)value));
                break;
            case ShapeKind.Boolean:
                w.WriteBooleanValue((bool)value);
                break;
            case ShapeKind.Integer:
                w.WriteNumberValue((int)value);
                break;
            case ShapeKind.Long:
                w.WriteNumberValue((long)value);
                break;
            case ShapeKind.Double:
                WriteDouble(w, (double)value);
                break;
            case ShapeKind.Float:
                var f = (float)value;
                if (float.IsFinite(f))
                {
                    w.WriteRawValue(ProtocolFormats.FormatFloat(f), skipInputValidation: true);
                }
                else
                {
                    WriteDouble(w, f);
                }
                break;
            case ShapeKind.Timestamp:
                var format = member?.TimestampFormat ?? shape.TimestampFormat;
                if (format == "iso8601")
                {
                    w.WriteStringValue(ProtocolFormats.FormatTimestamp((DateTime)value));
                }
                else if (format == "rfc822")
                {
                    w.WriteStringValue(((DateTime)value).ToUniversalTime().ToString("r", CultureInfo.InvariantCulture));
                }
                else
                {
                    w.WriteNumberValue(ToEpochSeconds((DateTime)value));
                }
                break;
            case ShapeKind.Blob:
                w.WriteBase64StringValue((byte[])value);
                break;
            default:
                throw new InvalidOperationException($"{shape} has no JSON form");
        }
    }

    private static void WriteDouble(Utf8JsonWriter w, double d)
    {
        if (double.IsNaN(d))
        {
            w.WriteStringValue("NaN");
        }
        else if (double.IsPositiveInfinity(d))
        {
            w.WriteStringValue("Infinity");
        }
        else if (double.IsNegativeInfinity(d))
        {
            w.WriteStringValue("-Infinity");
        }
        else
        {
            w.WriteNumberValue(d);
        }
    }

    /// <summary>Unpaired surrogates cannot be encoded as UTF-8; they become U+FFFD (everything else JSON escapes).</summary>
    private static string Text(string s)
    {
        foreach (var c in s)
        {
            if (char.IsSurrogate(c))
            {
                return ReplaceLoneSurrogates(s);
            }
        }
        return s;
    }

    internal static string ReplaceLoneSurrogates(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
            }
            else
            {
                sb.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.ToString();
    }
}
