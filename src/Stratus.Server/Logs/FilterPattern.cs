using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Stratus.Core;

namespace Stratus.Server.Logs;

/// <summary>
/// CloudWatch Logs filter pattern syntax (FilterLogEvents, and what metric and subscription
/// filters will use):
/// <list type="bullet">
/// <item>terms: <c>ERROR</c> (the event contains it, case-sensitive), <c>"quoted phrase"</c>,
/// several terms all must match, <c>-term</c> must not, <c>?a ?b</c> any of them,
/// <c>%regex%</c> a regular expression;</item>
/// <item>JSON: <c>{ $.level = "error" &amp;&amp; ($.latency &gt; 100 || $.user.id = 4*) }</c> with
/// <c>= != &lt; &gt; &lt;= &gt;=</c>, <c>IS TRUE|FALSE|NULL</c>, <c>EXISTS</c>, <c>NOT EXISTS</c>, array
/// indexes <c>$.a[0]</c>, <c>*</c> wildcards in string values;</item>
/// <item>space-delimited: <c>[ip, user, ..., status = 4* &amp;&amp; status != 404, size &gt; 1000]</c>,
/// fields split on spaces (text in double quotes or square brackets is one field), <c>...</c> any
/// number of fields.</item>
/// </list>
/// An empty pattern matches every event.
/// </summary>
public abstract class FilterPattern
{
    public abstract bool Matches(string message);

    public static readonly FilterPattern All = new TermPattern([], [], []);

    public static FilterPattern Parse(string? pattern)
    {
        var text = (pattern ?? "").Trim();
        if (text.Length == 0)
        {
            return All;
        }
        try
        {
            if (text[0] == '{')
            {
                if (text[^1] != '}')
                {
                    throw Invalid();
                }
                var parser = new ExprParser(text[1..^1]);
                var expr = parser.ParseJson();
                return new JsonPattern(expr);
            }
            if (text[0] == '[')
            {
                if (text[^1] != ']')
                {
                    throw Invalid();
                }
                return SpacePattern.ParseFields(text[1..^1]);
            }
            return TermPattern.ParseTerms(text);
        }
        catch (ArgumentException)
        {
            throw Invalid();
        }
    }

    internal static AwsException Invalid() => new("InvalidParameterException", "Invalid filter pattern");

    /// <summary>A string value with <c>*</c> wildcards, or <c>%regex%</c>.</summary>
    internal static Func<string, bool> Glob(string value)
    {
        if (value.Length >= 2 && value[0] == '%' && value[^1] == '%')
        {
            var regex = new Regex(value[1..^1], RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            return s => regex.IsMatch(s);
        }
        if (!value.Contains('*', StringComparison.Ordinal))
        {
            return s => s == value;
        }
        var rx = new Regex("^" + string.Join(".*", value.Split('*').Select(Regex.Escape)) + "$", RegexOptions.Singleline | RegexOptions.CultureInvariant);
        return s => rx.IsMatch(s);
    }

    private sealed class TermPattern(List<Func<string, bool>> all, List<Func<string, bool>> none, List<Func<string, bool>> any) : FilterPattern
    {
        public static TermPattern ParseTerms(string text)
        {
            List<Func<string, bool>> all = [], none = [], any = [];
            var i = 0;
            while (i < text.Length)
            {
                if (char.IsWhiteSpace(text[i]))
                {
                    i++;
                    continue;
                }
                var target = all;
                if (text[i] is '-' or '?' && i + 1 < text.Length && !char.IsWhiteSpace(text[i + 1]))
                {
                    target = text[i] == '-' ? none : any;
                    i++;
                }
                string term;
                if (text[i] == '"')
                {
                    var sb = new StringBuilder();
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }
                        sb.Append(text[i++]);
                    }
                    if (i >= text.Length)
                    {
                        throw Invalid();
                    }
                    i++;
                    term = sb.ToString();
                }
                else
                {
                    var start = i;
                    while (i < text.Length && !char.IsWhiteSpace(text[i]))
                    {
                        i++;
                    }
                    term = text[start..i];
                }
                if (term.Length >= 2 && term[0] == '%' && term[^1] == '%')
                {
                    var regex = new Regex(term[1..^1], RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                    target.Add(m => regex.IsMatch(m));
                }
                else
                {
                    target.Add(m => m.Contains(term, StringComparison.Ordinal));
                }
            }
            return new TermPattern(all, none, any);
        }

        public override bool Matches(string message) =>
            all.TrueForAll(t => t(message)) && !none.Exists(t => t(message)) && (any.Count == 0 || any.Exists(t => t(message)));
    }

    // ---- JSON and space-delimited expressions ---------------------------------------------------------

    internal abstract class Expr
    {
        public abstract bool Eval(Func<string, Operand> resolve);
    }

    /// <summary>A value a selector or field resolves to: missing, null, a boolean, a number or text.</summary>
    internal readonly record struct Operand(bool Exists, bool IsNull, bool? Bool, double? Number, string? Text);

    private sealed class And(Expr a, Expr b) : Expr
    {
        public override bool Eval(Func<string, Operand> resolve) => a.Eval(resolve) && b.Eval(resolve);
    }

    private sealed class Or(Expr a, Expr b) : Expr
    {
        public override bool Eval(Func<string, Operand> resolve) => a.Eval(resolve) || b.Eval(resolve);
    }

    private sealed class Compare(string selector, string op, string value, bool quoted) : Expr
    {
        private readonly Func<string, bool> _glob = Glob(value);
        private readonly double? _number = !quoted && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;

        public override bool Eval(Func<string, Operand> resolve)
        {
            var v = resolve(selector);
            if (!v.Exists || v.IsNull)
            {
                return false;
            }
            if (_number is { } number && v.Number is { } actual)
            {
                var c = actual.CompareTo(number);
                return op switch
                {
                    "=" => c == 0,
                    "!=" => c != 0,
                    "<" => c < 0,
                    ">" => c > 0,
                    "<=" => c <= 0,
                    _ => c >= 0,
                };
            }
            if (op is "<" or ">" or "<=" or ">=")
            {
                return false;
            }
            var text = v.Text ?? (v.Bool is { } b ? (b ? "true" : "false") : null);
            if (text is null)
            {
                return false;
            }
            return op == "=" ? _glob(text) : !_glob(text);
        }
    }

    private sealed class Is(string selector, string what) : Expr
    {
        public override bool Eval(Func<string, Operand> resolve)
        {
            var v = resolve(selector);
            return what switch
            {
                "TRUE" => v.Bool == true,
                "FALSE" => v.Bool == false,
                "NULL" => v.Exists && v.IsNull,
                "EXISTS" => v.Exists,
                _ => !v.Exists,
            };
        }
    }

    /// <summary>Parses <c>a op v (&amp;&amp;|| ...)</c> with parentheses; selectors are <c>$.x</c> (JSON) or field names.</summary>
    internal sealed class ExprParser(string text)
    {
        private int _i;

        public Expr ParseJson()
        {
            var e = Or();
            Skip();
            if (_i != text.Length)
            {
                throw Invalid();
            }
            return e;
        }

        /// <summary>One field condition of a space-delimited pattern (up to a top-level comma).</summary>
        public Expr ParseUntilComma(out bool atEnd)
        {
            var e = Or();
            Skip();
            atEnd = _i >= text.Length;
            if (!atEnd)
            {
                if (text[_i] != ',')
                {
                    throw Invalid();
                }
                _i++;
            }
            return e;
        }

        public int Position { get => _i; set => _i = value; }

        private void Skip()
        {
            while (_i < text.Length && char.IsWhiteSpace(text[_i]))
            {
                _i++;
            }
        }

        private bool Eat(string token)
        {
            Skip();
            if (string.CompareOrdinal(text, _i, token, 0, token.Length) == 0)
            {
                _i += token.Length;
                return true;
            }
            return false;
        }

        private Expr Or()
        {
            var e = AndExpr();
            while (Eat("||"))
            {
                e = new Or(e, AndExpr());
            }
            return e;
        }

        private Expr AndExpr()
        {
            var e = Unary();
            while (Eat("&&"))
            {
                e = new And(e, Unary());
            }
            return e;
        }

        private Expr Unary()
        {
            if (Eat("("))
            {
                var e = Or();
                if (!Eat(")"))
                {
                    throw Invalid();
                }
                return e;
            }
            Skip();
            var start = _i;
            while (_i < text.Length && !char.IsWhiteSpace(text[_i]) && text[_i] is not ('=' or '!' or '<' or '>' or '(' or ')' or ','))
            {
                _i++;
            }
            var selector = text[start.._i];
            if (selector.Length == 0)
            {
                throw Invalid();
            }
            foreach (var op in new[] { "!=", "<=", ">=", "=", "<", ">" })
            {
                if (Eat(op))
                {
                    var (value, quoted) = Value();
                    return new Compare(selector, op, value, quoted);
                }
            }
            if (Eat("IS"))
            {
                foreach (var what in new[] { "TRUE", "FALSE", "NULL" })
                {
                    if (Eat(what))
                    {
                        return new Is(selector, what);
                    }
                }
                throw Invalid();
            }
            if (Eat("NOT"))
            {
                return Eat("EXISTS") ? new Is(selector, "NOT EXISTS") : throw Invalid();
            }
            if (Eat("EXISTS"))
            {
                return new Is(selector, "EXISTS");
            }
            // A bare name in a space-delimited pattern names a field and matches anything.
            return new Is(selector, "EXISTS");
        }

        private (string Value, bool Quoted) Value()
        {
            Skip();
            if (_i < text.Length && text[_i] == '"')
            {
                var sb = new StringBuilder();
                _i++;
                while (_i < text.Length && text[_i] != '"')
                {
                    if (text[_i] == '\\' && _i + 1 < text.Length)
                    {
                        _i++;
                    }
                    sb.Append(text[_i++]);
                }
                if (_i >= text.Length)
                {
                    throw Invalid();
                }
                _i++;
                return (sb.ToString(), true);
            }
            if (_i < text.Length && text[_i] == '%')
            {
                var end = text.IndexOf('%', _i + 1);
                if (end < 0)
                {
                    throw Invalid();
                }
                var regex = text[_i..(end + 1)];
                _i = end + 1;
                return (regex, true);
            }
            var start = _i;
            while (_i < text.Length && !char.IsWhiteSpace(text[_i]) && text[_i] is not (')' or ',')
                && string.CompareOrdinal(text, _i, "&&", 0, 2) != 0 && string.CompareOrdinal(text, _i, "||", 0, 2) != 0)
            {
                _i++;
            }
            if (_i == start)
            {
                throw Invalid();
            }
            return (text[start.._i], false);
        }
    }

    private sealed class JsonPattern(Expr expr) : FilterPattern
    {
        public override bool Matches(string message)
        {
            var trimmed = message.AsSpan().TrimStart();
            if (trimmed.Length == 0 || trimmed[0] != '{')
            {
                return false;
            }
            try
            {
                using var doc = JsonDocument.Parse(message);
                var root = doc.RootElement;
                return expr.Eval(selector => Resolve(root, selector));
            }
            catch (JsonException)
            {
                return false;
            }
        }

        private static Operand Resolve(JsonElement root, string selector)
        {
            if (!selector.StartsWith('$'))
            {
                throw Invalid();
            }
            var current = root;
            var i = 1;
            while (i < selector.Length)
            {
                if (selector[i] == '.')
                {
                    var start = ++i;
                    while (i < selector.Length && selector[i] is not ('.' or '['))
                    {
                        i++;
                    }
                    var name = selector[start..i];
                    if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
                    {
                        return default;
                    }
                }
                else if (selector[i] == '[')
                {
                    var end = selector.IndexOf(']', i);
                    if (end < 0 || !int.TryParse(selector.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                    {
                        throw Invalid();
                    }
                    if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                    {
                        return default;
                    }
                    current = current[index];
                    i = end + 1;
                }
                else
                {
                    throw Invalid();
                }
            }
            return current.ValueKind switch
            {
                JsonValueKind.Null => new Operand(true, true, null, null, null),
                JsonValueKind.True => new Operand(true, false, true, null, null),
                JsonValueKind.False => new Operand(true, false, false, null, null),
                JsonValueKind.Number => new Operand(true, false, null, current.GetDouble(), current.GetRawText()),
                JsonValueKind.String => new Operand(true, false, null,
                    double.TryParse(current.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null, current.GetString()),
                _ => new Operand(true, false, null, null, current.GetRawText()),
            };
        }
    }

    private sealed class SpacePattern(List<(Expr? Condition, bool Ellipsis)> fields) : FilterPattern
    {
        public static SpacePattern ParseFields(string body)
        {
            var fields = new List<(Expr?, bool)>();
            var parser = new ExprParser(body);
            var atEnd = body.Trim().Length == 0;
            while (!atEnd)
            {
                var rest = body[parser.Position..].TrimStart();
                if (rest.StartsWith("...", StringComparison.Ordinal))
                {
                    parser.Position = body.IndexOf("...", parser.Position, StringComparison.Ordinal) + 3;
                    var after = body[parser.Position..].TrimStart();
                    if (after.Length == 0)
                    {
                        atEnd = true;
                    }
                    else if (after[0] == ',')
                    {
                        parser.Position = body.IndexOf(',', parser.Position) + 1;
                    }
                    else
                    {
                        throw Invalid();
                    }
                    fields.Add((null, true));
                    continue;
                }
                var expr = parser.ParseUntilComma(out atEnd);
                fields.Add((expr, false));
            }
            if (fields.Count == 0)
            {
                throw Invalid();
            }
            return new SpacePattern(fields);
        }

        public override bool Matches(string message)
        {
            var values = Split(message);
            return Match(0, values, 0);
        }

        private bool Match(int f, List<string> values, int v)
        {
            if (f == fields.Count)
            {
                return v == values.Count;
            }
            var (condition, ellipsis) = fields[f];
            if (ellipsis)
            {
                for (var k = v; k <= values.Count; k++)
                {
                    if (Match(f + 1, values, k))
                    {
                        return true;
                    }
                }
                return false;
            }
            if (v >= values.Count)
            {
                return false;
            }
            var value = values[v];
            var operand = new Operand(true, false, null,
                double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null, value);
            return condition!.Eval(_ => operand) && Match(f + 1, values, v + 1);
        }

        /// <summary>Splits on spaces; text between double quotes or square brackets is one field (without them).</summary>
        private static List<string> Split(string message)
        {
            var values = new List<string>();
            var i = 0;
            while (i < message.Length)
            {
                if (char.IsWhiteSpace(message[i]))
                {
                    i++;
                    continue;
                }
                var close = message[i] switch { '"' => '"', '[' => ']', _ => '\0' };
                if (close != '\0')
                {
                    var end = message.IndexOf(close, i + 1);
                    if (end > 0)
                    {
                        values.Add(message[(i + 1)..end]);
                        i = end + 1;
                        continue;
                    }
                }
                var start = i;
                while (i < message.Length && !char.IsWhiteSpace(message[i]))
                {
                    i++;
                }
                values.Add(message[start..i]);
            }
            return values;
        }
    }
}
