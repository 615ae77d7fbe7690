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

    public static string Serialize(ServiceInfo service, OperationInfo operation, object? output, string requestId) =>
        Encoding.UTF8.GetString(SerializeUtf8(service, operation, output, requestId));

    /// <summary>The response document as UTF-8, written without building it as a string first.</summary>
    public static byte[] SerializeUtf8(ServiceInfo service, OperationInfo operation, object? output, string requestId)
    {
        using var buffer = new Utf8XmlBuffer();
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
        return buffer.ToArray();
    }

    private static void WriteMembers(Utf8XmlBuffer buffer, ShapeInfo shape, object value)
    {
        foreach (var member in shape.Members)
        {
            if (member.GetValue(value) is { } memberValue)
            {
                WriteValue(buffer, member.XmlName, member.Shape, memberValue);
            }
        }
    }

    private static void WriteValue(Utf8XmlBuffer buffer, string name, ShapeInfo shape, object value)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                Open(buffer, name);
                WriteMembers(buffer, shape, value);
                Close(buffer, name);
                break;
            case ShapeKind.List:
                var items = (IList)value;
                if (items.Count == 0)
                {
                    buffer.Write((byte)'<');
                    buffer.WriteRaw(name);
                    buffer.WriteRaw("/>");
                    break;
                }
                Open(buffer, name);
                foreach (var item in items)
                {
                    if (item is not null)
                    {
                        WriteValue(buffer, shape.ElementXmlName, shape.Element, item);
                    }
                }
                Close(buffer, name);
                break;
            case ShapeKind.Integer:
            case ShapeKind.Long:
                // Digits need no escaping: formatted straight into the buffer.
                Open(buffer, name);
                Span<byte> digits = stackalloc byte[24];
                var ok = shape.Kind == ShapeKind.Integer
                    ? ((int)value).TryFormat(digits, out var written, default, CultureInfo.InvariantCulture)
                    : ((long)value).TryFormat(digits, out written, default, CultureInfo.InvariantCulture);
                System.Diagnostics.Debug.Assert(ok);
                buffer.Write(digits[..written]);
                Close(buffer, name);
                break;
            case ShapeKind.Boolean:
                Open(buffer, name);
                buffer.Write((bool)value ? "true"u8 : "false"u8);
                Close(buffer, name);
                break;
            default:
                WriteElement(buffer, name, FormatScalar(shape, value));
                break;
        }
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
