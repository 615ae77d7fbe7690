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
        var sb = new StringBuilder(512);
        sb.Append(Declaration).Append('<').Append(operation.Name).Append("Response xmlns=\"")
          .Append(service.XmlNamespace).Append(service.XmlNamespace.EndsWith('/') ? "" : "/").Append("\">");
        AppendElement(sb, "requestId", requestId);
        if (operation.Output is { } shape && output is not null)
        {
            AppendMembers(sb, shape, output);
        }
        else
        {
            AppendElement(sb, "return", "true");
        }
        sb.Append("</").Append(operation.Name).Append("Response>");
        return sb.ToString();
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

    private static void AppendMembers(StringBuilder sb, ShapeInfo shape, object value)
    {
        foreach (var member in shape.Members)
        {
            if (member.GetValue(value) is { } memberValue)
            {
                AppendValue(sb, member.XmlName, member.Shape, memberValue);
            }
        }
    }

    private static void AppendValue(StringBuilder sb, string name, ShapeInfo shape, object value)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                sb.Append('<').Append(name).Append('>');
                AppendMembers(sb, shape, value);
                sb.Append("</").Append(name).Append('>');
                break;
            case ShapeKind.List:
                var items = (IList)value;
                if (items.Count == 0)
                {
                    sb.Append('<').Append(name).Append("/>");
                    break;
                }
                sb.Append('<').Append(name).Append('>');
                foreach (var item in items)
                {
                    if (item is not null)
                    {
                        AppendValue(sb, shape.ElementXmlName, shape.Element, item);
                    }
                }
                sb.Append("</").Append(name).Append('>');
                break;
            default:
                AppendElement(sb, name, FormatScalar(shape, value));
                break;
        }
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
