using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Stratus.Protocol;
using Stratus.Protocol.Model;

namespace Stratus.Ec2.Model.Tests;

/// <summary>
/// The canonical JSON form of a shape value shared with the client-side round-trip scripts
/// (tests/roundtrip/README.md): model member names, absent members omitted, timestamps as UTC
/// with milliseconds, blobs as base64.
/// </summary>
internal static class ShapeJson
{
    public static JsonNode? Write(ShapeInfo shape, object? value)
    {
        if (value is null)
        {
            return null;
        }
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                var obj = new JsonObject();
                foreach (var member in shape.Members)
                {
                    if (member.GetValue(value) is { } v)
                    {
                        obj[member.Name] = Write(member.Shape, v);
                    }
                }
                return obj;
            case ShapeKind.List:
                var array = new JsonArray();
                foreach (var item in (IList)value)
                {
                    array.Add(Write(shape.Element, item));
                }
                return array;
            case ShapeKind.Map:
                var map = new JsonObject();
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    map[(string)entry.Key] = Write(shape.Value, entry.Value);
                }
                return map;
            case ShapeKind.String:
                return JsonValue.Create((string)value);
            case ShapeKind.Integer:
                return JsonValue.Create((int)value);
            case ShapeKind.Long:
                return JsonValue.Create((long)value);
            case ShapeKind.Boolean:
                return JsonValue.Create((bool)value);
            case ShapeKind.Double:
                return JsonValue.Create((double)value);
            case ShapeKind.Float:
                return JsonValue.Create((double)(float)value);
            case ShapeKind.Timestamp:
                return JsonValue.Create(ProtocolFormats.FormatTimestamp((DateTime)value));
            case ShapeKind.Blob:
                return JsonValue.Create(Convert.ToBase64String((byte[])value));
            default:
                throw new InvalidOperationException(shape.ToString());
        }
    }

    /// <summary>Differences between two canonical values, as paths; doubles compare with 1e-6 relative tolerance.</summary>
    public static IEnumerable<string> Diff(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected)
        {
            case null when actual is null:
                yield break;
            case JsonObject e when actual is JsonObject a:
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    foreach (var d in Diff(e[key], a[key], $"{path}.{key}"))
                    {
                        yield return d;
                    }
                }
                yield break;
            case JsonArray e when actual is JsonArray a:
                if (e.Count != a.Count)
                {
                    yield return $"{path}: expected {e.Count} elements, got {a.Count}";
                    yield break;
                }
                for (var i = 0; i < e.Count; i++)
                {
                    foreach (var d in Diff(e[i], a[i], $"{path}[{i}]"))
                    {
                        yield return d;
                    }
                }
                yield break;
            case JsonValue e when actual is JsonValue a:
                if (e.GetValueKind() == System.Text.Json.JsonValueKind.Number && a.GetValueKind() == System.Text.Json.JsonValueKind.Number)
                {
                    var x = double.Parse(e.ToJsonString(), CultureInfo.InvariantCulture);
                    var y = double.Parse(a.ToJsonString(), CultureInfo.InvariantCulture);
                    if (Math.Abs(x - y) > 1e-6 * Math.Max(1, Math.Abs(x)))
                    {
                        yield return $"{path}: expected {x.ToString(CultureInfo.InvariantCulture)}, got {y.ToString(CultureInfo.InvariantCulture)}";
                    }
                    yield break;
                }
                if (e.ToJsonString() != a.ToJsonString())
                {
                    yield return $"{path}: expected {e.ToJsonString()}, got {a.ToJsonString()}";
                }
                yield break;
            default:
                yield return $"{path}: expected {expected?.ToJsonString() ?? "absent"}, got {actual?.ToJsonString() ?? "absent"}";
                yield break;
        }
    }
}
