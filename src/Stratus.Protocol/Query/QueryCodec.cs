using System.Collections;
using System.Globalization;
using System.Text;
using Stratus.Core;
using Stratus.Protocol.Model;
using Stratus.Protocol.Xml;

namespace Stratus.Protocol.Query;

/// <summary>
/// AWS's <c>query</c> protocol (STS, IAM, Auto Scaling, ELBv2, CloudWatch's oldest clients).
/// Requests are form/query parameters: a member's key is its <c>locationName</c>, else its name;
/// lists are <c>Key.member.N</c> (the list member's locationName replaces <c>member</c>;
/// flattened lists <c>Key.N</c>; an empty list is <c>Key=</c>), maps <c>Key.entry.N.key</c> /
/// <c>.value</c> (flattened: <c>Key.N.key</c>). Parameters that name no member are ignored, as AWS
/// does. Responses are <c>&lt;OpResponse xmlns&gt;&lt;OpResult&gt;…&lt;/OpResult&gt;&lt;ResponseMetadata&gt;&lt;RequestId/&gt;</c>,
/// errors <c>&lt;ErrorResponse&gt;&lt;Error&gt;&lt;Type&gt;Sender|Receiver&lt;/Type&gt;&lt;Code/&gt;&lt;Message/&gt;&lt;/Error&gt;&lt;RequestId/&gt;</c>.
/// </summary>
public sealed class QueryCodec : IProtocolCodec
{
    public static QueryCodec Instance { get; } = new();

    public string Protocol => "query";

    public object ParseInput(ServiceInfo service, OperationInfo operation, WireRequest request) =>
        operation.Input is { } input ? Parse(service, input, request.Parameters) : ProtocolCodecs.NoInput;

    public WireResponse WriteOutput(ServiceInfo service, OperationInfo operation, object? output, string requestId) =>
        new(200, "text/xml", SerializeBody(service, operation, output, requestId), WireResponse.NoHeaders);

    public WireResponse WriteError(ServiceInfo service, AwsException error, string requestId) =>
        new(error.StatusCode, "text/xml", Encoding.UTF8.GetBytes(SerializeError(service, error, requestId)), WireResponse.NoHeaders);

    /// <summary>Reads an input structure from query parameters.</summary>
    public static object Parse(ServiceInfo service, ShapeInfo input, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var root = new ParameterTree();
        foreach (var (key, value) in parameters)
        {
            if (key is "Action" or "Version")
            {
                continue;
            }
            root.Add(key, value);
        }
        var rules = InputRules.For(service, "query");
        return ReadStructure(rules, input, root, null, null);
    }

    private static object ReadStructure(InputRules rules, ShapeInfo shape, ParameterTree node, string? prefix, string? errorPrefix)
    {
        var target = shape.CreateStructure();
        foreach (var member in shape.Members)
        {
            var key = member.QueryName;
            var path = InputRules.Path(prefix, key);
            var errorPath = rules.MemberPath(errorPrefix, member, path);
            if (node.Child(key) is not { } child)
            {
                if (member.Required)
                {
                    throw rules.Missing(errorPath);
                }
                continue;
            }
            member.SetValue(target, ReadValue(rules, member, member.Shape, child, path, errorPath));
        }
        return target;
    }

    private static object? ReadValue(InputRules rules, MemberInfo? member, ShapeInfo shape, ParameterTree node, string path, string errorPath)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                return ReadStructure(rules, shape, node, path, errorPath);
            case ShapeKind.List:
                {
                    var list = shape.CreateList();
                    var flattened = member?.Flattened ?? shape.Flattened;
                    var items = flattened ? node : node.Child(shape.ElementXmlName);
                    foreach (var (index, child) in items?.Indexed() ?? [])
                    {
                        var itemPath = flattened ? $"{path}.{index}" : $"{path}.{shape.ElementXmlName}.{index}";
                        list.Add(ReadValue(rules, null, shape.Element, child, itemPath, $"{errorPath}.{index}.member"));
                    }
                    rules.CheckLength(shape, list.Count, errorPath);
                    return list;
                }
            case ShapeKind.Map:
                {
                    var map = shape.CreateMap();
                    var flattened = member?.Flattened ?? shape.Flattened;
                    var entries = flattened ? node : node.Child("entry");
                    foreach (var (index, entry) in entries?.Indexed() ?? [])
                    {
                        var entryPath = flattened ? $"{path}.{index}" : $"{path}.entry.{index}";
                        if (entry.Child(shape.KeyXmlName) is not { } keyNode)
                        {
                            throw rules.Missing($"{entryPath}.{shape.KeyXmlName}");
                        }
                        var key = (string)ReadScalar(rules, shape.Key, keyNode.Value ?? "", $"{errorPath}.{index}.key")!;
                        var value = entry.Child(shape.ValueXmlName) is { } valueNode
                            ? ReadValue(rules, null, shape.Value, valueNode, $"{entryPath}.{shape.ValueXmlName}", $"{errorPath}.{index}.value")
                            : null;
                        map[key] = value;
                    }
                    rules.CheckLength(shape, map.Count, errorPath);
                    return map;
                }
            default:
                return ReadScalar(rules, shape, node.Value ?? "", errorPath);
        }
    }

    internal static object ReadScalar(InputRules rules, ShapeInfo shape, string text, string path)
    {
        switch (shape.Kind)
        {
            case ShapeKind.String:
                return rules.CheckString(shape, text, path);
            case ShapeKind.Integer:
                return rules.CheckRange(shape, int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : throw rules.Invalid(path, text, "Member must be an integer"), path);
            case ShapeKind.Long:
                return rules.CheckRange(shape, long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : throw rules.Invalid(path, text, "Member must be an integer"), path);
            case ShapeKind.Double:
                return rules.CheckRange(shape, TryParseDouble(text, out var d) ? d : throw rules.Invalid(path, text, "Member must be a number"), path);
            case ShapeKind.Float:
                return rules.CheckRange(shape, TryParseDouble(text, out var f) ? (float)f : throw rules.Invalid(path, text, "Member must be a number"), path);
            case ShapeKind.Boolean:
                return bool.TryParse(text, out var b) ? b : throw rules.Invalid(path, text, "Member must be true or false");
            case ShapeKind.Timestamp:
                return ProtocolFormats.TryParseTimestamp(text, out var t) ? t : throw rules.Invalid(path, text, "Member must be an ISO 8601 timestamp");
            case ShapeKind.Blob:
                try
                {
                    return Convert.FromBase64String(text);
                }
                catch (FormatException)
                {
                    throw rules.Invalid(path, null, "Member must be base64-encoded data");
                }
            default:
                throw new InvalidOperationException($"{shape} is not a scalar");
        }
    }

    private static bool TryParseDouble(string text, out double value)
    {
        switch (text)
        {
            case "NaN":
                value = double.NaN;
                return true;
            case "Infinity":
                value = double.PositiveInfinity;
                return true;
            case "-Infinity":
                value = double.NegativeInfinity;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    /// <summary>The response document of an operation.</summary>
    public static string Serialize(ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        using var buffer = new Utf8XmlBuffer();
        Write(buffer, service, operation, output, requestId);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The response document of an operation, in pooled segments.</summary>
    public static WireBody SerializeBody(ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        using var buffer = new Utf8XmlBuffer();
        Write(buffer, service, operation, output, requestId);
        return buffer.ToBody();
    }

    private static void Write(Utf8XmlBuffer sb, ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        sb.WriteRaw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
        sb.WriteRaw(operation.Name);
        sb.WriteRaw("Response xmlns=\"");
        sb.WriteEscaped(service.XmlNamespace);
        sb.WriteRaw("\">");
        if (operation.Output is { } shape)
        {
            var wrapper = operation.ResultWrapper;
            if (wrapper is not null)
            {
                Open(sb, wrapper);
            }
            if (output is not null)
            {
                AppendMembers(sb, shape, output);
            }
            if (wrapper is not null)
            {
                Close(sb, wrapper);
            }
        }
        sb.WriteRaw("<ResponseMetadata><RequestId>");
        sb.WriteEscaped(requestId);
        sb.WriteRaw("</RequestId></ResponseMetadata></");
        sb.WriteRaw(operation.Name);
        sb.WriteRaw("Response>");
    }

    private static void Open(Utf8XmlBuffer sb, string name)
    {
        sb.Write((byte)'<');
        sb.WriteRaw(name);
        sb.Write((byte)'>');
    }

    private static void Close(Utf8XmlBuffer sb, string name)
    {
        sb.WriteRaw("</");
        sb.WriteRaw(name);
        sb.Write((byte)'>');
    }

    /// <summary>The query error envelope.</summary>
    public static string SerializeError(ServiceInfo service, AwsException error, string requestId)
    {
        var sb = new StringBuilder(256);
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"");
        XmlText.AppendEscaped(sb, service.XmlNamespace);
        sb.Append("\"><Error><Type>").Append(error.StatusCode >= 500 ? "Receiver" : "Sender").Append("</Type><Code>");
        XmlText.AppendEscaped(sb, error.Code);
        sb.Append("</Code><Message>");
        XmlText.AppendEscaped(sb, error.Message);
        sb.Append("</Message></Error><RequestId>");
        XmlText.AppendEscaped(sb, requestId);
        sb.Append("</RequestId></ErrorResponse>");
        return sb.ToString();
    }

    private static void AppendMembers(Utf8XmlBuffer sb, ShapeInfo shape, object value)
    {
        foreach (var member in shape.Members)
        {
            if (member.GetValue(value) is { } memberValue)
            {
                AppendValue(sb, member.XmlName, member.Shape, memberValue, member.Flattened);
            }
        }
    }

    private static void AppendValue(Utf8XmlBuffer sb, string name, ShapeInfo shape, object value, bool flattened)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                Open(sb, name);
                AppendMembers(sb, shape, value);
                Close(sb, name);
                break;
            case ShapeKind.List:
                {
                    var items = (IList)value;
                    if (flattened)
                    {
                        foreach (var item in items)
                        {
                            if (item is not null)
                            {
                                AppendValue(sb, name, shape.Element, item, false);
                            }
                        }
                        break;
                    }
                    if (items.Count == 0)
                    {
                        sb.Write((byte)'<');
                        sb.WriteRaw(name);
                        sb.WriteRaw("/>");
                        break;
                    }
                    Open(sb, name);
                    foreach (var item in items)
                    {
                        if (item is not null)
                        {
                            AppendValue(sb, shape.ElementXmlName, shape.Element, item, false);
                        }
                    }
                    Close(sb, name);
                    break;
                }
            case ShapeKind.Map:
                {
                    var map = (IDictionary)value;
                    if (!flattened)
                    {
                        Open(sb, name);
                    }
                    foreach (DictionaryEntry entry in map)
                    {
                        if (entry.Value is null)
                        {
                            continue;
                        }
                        Open(sb, flattened ? name : "entry");
                        AppendValue(sb, shape.KeyXmlName, shape.Key, entry.Key, false);
                        AppendValue(sb, shape.ValueXmlName, shape.Value, entry.Value, false);
                        Close(sb, flattened ? name : "entry");
                    }
                    if (!flattened)
                    {
                        Close(sb, name);
                    }
                    break;
                }
            default:
                Open(sb, name);
                sb.WriteEscaped(FormatScalar(shape, value));
                Close(sb, name);
                break;
        }
    }

    internal static string FormatScalar(ShapeInfo shape, object value) => shape.Kind switch
    {
        ShapeKind.String => (string)value,
        ShapeKind.Boolean => (bool)value ? "true" : "false",
        ShapeKind.Integer => ((int)value).ToString(CultureInfo.InvariantCulture),
        ShapeKind.Long => ((long)value).ToString(CultureInfo.InvariantCulture),
        ShapeKind.Double => FormatDouble((double)value),
        ShapeKind.Float => float.IsFinite((float)value) ? ProtocolFormats.FormatFloat((float)value) : FormatDouble((float)value),
        ShapeKind.Timestamp => ProtocolFormats.FormatTimestamp((DateTime)value),
        ShapeKind.Blob => Convert.ToBase64String((byte[])value),
        _ => throw new InvalidOperationException($"{shape} is not a scalar"),
    };

    private static string FormatDouble(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : ProtocolFormats.FormatDouble(d);
}
