using System.Text.Json;
using Stratus.Core;

namespace Stratus.Domain.Iam;

/// <summary>One statement of a policy document, as far as trust policies need it.</summary>
public sealed record PolicyStatement(bool Allow, IReadOnlyList<string> Actions, bool NotAction, IReadOnlyDictionary<string, IReadOnlyList<string>>? Principals, bool HasResource)
{
    /// <summary>The statement compiled for the evaluator (its conditions).</summary>
    internal CompiledStatement? Compiled { get; init; }
}

/// <summary>
/// An IAM policy document parsed far enough to validate it and to read a trust policy: the
/// statements with their effect, actions and principals. Invalid JSON answers IAM's
/// <c>MalformedPolicyDocument</c> "This policy contains invalid Json"; a document without
/// statements, or a statement without a valid effect, "Syntax errors in policy.".
/// </summary>
public sealed class PolicyDocument
{
    private PolicyDocument(List<PolicyStatement> statements) => Statements = statements;

    public List<PolicyStatement> Statements { get; }

    public static PolicyDocument Parse(string document)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(document);
        }
        catch (JsonException)
        {
            throw new AwsException("MalformedPolicyDocument", "This policy contains invalid Json");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Roles.Property(root, "Statement") is not { } statement)
            {
                throw Syntax();
            }
            if (Roles.Property(root, "Version") is { } version && (version.ValueKind != JsonValueKind.String || version.GetString() is not ("2012-10-17" or "2008-10-17")))
            {
                throw new AwsException("MalformedPolicyDocument", "The policy failed legacy parsing");
            }
            var items = statement.ValueKind switch
            {
                JsonValueKind.Object => [statement],
                JsonValueKind.Array => statement.EnumerateArray().ToList(),
                _ => throw Syntax(),
            };
            if (items.Count == 0)
            {
                throw Syntax();
            }
            return new PolicyDocument(items.Select(ParseStatement).ToList());
        }
    }

    /// <summary>
    /// True when an Allow statement lets <paramref name="callerArn"/> (of account
    /// <paramref name="callerAccount"/>) perform <paramref name="action"/> and no Deny statement
    /// refuses it. A principal matches as <c>*</c>, the account id, the account's root ARN, or the
    /// caller's own ARN. The statement's conditions are evaluated by the policy evaluator against
    /// <paramref name="context"/> (<c>sts:ExternalId</c>, <c>aws:PrincipalArn</c>, ...), as AWS does.
    /// </summary>
    public bool Trusts(string callerAccount, string callerArn, string action, IReadOnlyDictionary<string, string[]>? context = null)
    {
        var request = new AuthorizationRequest(action, "*", context);
        bool Matches(PolicyStatement s)
        {
            if (s.Compiled is { } compiled && !compiled.Conditions.All(c => PolicyEvaluator.ConditionHolds(c, request)))
            {
                return false;
            }
            var actionMatches = s.Actions.Any(a => Wildcard(a, action));
            if (s.NotAction ? actionMatches : !actionMatches)
            {
                return false;
            }
            if (s.Principals is null)
            {
                return false;
            }
            if (s.Principals.TryGetValue("*", out _))
            {
                return true;
            }
            return s.Principals.TryGetValue("AWS", out var aws) && aws.Any(p =>
                p == "*" || p == callerAccount || p == $"arn:aws:iam::{callerAccount}:root" || Wildcard(p, callerArn));
        }
        return !Statements.Exists(s => !s.Allow && Matches(s)) && Statements.Exists(s => s.Allow && Matches(s));
    }

    private static PolicyStatement ParseStatement(JsonElement statement)
    {
        if (statement.ValueKind != JsonValueKind.Object)
        {
            throw Syntax();
        }
        var effect = Roles.Property(statement, "Effect") is { ValueKind: JsonValueKind.String } e ? e.GetString() : null;
        if (effect is not ("Allow" or "Deny"))
        {
            throw Syntax();
        }
        var action = Roles.Property(statement, "Action");
        var notAction = Roles.Property(statement, "NotAction");
        if (action is null == notAction is null)
        {
            throw Syntax();
        }
        var actions = Strings(action ?? notAction!.Value);
        Dictionary<string, IReadOnlyList<string>>? principals = null;
        if (Roles.Property(statement, "Principal") is { } principal)
        {
            principals = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (principal.ValueKind == JsonValueKind.String && principal.GetString() == "*")
            {
                principals["*"] = ["*"];
            }
            else if (principal.ValueKind == JsonValueKind.Object)
            {
                foreach (var kind in principal.EnumerateObject())
                {
                    if (kind.Name is not ("AWS" or "Service" or "Federated" or "CanonicalUser"))
                    {
                        throw new AwsException("MalformedPolicyDocument", $"Invalid principal in policy: \"{kind.Name}\"");
                    }
                    principals[kind.Name] = Strings(kind.Value);
                }
            }
            else
            {
                throw new AwsException("MalformedPolicyDocument", "Invalid principal in policy");
            }
        }
        var hasResource = Roles.Property(statement, "Resource") is not null || Roles.Property(statement, "NotResource") is not null;
        return new PolicyStatement(effect == "Allow", actions, notAction is not null, principals, hasResource) { Compiled = CompiledStatement.Parse(statement) };
    }

    private static List<string> Strings(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => [value.GetString()!],
        JsonValueKind.Array when value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String) => value.EnumerateArray().Select(v => v.GetString()!).ToList(),
        _ => throw Syntax(),
    };

    /// <summary>IAM's matching of actions and ARNs: <c>*</c> and <c>?</c> wildcards, actions case-insensitively.</summary>
    public static bool Wildcard(string pattern, string value)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(value, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant,
            TimeSpan.FromMilliseconds(100));
    }

    private static AwsException Syntax() => new("MalformedPolicyDocument", "Syntax errors in policy.");
}
