using System.Globalization;
using System.Net;
using System.Text.Json;
using Stratus.Core;

namespace Stratus.Domain.Iam;

/// <summary>The outcome of evaluating policies for one request: AWS's three answers.</summary>
public enum PolicyDecision
{
    /// <summary>No statement allows the request (implicit deny).</summary>
    ImplicitDeny,

    /// <summary>A statement allows it and none denies it.</summary>
    Allow,

    /// <summary>A Deny statement matches: nothing else can allow it.</summary>
    ExplicitDeny,
}

/// <summary>
/// What is asked: an action (<c>ec2:RunInstances</c>), one resource ARN (or <c>*</c>) and the
/// request context's keys (case-insensitive names, each with one or more values).
/// </summary>
public sealed class AuthorizationRequest
{
    public AuthorizationRequest(string action, string resource, IReadOnlyDictionary<string, string[]>? context = null)
    {
        Action = action;
        Resource = resource;
        Context = context ?? new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
    }

    public string Action { get; }
    public string Resource { get; }

    /// <summary>The context keys; the dictionary must compare keys case-insensitively.</summary>
    public IReadOnlyDictionary<string, string[]> Context { get; }

    public string[]? Value(string key) => Context.TryGetValue(key, out var v) ? v : null;
}

/// <summary>An evaluation's answer with the statement that decided it (for the encoded failure message and the simulator).</summary>
public sealed record EvaluationResult(PolicyDecision Decision, string? PolicyName, string? StatementId);

/// <summary>
/// An identity policy compiled for evaluation: statements with their effect, action and resource
/// patterns (or their Not forms) and conditions. Compiled once per document and cached by the
/// caller, so a request only runs pattern matches.
/// </summary>
public sealed class CompiledPolicy
{
    private CompiledPolicy(string name, CompiledStatement[] statements)
    {
        Name = name;
        Statements = statements;
    }

    public string Name { get; }

    internal CompiledStatement[] Statements { get; }

    /// <summary>Compiles <paramref name="document"/>; a document IAM would refuse answers <c>MalformedPolicyDocument</c>.</summary>
    public static CompiledPolicy Compile(string name, string document)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(document);
        }
        catch (JsonException)
        {
            throw Malformed("This policy contains invalid Json");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Roles.Property(root, "Statement") is not { } statement)
            {
                throw Malformed("Syntax errors in policy.");
            }
            var items = statement.ValueKind switch
            {
                JsonValueKind.Object => [statement],
                JsonValueKind.Array => statement.EnumerateArray().ToList(),
                _ => throw Malformed("Syntax errors in policy."),
            };
            return new CompiledPolicy(name, items.Select(CompiledStatement.Parse).ToArray());
        }
    }

    /// <summary>This policy's answer alone.</summary>
    public EvaluationResult Evaluate(AuthorizationRequest request) => PolicyEvaluator.Evaluate([this], request);

    internal static AwsException Malformed(string message) => new("MalformedPolicyDocument", message);
}

internal enum SetQualifier
{
    None,
    ForAnyValue,
    ForAllValues,
}

internal sealed class CompiledCondition
{
    public required string Operator { get; init; }
    public required bool IfExists { get; init; }
    public required SetQualifier Set { get; init; }
    public required string Key { get; init; }
    public required string[] Values { get; init; }
}

internal sealed class CompiledStatement
{
    public string? Sid { get; private init; }
    public bool Allow { get; private init; }
    public string[] Actions { get; private init; } = [];
    public bool NotAction { get; private init; }
    public string[] Resources { get; private init; } = [];
    public bool NotResource { get; private init; }
    public CompiledCondition[] Conditions { get; private init; } = [];

    private static readonly HashSet<string> Operators = new(StringComparer.Ordinal)
    {
        "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
        "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
        "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
        "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    };

    public static CompiledStatement Parse(JsonElement statement)
    {
        if (statement.ValueKind != JsonValueKind.Object)
        {
            throw CompiledPolicy.Malformed("Syntax errors in policy.");
        }
        var effect = Roles.Property(statement, "Effect") is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;
        if (effect is not ("Allow" or "Deny"))
        {
            throw CompiledPolicy.Malformed("Syntax errors in policy.");
        }
        var action = Roles.Property(statement, "Action");
        var notAction = Roles.Property(statement, "NotAction");
        if (action is null == notAction is null)
        {
            throw CompiledPolicy.Malformed("Syntax errors in policy.");
        }
        var resource = Roles.Property(statement, "Resource");
        var notResource = Roles.Property(statement, "NotResource");
        if (resource is not null && notResource is not null)
        {
            throw CompiledPolicy.Malformed("Syntax errors in policy.");
        }
        var conditions = new List<CompiledCondition>();
        if (Roles.Property(statement, "Condition") is { } condition)
        {
            if (condition.ValueKind != JsonValueKind.Object)
            {
                throw CompiledPolicy.Malformed("Syntax errors in policy.");
            }
            foreach (var op in condition.EnumerateObject())
            {
                var name = op.Name;
                var set = SetQualifier.None;
                var colon = name.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    set = name[..colon] switch
                    {
                        "ForAnyValue" => SetQualifier.ForAnyValue,
                        "ForAllValues" => SetQualifier.ForAllValues,
                        _ => throw CompiledPolicy.Malformed($"Invalid Condition type : {name}."),
                    };
                    name = name[(colon + 1)..];
                }
                var ifExists = name.EndsWith("IfExists", StringComparison.Ordinal) && name != "IfExists";
                var baseName = ifExists ? name[..^"IfExists".Length] : name;
                if (!Operators.Contains(baseName) || op.Value.ValueKind != JsonValueKind.Object)
                {
                    throw CompiledPolicy.Malformed($"Invalid Condition type : {op.Name}.");
                }
                foreach (var key in op.Value.EnumerateObject())
                {
                    conditions.Add(new CompiledCondition
                    {
                        Operator = baseName,
                        IfExists = ifExists,
                        Set = set,
                        Key = key.Name,
                        Values = ConditionValues(key.Value),
                    });
                }
            }
        }
        return new CompiledStatement
        {
            Sid = Roles.Property(statement, "Sid") is { ValueKind: JsonValueKind.String } sid ? sid.GetString() : null,
            Allow = effect == "Allow",
            Actions = Strings(action ?? notAction!.Value),
            NotAction = notAction is not null,
            Resources = resource is null && notResource is null ? ["*"] : Strings(resource ?? notResource!.Value),
            NotResource = notResource is not null,
            Conditions = conditions.ToArray(),
        };
    }

    private static string[] Strings(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String) => value.EnumerateArray().Select(v => v.GetString()!).ToArray(),
        _ => throw CompiledPolicy.Malformed("Syntax errors in policy."),
    };

    private static string[] ConditionValues(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => value.EnumerateArray().Select(Scalar).ToArray(),
        _ => [Scalar(value)],
    };

    private static string Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw CompiledPolicy.Malformed("Syntax errors in policy."),
    };

    /// <summary>True when this statement applies to the request (action, resource and every condition).</summary>
    public bool Matches(AuthorizationRequest request)
    {
        var actionMatch = false;
        foreach (var pattern in Actions)
        {
            if (PolicyEvaluator.Glob(pattern, request.Action, ignoreCase: true))
            {
                actionMatch = true;
                break;
            }
        }
        if (actionMatch == NotAction)
        {
            return false;
        }
        var resourceMatch = false;
        foreach (var pattern in Resources)
        {
            var expanded = pattern.Contains("${", StringComparison.Ordinal) ? PolicyEvaluator.Substitute(pattern, request) : pattern;
            if (expanded is not null && PolicyEvaluator.Glob(expanded, request.Resource, ignoreCase: false))
            {
                resourceMatch = true;
                break;
            }
        }
        if (resourceMatch == NotResource)
        {
            return false;
        }
        foreach (var condition in Conditions)
        {
            if (!PolicyEvaluator.ConditionHolds(condition, request))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>
/// IAM's policy evaluation logic for identity-based policies in one account, as AWS documents
/// it: an explicit Deny in any policy wins; otherwise an Allow in any policy allows; otherwise the
/// request is implicitly denied. With a permissions boundary, the request must also be allowed
/// by the boundary. Conditions follow the documented operators (String*, Numeric*, Date*, Bool,
/// IpAddress/NotIpAddress, Arn*, Null, the IfExists forms and the ForAnyValue/ForAllValues set
/// qualifiers); a key missing from the request makes a positive operator false and a negated
/// one true, and IfExists makes it true.
/// </summary>
public static class PolicyEvaluator
{
    public static EvaluationResult Evaluate(IReadOnlyList<CompiledPolicy> policies, AuthorizationRequest request, IReadOnlyList<CompiledPolicy>? boundary = null)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(request);
        EvaluationResult? allowed = null;
        foreach (var policy in policies)
        {
            foreach (var statement in policy.Statements)
            {
                if (!statement.Matches(request))
                {
                    continue;
                }
                if (!statement.Allow)
                {
                    return new EvaluationResult(PolicyDecision.ExplicitDeny, policy.Name, statement.Sid);
                }
                allowed ??= new EvaluationResult(PolicyDecision.Allow, policy.Name, statement.Sid);
            }
        }
        if (allowed is not null && boundary is not null)
        {
            var bounded = Evaluate(boundary, request);
            if (bounded.Decision != PolicyDecision.Allow)
            {
                return bounded;
            }
        }
        return allowed ?? new EvaluationResult(PolicyDecision.ImplicitDeny, null, null);
    }

    /// <summary>IAM's wildcard match: <c>*</c> any run of characters, <c>?</c> one character.</summary>
    public static bool Glob(string pattern, string value, bool ignoreCase)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(value);
        if (pattern.Length == 1 && pattern[0] == '*')
        {
            return true;
        }
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || CharEquals(pattern[p], value[v], ignoreCase)))
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }
        return p == pattern.Length;
    }

    private static bool CharEquals(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));

    /// <summary>Replaces policy variables (<c>${aws:username}</c>, <c>${*}</c>, <c>${?}</c>, <c>${$}</c>); null when a variable has no value (the pattern then matches nothing).</summary>
    internal static string? Substitute(string pattern, AuthorizationRequest request)
    {
        var result = new System.Text.StringBuilder(pattern.Length);
        var i = 0;
        while (i < pattern.Length)
        {
            var start = pattern.IndexOf("${", i, StringComparison.Ordinal);
            if (start < 0)
            {
                result.Append(pattern, i, pattern.Length - i);
                break;
            }
            var end = pattern.IndexOf('}', start);
            if (end < 0)
            {
                result.Append(pattern, i, pattern.Length - i);
                break;
            }
            result.Append(pattern, i, start - i);
            var name = pattern[(start + 2)..end];
            var comma = name.IndexOf(',', StringComparison.Ordinal);
            string? fallback = null;
            if (comma > 0)
            {
                fallback = name[(comma + 1)..].Trim().Trim('\'');
                name = name[..comma].Trim();
            }
            switch (name)
            {
                case "*":
                case "?":
                case "$":
                    // The escaped literal: matched as the character itself only for '$'; '*' and '?' stay wildcards here.
                    result.Append(name);
                    break;
                default:
                    var value = request.Value(name);
                    if (value is not { Length: 1 })
                    {
                        if (fallback is null)
                        {
                            return null;
                        }
                        result.Append(fallback);
                    }
                    else
                    {
                        result.Append(value[0]);
                    }
                    break;
            }
            i = end + 1;
        }
        return result.ToString();
    }

    internal static bool ConditionHolds(CompiledCondition condition, AuthorizationRequest request)
    {
        var values = request.Value(condition.Key);
        if (condition.Operator == "Null")
        {
            var absent = values is null || values.Length == 0;
            return condition.Values.Any(v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase) ? absent : !absent);
        }
        var negated = IsNegated(condition.Operator);
        if (values is null || values.Length == 0)
        {
            if (condition.Set == SetQualifier.ForAllValues)
            {
                return true;
            }
            return condition.IfExists || negated;
        }
        var policyValues = condition.Values;
        if (condition.Key.Contains("${", StringComparison.Ordinal) is false && policyValues.Any(v => v.Contains("${", StringComparison.Ordinal)))
        {
            policyValues = policyValues.Select(v => Substitute(v, request)).Where(v => v is not null).Select(v => v!).ToArray();
        }
        switch (condition.Set)
        {
            case SetQualifier.ForAllValues:
                return values.All(value => Single(condition.Operator, negated, value, policyValues));
            default:
                // A single-valued key, or ForAnyValue over a multivalued one.
                return negated
                    ? values.All(value => Single(condition.Operator, negated, value, policyValues))
                    : values.Any(value => Single(condition.Operator, negated, value, policyValues));
        }
    }

    private static bool IsNegated(string op) => op is "StringNotEquals" or "StringNotEqualsIgnoreCase" or "StringNotLike" or "NumericNotEquals"
        or "DateNotEquals" or "NotIpAddress" or "ArnNotEquals" or "ArnNotLike";

    /// <summary>One request value against the policy's values: any of them matches (negated: none matches).</summary>
    private static bool Single(string op, bool negated, string value, string[] policyValues)
    {
        var any = false;
        foreach (var expected in policyValues)
        {
            if (Compare(op, value, expected))
            {
                any = true;
                break;
            }
        }
        return negated ? !any : any;
    }

    private static bool Compare(string op, string actual, string expected)
    {
        switch (op)
        {
            case "StringEquals":
            case "StringNotEquals":
            case "ArnEquals":
            case "ArnNotEquals":
            case "BinaryEquals":
                return string.Equals(actual, expected, StringComparison.Ordinal);
            case "StringEqualsIgnoreCase":
            case "StringNotEqualsIgnoreCase":
                return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
            case "StringLike":
            case "StringNotLike":
            case "ArnLike":
            case "ArnNotLike":
                return Glob(expected, actual, ignoreCase: false);
            case "Bool":
                return string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase);
            case "IpAddress":
            case "NotIpAddress":
                return InRange(actual, expected);
        }
        if (op.StartsWith("Numeric", StringComparison.Ordinal))
        {
            if (!decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                || !decimal.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
            {
                return false;
            }
            return Order(op["Numeric".Length..], a.CompareTo(b));
        }
        if (op.StartsWith("Date", StringComparison.Ordinal))
        {
            if (ParseDate(actual) is not { } a || ParseDate(expected) is not { } b)
            {
                return false;
            }
            return Order(op["Date".Length..], a.CompareTo(b));
        }
        return false;
    }

    private static bool Order(string relation, int comparison) => relation switch
    {
        "Equals" or "NotEquals" => comparison == 0,
        "LessThan" => comparison < 0,
        "LessThanEquals" => comparison <= 0,
        "GreaterThan" => comparison > 0,
        "GreaterThanEquals" => comparison >= 0,
        _ => false,
    };

    private static DateTimeOffset? ParseDate(string text)
    {
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var epoch))
        {
            return DateTimeOffset.FromUnixTimeSeconds(epoch);
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date) ? date : null;
    }

    /// <summary>True when <paramref name="address"/> lies in <paramref name="cidr"/> (IPv4 or IPv6, a bare address meaning /32 or /128).</summary>
    public static bool InRange(string address, string cidr)
    {
        if (!IPAddress.TryParse(address, out var ip))
        {
            return false;
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(slash < 0 ? cidr : cidr[..slash], out var network))
        {
            return false;
        }
        var bits = network.GetAddressBytes().Length * 8;
        var prefix = bits;
        if (slash >= 0 && (!int.TryParse(cidr[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits))
        {
            return false;
        }
        if (network.AddressFamily != ip.AddressFamily)
        {
            return false;
        }
        var a = ip.GetAddressBytes();
        var b = network.GetAddressBytes();
        for (var i = 0; i < a.Length && prefix > 0; i++, prefix -= 8)
        {
            var mask = prefix >= 8 ? 0xFF : (byte)(0xFF << (8 - prefix));
            if ((a[i] & mask) != (b[i] & mask))
            {
                return false;
            }
        }
        return true;
    }
}
