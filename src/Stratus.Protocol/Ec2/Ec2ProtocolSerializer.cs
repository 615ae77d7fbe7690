using System.Collections;
using System.Globalization;
using System.Text;
using Stratus.Protocol.Model;
using Stratus.Protocol.Xml;

namespace Stratus.Protocol.Ec2;

/// <summary>
/// The one serializer of EC2 responses: walks an operation's output shape and writes AWS's XML
/// (<c>&lt;DescribeVpcsResponse xmlns=...&gt;&lt;requestId/&gt;...</c>). Element names are the
/// member's <c>locationName</c>, else its name; lists are wrapped, their elements named by the list
/// member's <c>locationName</c> (<c>item</c> in EC2). Absent members are omitted; an empty list is
/// written as an empty element. Operations without an output answer <c>&lt;return&gt;true&lt;/return&gt;</c>.
/// Characters XML 1.0 cannot carry (in values stored before they were refused) are written as U+FFFD.
/// </summary>
public static class Ec2ProtocolSerializer
{
    private const string Declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

    public static string Serialize(ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        using var buffer = new Utf8XmlBuffer();
        Write(buffer, service, operation, output, requestId);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The response document as UTF-8 in pooled segments, written without building it as a string or one array.</summary>
    public static WireBody SerializeBody(ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        using var buffer = new Utf8XmlBuffer();
        Write(buffer, service, operation, output, requestId);
        return buffer.ToBody();
    }

    private static void Write(Utf8XmlBuffer buffer, ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        buffer.WriteRaw(Declaration);
        buffer.Write((byte)'<');
        buffer.WriteRaw(operation.Name);
        buffer.WriteRaw("Response xmlns=\"");
        buffer.WriteRaw(service.XmlNamespace);
        buffer.WriteRaw(service.XmlNamespace.EndsWith('/') ? "\">" : "/\">");
        WriteElement(buffer, "requestId", requestId);
        if (operation.Output is { } shape && output is not null)
        {
            WriteMembers(buffer, shape, output);
        }
        else
        {
            WriteElement(buffer, "return", "true");
        }
        buffer.WriteRaw("</");
        buffer.WriteRaw(operation.Name);
        buffer.WriteRaw("Response>");
    }

    private static void WriteMembers(Utf8XmlBuffer buffer, ShapeInfo shape, object value)
    {
        foreach (var member in shape.Members)
        {
            // Value kinds through their typed accessors: nothing is boxed.
            switch (member.Shape.Kind)
            {
                case ShapeKind.Integer:
                    if (member.GetInt32(value) is { } int32)
                    {
                        WriteInteger(buffer, member.XmlOpenTag, member.XmlCloseTag, int32);
                    }
                    break;
                case ShapeKind.Long:
                    if (member.GetInt64(value) is { } int64)
                    {
                        WriteInteger(buffer, member.XmlOpenTag, member.XmlCloseTag, int64);
                    }
                    break;
                case ShapeKind.Boolean:
                    if (member.GetBoolean(value) is { } boolean)
                    {
                        buffer.Write(member.XmlOpenTag);
                        buffer.Write(boolean ? "true"u8 : "false"u8);
                        buffer.Write(member.XmlCloseTag);
                    }
                    break;
                case ShapeKind.Timestamp:
                    if (member.GetTimestamp(value) is { } timestamp)
                    {
                        buffer.Write(member.XmlOpenTag);
                        WriteTimestamp(buffer, timestamp);
                        buffer.Write(member.XmlCloseTag);
                    }
                    break;
                case ShapeKind.Double:
                    if (member.GetDouble(value) is { } number)
                    {
                        buffer.Write(member.XmlOpenTag);
                        buffer.WriteEscaped(ProtocolFormats.FormatDouble(number));
                        buffer.Write(member.XmlCloseTag);
                    }
                    break;
                case ShapeKind.Float:
                    if (member.GetSingle(value) is { } single)
                    {
                        buffer.Write(member.XmlOpenTag);
                        buffer.WriteEscaped(ProtocolFormats.FormatFloat(single));
                        buffer.Write(member.XmlCloseTag);
                    }
                    break;
                case ShapeKind.String:
                    if (member.GetValue(value) is string text)
                    {
                        buffer.Write(member.XmlOpenTag);
                        buffer.WriteEscaped(text);
                        buffer.Write(member.XmlCloseTag);
                    }
                    break;
                default:
                    if (member.GetValue(value) is { } memberValue)
                    {
                        WriteValue(buffer, member.XmlName, member.XmlOpenTag, member.XmlCloseTag, member.Shape, memberValue);
                    }
                    break;
            }
        }
    }

    private static void WriteInteger(Utf8XmlBuffer buffer, ReadOnlySpan<byte> open, ReadOnlySpan<byte> close, long value)
    {
        // Digits need no escaping: formatted straight into the buffer.
        buffer.Write(open);
        var ok = value.TryFormat(buffer.GetSpan(20), out var written, default, CultureInfo.InvariantCulture);
        System.Diagnostics.Debug.Assert(ok);
        buffer.Advance(written);
        buffer.Write(close);
    }

    /// <summary>A timestamp as <see cref="ProtocolFormats.FormatTimestamp"/> writes it, formatted straight into the buffer.</summary>
    private static void WriteTimestamp(Utf8XmlBuffer buffer, DateTime value)
    {
        var span = buffer.GetSpan(64);
        if (ProtocolFormats.TryFormatTimestamp(value, span, out var written))
        {
            buffer.Advance(written);
        }
        else
        {
            buffer.WriteEscaped(ProtocolFormats.FormatTimestamp(value));
        }
    }

    private static void WriteValue(Utf8XmlBuffer buffer, string name, ReadOnlySpan<byte> open, ReadOnlySpan<byte> close, ShapeInfo shape, object value)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                buffer.Write(open);
                if (value is IEncodedFormsHolder { EncodedForms: { } forms })
                {
                    WriteKept(buffer, shape, value, forms);
                }
                else
                {
                    WriteMembers(buffer, shape, value);
                }
                buffer.Write(close);
                break;
            case ShapeKind.List:
                var items = (IList)value;
                var count = items.Count;
                if (count == 0)
                {
                    buffer.Write((byte)'<');
                    buffer.WriteRaw(name);
                    buffer.WriteRaw("/>");
                    break;
                }
                buffer.Write(open);
                var element = shape.Element;
                // By index: enumerating an IList boxes its enumerator.
                for (var i = 0; i < count; i++)
                {
                    if (items[i] is { } item)
                    {
                        WriteValue(buffer, shape.ElementXmlName, shape.ElementOpenTag, shape.ElementCloseTag, element, item);
                    }
                }
                buffer.Write(close);
                break;
            case ShapeKind.Integer:
                WriteInteger(buffer, open, close, (int)value);
                break;
            case ShapeKind.Long:
                WriteInteger(buffer, open, close, (long)value);
                break;
            case ShapeKind.Boolean:
                buffer.Write(open);
                buffer.Write((bool)value ? "true"u8 : "false"u8);
                buffer.Write(close);
                break;
            default:
                buffer.Write(open);
                buffer.WriteEscaped(FormatScalar(shape, value));
                buffer.Write(close);
                break;
        }
    }

    /// <summary>
    /// The members of an unchanging value: the bytes kept from an earlier write, else walked once
    /// and kept (the same bytes <see cref="WriteMembers"/> writes, copied out of the buffer).
    /// </summary>
    private static void WriteKept(Utf8XmlBuffer buffer, ShapeInfo shape, object value, EncodedForms forms)
    {
        if (forms.Ec2XmlFor(shape) is { } kept)
        {
            buffer.Write(kept);
            return;
        }
        var start = buffer.Length;
        WriteMembers(buffer, shape, value);
        forms.KeepEc2Xml(shape, buffer.CopyFrom(start));
    }

    private static void Open(Utf8XmlBuffer buffer, string name)
    {
        buffer.Write((byte)'<');
        buffer.WriteRaw(name);
        buffer.Write((byte)'>');
    }

    private static void Close(Utf8XmlBuffer buffer, string name)
    {
        buffer.WriteRaw("</");
        buffer.WriteRaw(name);
        buffer.Write((byte)'>');
    }

    private static void WriteElement(Utf8XmlBuffer buffer, string name, string text)
    {
        Open(buffer, name);
        buffer.WriteEscaped(text);
        Close(buffer, name);
    }

    /// <summary>The EC2 error envelope.</summary>
    public static string SerializeError(string code, string message, string requestId)
    {
        var sb = new StringBuilder(256);
        sb.Append(Declaration).Append("<Response><Errors><Error>");
        AppendElement(sb, "Code", code);
        AppendElement(sb, "Message", message);
        sb.Append("</Error></Errors>");
        AppendElement(sb, "RequestID", requestId);
        sb.Append("</Response>");
        return sb.ToString();
    }

    public static string FormatScalar(ShapeInfo shape, object value) => shape.Kind switch
    {
        ShapeKind.String => (string)value,
        ShapeKind.Boolean => (bool)value ? "true" : "false",
        ShapeKind.Integer => ((int)value).ToString(CultureInfo.InvariantCulture),
        ShapeKind.Long => ((long)value).ToString(CultureInfo.InvariantCulture),
        ShapeKind.Double => ProtocolFormats.FormatDouble((double)value),
        ShapeKind.Float => ProtocolFormats.FormatFloat((float)value),
        ShapeKind.Timestamp => ProtocolFormats.FormatTimestamp((DateTime)value),
        ShapeKind.Blob => Convert.ToBase64String((byte[])value),
        _ => throw new InvalidOperationException($"{shape} is not a scalar"),
    };

    private static void AppendElement(StringBuilder sb, string name, string text)
    {
        sb.Append('<').Append(name).Append('>');
        AppendEscaped(sb, text);
        sb.Append("</").Append(name).Append('>');
    }

    private static void AppendEscaped(StringBuilder sb, string text) => XmlText.AppendEscaped(sb, text);
}
