using System.Globalization;
using Stratus.Core;
using Stratus.Protocol.Model;
using Stratus.Protocol.Xml;

namespace Stratus.Protocol;

/// <summary>
/// Model constraints (length, range, enum, required) and the character rule, with the error
/// conventions of each protocol family. Services whose model declares <c>MissingParameter</c> /
/// <c>InvalidParameterValue</c> errors (EC2, CloudWatch) answer those; other query services answer
/// <c>ValidationError</c> and json/cbor services <c>ValidationException</c> (CloudWatch Logs
/// <c>InvalidParameterException</c>), with Coral's message
/// ("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must
/// not be null"). Bodies that do not decode, or values of the wrong type, are <c>SerializationException</c>
/// in json/cbor.
/// </summary>
public sealed class InputRules
{
    private readonly string _validationCode;
    private readonly bool _ec2Style;

    private InputRules(string validationCode, bool ec2Style)
    {
        _validationCode = validationCode;
        _ec2Style = ec2Style;
    }

    /// <summary>The rules for a service spoken in a protocol (<c>query</c>, <c>json</c>, <c>smithy-rpc-v2-cbor</c>).</summary>
    public static InputRules For(ServiceInfo service, string protocol)
    {
        var ec2Style = service.Protocol == "ec2" || (service.FindError("MissingParameter") is not null && service.FindError("InvalidParameterValue") is not null);
        // CloudWatch Logs answers constraint violations as InvalidParameterException (with Coral's message).
        var code = protocol == "query" ? "ValidationError" : service.SigningName == "logs" ? "InvalidParameterException" : "ValidationException";
        return new InputRules(code, ec2Style);
    }

    public AwsException Missing(string path) => _ec2Style
        ? AwsErrors.MissingParameter(path)
        : new AwsException(_validationCode, $"1 validation error detected: Value null at '{path}' failed to satisfy constraint: Member must not be null");

    /// <summary>A value that breaks a constraint; <paramref name="shown"/> is quoted (made printable) in the message.</summary>
    public AwsException Invalid(string path, string? shown, string constraint) => _ec2Style
        ? AwsErrors.InvalidParameterValue(shown is null
            ? $"The value for parameter {path} is invalid. {constraint}."
            : $"Value ({XmlText.Shown(shown)}) for parameter {path} is invalid. {constraint}.")
        : new AwsException(_validationCode, shown is null
            ? $"1 validation error detected: Value at '{path}' failed to satisfy constraint: {constraint}"
            : $"1 validation error detected: Value '{XmlText.Shown(shown)}' at '{path}' failed to satisfy constraint: {constraint}");

    public static AwsException Serialization(string message) => new("SerializationException", message);

    /// <summary>Checks a string value: characters XML cannot carry, enum, length.</summary>
    public string CheckString(ShapeInfo shape, string text, string path)
    {
        if (!XmlText.IsValid(text))
        {
            throw CharacterError(path);
        }
        if (shape.Enum is { } allowed && !allowed.Contains(text))
        {
            throw Invalid(path, text, $"Member must satisfy enum value set: [{string.Join(", ", allowed.Take(20))}{(allowed.Count > 20 ? ", ..." : "")}]");
        }
        CheckLength(shape, text.Length, path);
        return text;
    }

    /// <summary>Characters XML 1.0 cannot carry; the message does not echo the value.</summary>
    public AwsException CharacterError(string path) =>
        new(_ec2Style ? "InvalidParameterValue" : _validationCode, CharacterMessage(path));

    public static string CharacterMessage(string path) =>
        $"The value for parameter {path} contains characters that are not allowed (control characters other than tab, line feed and carriage return, U+FFFE, U+FFFF or unpaired surrogates).";

    public void CheckLength(ShapeInfo shape, int length, string path)
    {
        if (length < shape.Min)
        {
            throw Invalid(path, null, $"Member must have length greater than or equal to {Format(shape.Min!.Value)}");
        }
        if (length > shape.Max)
        {
            throw Invalid(path, null, $"Member must have length less than or equal to {Format(shape.Max!.Value)}");
        }
    }

    public T CheckRange<T>(ShapeInfo shape, T value, string path) where T : IConvertible
    {
        var v = value.ToDouble(CultureInfo.InvariantCulture);
        if (v < shape.Min)
        {
            throw Invalid(path, value.ToString(CultureInfo.InvariantCulture), $"Member must have value greater than or equal to {Format(shape.Min!.Value)}");
        }
        if (v > shape.Max)
        {
            throw Invalid(path, value.ToString(CultureInfo.InvariantCulture), $"Member must have value less than or equal to {Format(shape.Max!.Value)}");
        }
        return value;
    }

    /// <summary>Required members of a structure that were not set.</summary>
    public void CheckRequired(ShapeInfo shape, object target, string? prefix)
    {
        foreach (var member in shape.Members)
        {
            if (member.Required && member.GetValue(target) is null)
            {
                throw Missing(Path(prefix, _ec2Style ? member.Name : Camel(member.Name)));
            }
        }
    }

    /// <summary>A member's name in error paths: as sent for EC2-style services, lower camel case for Coral's.</summary>
    public string MemberPath(string? prefix, MemberInfo member, string wireName) => Path(prefix, _ec2Style ? wireName : Camel(member.Name));

    /// <summary>Coral's member paths are lower camel case (<c>roleName</c>, <c>tags.1.member.key</c>).</summary>
    public static string Camel(string name) => name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name[1..];

    public static string Path(string? prefix, string key) => prefix is null ? key : prefix + "." + key;

    private static string Format(double d) => d.ToString(CultureInfo.InvariantCulture);
}
