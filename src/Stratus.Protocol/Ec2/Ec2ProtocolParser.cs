using System.Collections;
using System.Globalization;
using Stratus.Core;
using Stratus.Protocol.Model;
using Stratus.Protocol.Xml;

namespace Stratus.Protocol.Ec2;

/// <summary>
/// The one parser of the EC2 query protocol: turns flat, dotted request parameters
/// (<c>Filter.1.Value.2=x</c>, <c>BlockDeviceMapping.1.Ebs.VolumeSize=8</c>) into the typed
/// input of an operation by walking its shape. Member keys are the member's <c>queryName</c>, else
/// its capitalised <c>locationName</c>, else its name; list elements are numbered from 1 and need not
/// be contiguous. Parameters that match no member are refused (<c>UnknownParameter</c>), values are
/// checked against the model's types, lengths, ranges and enums (<c>InvalidParameterValue</c>), and
/// required members must be present (<c>MissingParameter</c>). Strings with characters XML 1.0
/// cannot carry are refused (<c>InvalidParameterValue</c>, without echoing them).
/// </summary>
public static class Ec2ProtocolParser
{
    /// <summary>Parameters that carry protocol or authentication data rather than operation input.</summary>
    public static bool IsReservedParameter(string key) =>
        key is "Action" or "Version" or "AWSAccessKeyId" or "SignatureMethod" or "SignatureVersion" or "Signature" or "Timestamp" or "Expires" or "SecurityToken"
        || key.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase);

    public static object Parse(ShapeInfo input, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var root = new ParameterTree();
        foreach (var (key, value) in parameters)
        {
            if (IsReservedParameter(key))
            {
                continue;
            }
            root.Add(key, value);
        }
        return ReadStructure(input, root, prefix: null);
    }

    private static object ReadStructure(ShapeInfo shape, ParameterTree node, string? prefix)
    {
        var target = shape.CreateStructure();
        if (node.Children is { } children)
        {
            foreach (var (key, child) in children)
            {
                var member = shape.FindByQueryName(key) ?? throw AwsErrors.UnknownParameter(XmlText.Shown(child.FirstKey(Join(prefix, key))));
                member.SetValue(target, ReadValue(member.Shape, child, Join(prefix, key)));
            }
        }
        if (node.Value is not null)
        {
            throw AwsErrors.UnknownParameter(XmlText.Shown(prefix ?? ""));
        }
        foreach (var member in shape.Members)
        {
            if (member.Required && (node.Children is null || !node.Children.ContainsKey(member.QueryName)))
            {
                throw AwsErrors.MissingParameter(XmlText.Shown(Join(prefix, member.QueryName)));
            }
        }
        return target;
    }

    private static object ReadValue(ShapeInfo shape, ParameterTree node, string path)
    {
        switch (shape.Kind)
        {
            case ShapeKind.Structure:
                return ReadStructure(shape, node, path);
            case ShapeKind.List:
                return ReadList(shape, node, path);
            default:
                if (node.Children is { Count: > 0 } children)
                {
                    throw AwsErrors.UnknownParameter(XmlText.Shown(children.First().Value.FirstKey(Join(path, children.First().Key))));
                }
                return ReadScalar(shape, node.Value ?? "", path);
        }
    }

    private static IList ReadList(ShapeInfo shape, ParameterTree node, string path)
    {
        if (node.Value is not null)
        {
            throw AwsErrors.UnknownParameter(XmlText.Shown(path));
        }
        var list = shape.CreateList();
        if (node.Children is null)
        {
            return list;
        }
        var entries = new List<(long Index, string Key, ParameterTree ParameterTree)>(node.Children.Count);
        foreach (var (key, child) in node.Children)
        {
            if (!long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index < 1)
            {
                throw AwsErrors.UnknownParameter(XmlText.Shown(child.FirstKey(Join(path, key))));
            }
            entries.Add((index, key, child));
        }
        entries.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        foreach (var (_, key, child) in entries)
        {
            list.Add(ReadValue(shape.Element, child, Join(path, key)));
        }
        CheckLength(shape, list.Count, path);
        return list;
    }

    /// <summary>
    /// Enumerations EC2 checks per operation rather than at the protocol: instance type names are
    /// looked up in the catalog (DescribeInstanceTypes answers <c>InvalidInstanceType</c> for a name
    /// it does not know, whether or not the model lists it).
    /// </summary>
    private static bool IsOpenEnum(ShapeInfo shape) => shape.Name == "InstanceType";

    private static object ReadScalar(ShapeInfo shape, string text, string path)
    {
        switch (shape.Kind)
        {
            case ShapeKind.String:
                if (!XmlText.IsValid(text))
                {
                    throw AwsErrors.InvalidParameterValue(InputRules.CharacterMessage(path));
                }
                if (shape.Enum is { } allowed && !allowed.Contains(text) && !IsOpenEnum(shape))
                {
                    throw AwsErrors.InvalidParameterValue($"Value ({XmlText.Shown(text)}) for parameter {path} is invalid. Valid values: {string.Join(", ", allowed.Take(20))}{(allowed.Count > 20 ? ", ..." : "")}");
                }
                CheckLength(shape, text.Length, path);
                return text;
            case ShapeKind.Integer:
                return CheckRange(shape, int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : throw Invalid(text, path, "an integer"), path);
            case ShapeKind.Long:
                return CheckRange(shape, long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : throw Invalid(text, path, "an integer"), path);
            case ShapeKind.Double:
                return CheckRange(shape, double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Invalid(text, path, "a number"), path);
            case ShapeKind.Float:
                return CheckRange(shape, float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : throw Invalid(text, path, "a number"), path);
            case ShapeKind.Boolean:
                return bool.TryParse(text, out var b) ? b : throw Invalid(text, path, "true or false");
            case ShapeKind.Timestamp:
                return ProtocolFormats.TryParseTimestamp(text, out var t) ? t : throw Invalid(text, path, "an ISO 8601 timestamp");
            case ShapeKind.Blob:
                try
                {
                    return Convert.FromBase64String(text);
                }
                catch (FormatException)
                {
                    throw Invalid(text, path, "base64-encoded data");
                }
            default:
                throw new InvalidOperationException($"{shape} is not a scalar");
        }
    }

    private static AwsException Invalid(string text, string path, string expected) =>
        AwsErrors.InvalidParameterValue($"Value ({XmlText.Shown(text)}) for parameter {path} is invalid. Expected {expected}.");

    private static void CheckLength(ShapeInfo shape, int length, string path)
    {
        if (length < shape.Min || length > shape.Max)
        {
            var what = shape.Kind == ShapeKind.List ? "number of elements" : "length";
            throw AwsErrors.InvalidParameterValue($"The {what} of parameter {path} ({length}) is invalid. Expecting {Bounds(shape)}.");
        }
    }

    private static T CheckRange<T>(ShapeInfo shape, T value, string path) where T : IConvertible
    {
        var v = value.ToDouble(CultureInfo.InvariantCulture);
        if (v < shape.Min || v > shape.Max)
        {
            throw AwsErrors.InvalidParameterValue($"Value ({value.ToString(CultureInfo.InvariantCulture)}) for parameter {path} is invalid. Expecting a value {Bounds(shape)}.");
        }
        return value;
    }

    private static string Bounds(ShapeInfo shape) => (shape.Min, shape.Max) switch
    {
        ({ } min, { } max) => $"between {min} and {max}",
        ({ } min, null) => $"at least {min}",
        (null, { } max) => $"at most {max}",
        _ => "a valid value",
    };

    private static string Join(string? prefix, string key) => prefix is null ? key : prefix + "." + key;
}
