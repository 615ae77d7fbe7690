using System.Globalization;
using System.Text;

namespace Stratus.Domain.CloudWatch;

/// <summary>A time series: values by timestamp (epoch seconds, period-aligned), with its query's id, label and period.</summary>
public sealed class TimeSeries(string id, string label, int period)
{
    public string Id { get; } = id;
    public string Label { get; set; } = label;
    public int Period { get; } = period;
    public SortedDictionary<long, double> Points { get; } = [];

    public TimeSeries With(string label) => new(Id, label, Period);
}

/// <summary>A metric math error: AWS answers it as a query result with a message, or as ValidationError on PutMetricAlarm.</summary>
public sealed class MetricMathException(string message) : Exception(message);

/// <summary>What an expression evaluates to: a number, one time series, or several.</summary>
public abstract record MathValue
{
    public sealed record Scalar(double Value) : MathValue;
    public sealed record Series(TimeSeries Value) : MathValue;
    public sealed record Array(IReadOnlyList<TimeSeries> Value) : MathValue;
}

/// <summary>
/// CloudWatch metric math: arithmetic (+ - * / ^), comparisons and logic (&lt; &gt; &lt;= &gt;= == != AND OR NOT,
/// for IF), and the functions SUM, AVG, MIN, MAX, STDDEV (over an array: per timestamp; over one
/// series: a scalar), METRICS([filter]), IF, FILL (value, REPEAT, LINEAR), RATE, DIFF, DIFF_TIME,
/// ABS, CEIL, FLOOR, SQRT, LOG, LOG10, PERIOD, TIME_SERIES, FIRST, LAST, ANOMALY_DETECTION_BAND. Binary operations between
/// series keep the timestamps both have; an operation with an array applies to each series.
/// </summary>
public sealed class MetricMath
{
    private readonly Func<string, MathValue?> _resolve;
    private readonly Func<string?, IReadOnlyList<TimeSeries>> _metrics;
    private readonly long _start;
    private readonly long _end;

    /// <param name="resolve">The value of another query by id (null when none has that id).</param>
    /// <param name="metrics">The series of the request's metric queries (METRICS()), filtered by a substring of their ids.</param>
    /// <param name="start">First timestamp of the query grid (epoch seconds).</param>
    /// <param name="end">End of the query (exclusive).</param>
    public MetricMath(Func<string, MathValue?> resolve, Func<string?, IReadOnlyList<TimeSeries>> metrics, long start, long end)
    {
        _resolve = resolve;
        _metrics = metrics;
        _start = start;
        _end = end;
    }

    /// <summary>The ids an expression refers to (to order evaluation and find cycles).</summary>
    public static IReadOnlyList<string> References(string expression)
    {
        var ids = new List<string>();
        var tokens = Tokenize(expression);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Kind == TokenKind.Identifier && (i + 1 >= tokens.Count || tokens[i + 1].Text != "("))
            {
                ids.Add(tokens[i].Text);
            }
        }
        return ids;
    }

    /// <summary>Checks the expression parses (PutMetricAlarm/GetMetricData validation); throws <see cref="MetricMathException"/>.</summary>
    public static void Validate(string expression)
    {
        var parser = new Parser(Tokenize(expression));
        _ = parser.ParseExpression();
        parser.ExpectEnd();
    }

    public MathValue Evaluate(string expression, int period)
    {
        var parser = new Parser(Tokenize(expression));
        var node = parser.ParseExpression();
        parser.ExpectEnd();
        return Eval(node, period);
    }

    // ---- evaluation --------------------------------------------------------------------------

    private MathValue Eval(Node node, int period) => node switch
    {
        Node.Number n => new MathValue.Scalar(n.Value),
        Node.Text t => throw new MetricMathException($"Unexpected string \"{t.Value}\"."),
        Node.Ref r => _resolve(r.Id) ?? throw new MetricMathException($"Unrecognized identifier \"{r.Id}\"."),
        Node.Unary u when u.Op == "-" => Map(Eval(u.Operand, period), v => -v),
        Node.Unary u => Map(Eval(u.Operand, period), v => v == 0 ? 1 : 0),
        Node.Binary b => Binary(b.Op, Eval(b.Left, period), Eval(b.Right, period)),
        Node.Call c => Call(c, period),
        _ => throw new MetricMathException("Invalid expression."),
    };

    private static double Apply(string op, double a, double b) => op switch
    {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "^" => Math.Pow(a, b),
        "<" => a < b ? 1 : 0,
        ">" => a > b ? 1 : 0,
        "<=" => a <= b ? 1 : 0,
        ">=" => a >= b ? 1 : 0,
        "==" => a == b ? 1 : 0,
        "!=" => a != b ? 1 : 0,
        "AND" => a != 0 && b != 0 ? 1 : 0,
        "OR" => a != 0 || b != 0 ? 1 : 0,
        _ => throw new MetricMathException($"Unknown operator {op}."),
    };

    private static MathValue Binary(string op, MathValue left, MathValue right)
    {
        switch (left, right)
        {
            case (MathValue.Scalar a, MathValue.Scalar b):
                return new MathValue.Scalar(Apply(op, a.Value, b.Value));
            case (MathValue.Array a, _):
                return new MathValue.Array(a.Value.Select(s => ((MathValue.Series)Binary(op, new MathValue.Series(s), right)).Value).ToList());
            case (_, MathValue.Array b):
                return new MathValue.Array(b.Value.Select(s => ((MathValue.Series)Binary(op, left, new MathValue.Series(s))).Value).ToList());
            case (MathValue.Series a, MathValue.Scalar b):
                return Map(left, v => Apply(op, v, b.Value), a.Value.Label);
            case (MathValue.Scalar a, MathValue.Series b):
                return Map(right, v => Apply(op, a.Value, v), b.Value.Label);
            case (MathValue.Series a, MathValue.Series b):
                var result = new TimeSeries(a.Value.Id, a.Value.Label, Math.Max(a.Value.Period, b.Value.Period));
                foreach (var (t, v) in a.Value.Points)
                {
                    if (b.Value.Points.TryGetValue(t, out var w))
                    {
                        result.Points[t] = Apply(op, v, w);
                    }
                }
                return new MathValue.Series(result);
            default:
                throw new MetricMathException("Invalid operands.");
        }
    }

    private static MathValue Map(MathValue value, Func<double, double> f, string? label = null)
    {
        switch (value)
        {
            case MathValue.Scalar s:
                return new MathValue.Scalar(f(s.Value));
            case MathValue.Series s:
                var result = s.Value.With(label ?? s.Value.Label);
                foreach (var (t, v) in s.Value.Points)
                {
                    result.Points[t] = f(v);
                }
                return new MathValue.Series(result);
            case MathValue.Array a:
                return new MathValue.Array(a.Value.Select(x => ((MathValue.Series)Map(new MathValue.Series(x), f)).Value).ToList());
            default:
                throw new MetricMathException("Invalid operand.");
        }
    }

    private static MathValue PerSeries(MathValue value, Func<TimeSeries, TimeSeries> f) => value switch
    {
        MathValue.Series s => new MathValue.Series(f(s.Value)),
        MathValue.Array a => new MathValue.Array(a.Value.Select(f).ToList()),
        _ => throw new MetricMathException("The function expects a time series."),
    };

    private IEnumerable<long> Grid(int period)
    {
        for (var t = _start; t < _end; t += Math.Max(1, period))
        {
            yield return t;
        }
    }

    private MathValue Call(Node.Call call, int period)
    {
        var name = call.Name.ToUpperInvariant();
        var args = call.Args;
        void Arity(int min, int max)
        {
            if (args.Count < min || args.Count > max)
            {
                throw new MetricMathException($"The function {name} takes {(min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min} to {max}")} argument(s).");
            }
        }
        switch (name)
        {
            case "METRICS":
                Arity(0, 1);
                string? filter = null;
                if (args.Count == 1)
                {
                    filter = args[0] is Node.Text t ? t.Value : throw new MetricMathException("METRICS expects a string.");
                }
                return new MathValue.Array(_metrics(filter));
            case "SUM" or "AVG" or "MIN" or "MAX" or "STDDEV":
                {
                    Arity(1, 1);
                    var v = Eval(args[0], period);
                    Func<IReadOnlyList<double>, double> reduce = name switch
                    {
                        "SUM" => xs => xs.Sum(),
                        "AVG" => xs => xs.Average(),
                        "MIN" => xs => xs.Min(),
                        "MAX" => xs => xs.Max(),
                        _ => xs =>
                        {
                            var mean = xs.Average();
                            return Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / xs.Count);
                        }
                        ,
                    };
                    switch (v)
                    {
                        case MathValue.Array a:
                            var result = new TimeSeries("", name, a.Value.Count > 0 ? a.Value.Max(s => s.Period) : period);
                            foreach (var group in a.Value.SelectMany(s => s.Points).GroupBy(p => p.Key).OrderBy(g => g.Key))
                            {
                                result.Points[group.Key] = reduce(group.Select(p => p.Value).ToList());
                            }
                            return new MathValue.Series(result);
                        case MathValue.Series s:
                            return new MathValue.Scalar(s.Value.Points.Count == 0 ? double.NaN : reduce(s.Value.Points.Values.ToList()));
                        case MathValue.Scalar s:
                            return s;
                    }
                    break;
                }
            case "ANOMALY_DETECTION_BAND":
                {
                    // A band of mean ± k standard deviations of the series over the queried range
                    // (CloudWatch trains a model; this is its simplest stand-in).
                    Arity(1, 2);
                    if (Eval(args[0], period) is not MathValue.Series s)
                    {
                        throw new MetricMathException("ANOMALY_DETECTION_BAND expects one time series.");
                    }
                    var k = args.Count == 2 && Eval(args[1], period) is MathValue.Scalar w ? w.Value : 2;
                    var values = s.Value.Points.Values.ToList();
                    var mean = values.Count > 0 ? values.Average() : 0;
                    var sd = values.Count > 0 ? Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / values.Count) : 0;
                    var lower = new TimeSeries("", s.Value.Label + " (lower)", s.Value.Period);
                    var upper = new TimeSeries("", s.Value.Label + " (upper)", s.Value.Period);
                    foreach (var t in Grid(s.Value.Period))
                    {
                        lower.Points[t] = mean - k * sd;
                        upper.Points[t] = mean + k * sd;
                    }
                    return new MathValue.Array([lower, upper]);
                }
            case "ABS":
                Arity(1, 1);
                return Map(Eval(args[0], period), Math.Abs);
            case "CEIL":
                Arity(1, 1);
                return Map(Eval(args[0], period), Math.Ceiling);
            case "FLOOR":
                Arity(1, 1);
                return Map(Eval(args[0], period), Math.Floor);
            case "SQRT":
                Arity(1, 1);
                return Map(Eval(args[0], period), Math.Sqrt);
            case "LOG":
                Arity(1, 1);
                return Map(Eval(args[0], period), Math.Log);
            case "LOG10":
                Arity(1, 1);
                return Map(Eval(args[0], period), Math.Log10);
            case "PERIOD":
                {
                    Arity(1, 1);
                    return Eval(args[0], period) switch
                    {
                        MathValue.Series s => new MathValue.Scalar(s.Value.Period),
                        MathValue.Array a when a.Value.Count > 0 => new MathValue.Scalar(a.Value[0].Period),
                        _ => new MathValue.Scalar(period),
                    };
                }
            case "TIME_SERIES":
                {
                    Arity(1, 1);
                    if (Eval(args[0], period) is not MathValue.Scalar s)
                    {
                        throw new MetricMathException("TIME_SERIES expects a scalar.");
                    }
                    var result = new TimeSeries("", "TIME_SERIES", period);
                    foreach (var t in Grid(period))
                    {
                        result.Points[t] = s.Value;
                    }
                    return new MathValue.Series(result);
                }
            case "RATE" or "DIFF" or "DIFF_TIME":
                Arity(1, 1);
                return PerSeries(Eval(args[0], period), s =>
                {
                    var result = s.With(s.Label);
                    long? prevT = null;
                    var prevV = 0.0;
                    foreach (var (t, v) in s.Points)
                    {
                        if (prevT is { } pt)
                        {
                            result.Points[t] = name switch
                            {
                                "RATE" => (v - prevV) / (t - pt),
                                "DIFF" => v - prevV,
                                _ => t - pt,
                            };
                        }
                        prevT = t;
                        prevV = v;
                    }
                    return result;
                });
            case "FIRST" or "LAST":
                {
                    Arity(1, 1);
                    var v = Eval(args[0], period);
                    return v is MathValue.Array { Value.Count: > 0 } a
                        ? new MathValue.Series(name == "FIRST" ? a.Value[0] : a.Value[^1])
                        : v;
                }
            case "FILL":
                {
                    Arity(2, 2);
                    var target = Eval(args[0], period);
                    var mode = args[1] is Node.Ref { Id: var id } && id.ToUpperInvariant() is "REPEAT" or "LINEAR" ? id.ToUpperInvariant() : null;
                    var fillValue = mode is null ? Eval(args[1], period) : null;
                    return PerSeries(target, s =>
                    {
                        var result = s.With(s.Label);
                        var known = s.Points.ToList();
                        foreach (var t in Grid(s.Period))
                        {
                            if (s.Points.TryGetValue(t, out var existing))
                            {
                                result.Points[t] = existing;
                                continue;
                            }
                            double? filled = mode switch
                            {
                                "REPEAT" => known.LastOrDefault(p => p.Key < t) is { Key: > 0 } prev ? prev.Value : known.Count > 0 ? known[0].Value : null,
                                "LINEAR" => Linear(known, t),
                                _ => fillValue switch
                                {
                                    MathValue.Scalar sc => sc.Value,
                                    MathValue.Series fs => fs.Value.Points.TryGetValue(t, out var fv) ? fv : null,
                                    _ => throw new MetricMathException("FILL expects a number, a time series, REPEAT or LINEAR."),
                                },
                            };
                            if (filled is { } f)
                            {
                                result.Points[t] = f;
                            }
                        }
                        return result;
                    });
                }
            case "IF":
                {
                    Arity(2, 3);
                    var condition = Eval(args[0], period);
                    var then = Eval(args[1], period);
                    var otherwise = args.Count == 3 ? Eval(args[2], period) : null;
                    return PerSeries(condition, c =>
                    {
                        var result = new TimeSeries(c.Id, c.Label, c.Period);
                        foreach (var (t, v) in c.Points)
                        {
                            var chosen = v != 0 ? then : otherwise;
                            double? value = chosen switch
                            {
                                MathValue.Scalar s => s.Value,
                                MathValue.Series s => s.Value.Points.TryGetValue(t, out var x) ? x : null,
                                MathValue.Array a when a.Value.Count > 0 => a.Value[0].Points.TryGetValue(t, out var x) ? x : null,
                                _ => null,
                            };
                            if (value is { } x2)
                            {
                                result.Points[t] = x2;
                            }
                        }
                        return result;
                    });
                }
        }
        throw new MetricMathException($"Unknown function {call.Name}.");
    }

    private static double? Linear(List<KeyValuePair<long, double>> known, long t)
    {
        KeyValuePair<long, double>? before = null, after = null;
        foreach (var p in known)
        {
            if (p.Key < t)
            {
                before = p;
            }
            else if (p.Key > t)
            {
                after = p;
                break;
            }
        }
        if (before is { } b && after is { } a)
        {
            return b.Value + (a.Value - b.Value) * (t - b.Key) / (a.Key - b.Key);
        }
        return null;
    }

    // ---- parsing ------------------------------------------------------------------------------

    private enum TokenKind { Number, Identifier, Text, Symbol, End }

    private sealed record Token(TokenKind Kind, string Text, int Position);

    private abstract record Node
    {
        public sealed record Number(double Value) : Node;
        public sealed record Text(string Value) : Node;
        public sealed record Ref(string Id) : Node;
        public sealed record Unary(string Op, Node Operand) : Node;
        public sealed record Binary(string Op, Node Left, Node Right) : Node;
        public sealed record Call(string Name, IReadOnlyList<Node> Args) : Node;
    }

    private static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
            {
                var start = i;
                while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
                {
                    i++;
                }
                if (i < s.Length && s[i] is 'e' or 'E')
                {
                    i++;
                    if (i < s.Length && s[i] is '+' or '-')
                    {
                        i++;
                    }
                    while (i < s.Length && char.IsAsciiDigit(s[i]))
                    {
                        i++;
                    }
                }
                tokens.Add(new(TokenKind.Number, s[start..i], start));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }
                tokens.Add(new(TokenKind.Identifier, s[start..i], start));
            }
            else if (c is '"' or '\'')
            {
                var start = i++;
                var text = new StringBuilder();
                while (i < s.Length && s[i] != c)
                {
                    text.Append(s[i++]);
                }
                if (i >= s.Length)
                {
                    throw new MetricMathException($"Unterminated string at position {start}.");
                }
                i++;
                tokens.Add(new(TokenKind.Text, text.ToString(), start));
            }
            else
            {
                var two = i + 1 < s.Length ? s.Substring(i, 2) : "";
                if (two is "<=" or ">=" or "==" or "!=" or "&&" or "||")
                {
                    tokens.Add(new(TokenKind.Symbol, two, i));
                    i += 2;
                }
                else if ("+-*/^(),<>".Contains(c, StringComparison.Ordinal))
                {
                    tokens.Add(new(TokenKind.Symbol, c.ToString(), i));
                    i++;
                }
                else
                {
                    throw new MetricMathException($"Unexpected character '{c}' at position {i}.");
                }
            }
        }
        tokens.Add(new(TokenKind.End, "", s.Length));
        return tokens;
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _pos;

        private Token Peek => tokens[_pos];

        private bool IsSymbol(string text) => Peek.Kind == TokenKind.Symbol && Peek.Text == text;

        private bool IsWord(string word) => Peek.Kind == TokenKind.Identifier && string.Equals(Peek.Text, word, StringComparison.OrdinalIgnoreCase);

        public void ExpectEnd()
        {
            if (Peek.Kind != TokenKind.End)
            {
                throw new MetricMathException($"Unexpected '{Peek.Text}' at position {Peek.Position}.");
            }
        }

        public Node ParseExpression() => ParseOr();

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (IsSymbol("||") || IsWord("OR"))
            {
                _pos++;
                left = new Node.Binary("OR", left, ParseAnd());
            }
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseNot();
            while (IsSymbol("&&") || IsWord("AND"))
            {
                _pos++;
                left = new Node.Binary("AND", left, ParseNot());
            }
            return left;
        }

        private Node ParseNot()
        {
            if (IsWord("NOT"))
            {
                _pos++;
                return new Node.Unary("NOT", ParseNot());
            }
            return ParseComparison();
        }

        private Node ParseComparison()
        {
            var left = ParseAdditive();
            while (Peek.Kind == TokenKind.Symbol && Peek.Text is "<" or ">" or "<=" or ">=" or "==" or "!=")
            {
                var op = tokens[_pos++].Text;
                left = new Node.Binary(op, left, ParseAdditive());
            }
            return left;
        }

        private Node ParseAdditive()
        {
            var left = ParseMultiplicative();
            while (IsSymbol("+") || IsSymbol("-"))
            {
                var op = tokens[_pos++].Text;
                left = new Node.Binary(op, left, ParseMultiplicative());
            }
            return left;
        }

        private Node ParseMultiplicative()
        {
            var left = ParseUnary();
            while (IsSymbol("*") || IsSymbol("/"))
            {
                var op = tokens[_pos++].Text;
                left = new Node.Binary(op, left, ParseUnary());
            }
            return left;
        }

        private Node ParseUnary()
        {
            if (IsSymbol("-"))
            {
                _pos++;
                return new Node.Unary("-", ParseUnary());
            }
            if (IsSymbol("+"))
            {
                _pos++;
                return ParseUnary();
            }
            return ParsePower();
        }

        private Node ParsePower()
        {
            var left = ParsePrimary();
            if (IsSymbol("^"))
            {
                _pos++;
                return new Node.Binary("^", left, ParseUnary());
            }
            return left;
        }

        private Node ParsePrimary()
        {
            var token = tokens[_pos];
            switch (token.Kind)
            {
                case TokenKind.Number:
                    _pos++;
                    return double.TryParse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
                        ? new Node.Number(n)
                        : throw new MetricMathException($"Invalid number '{token.Text}'.");
                case TokenKind.Text:
                    _pos++;
                    return new Node.Text(token.Text);
                case TokenKind.Identifier:
                    _pos++;
                    if (IsSymbol("("))
                    {
                        _pos++;
                        var args = new List<Node>();
                        if (!IsSymbol(")"))
                        {
                            args.Add(ParseExpression());
                            while (IsSymbol(","))
                            {
                                _pos++;
                                args.Add(ParseExpression());
                            }
                        }
                        Expect(")");
                        return new Node.Call(token.Text, args);
                    }
                    return new Node.Ref(token.Text);
                case TokenKind.Symbol when token.Text == "(":
                    _pos++;
                    var inner = ParseExpression();
                    Expect(")");
                    return inner;
                default:
                    throw new MetricMathException(token.Kind == TokenKind.End ? "Unexpected end of expression." : $"Unexpected '{token.Text}' at position {token.Position}.");
            }
        }

        private void Expect(string symbol)
        {
            if (!IsSymbol(symbol))
            {
                throw new MetricMathException(Peek.Kind == TokenKind.End ? $"Expected '{symbol}' before the end of the expression." : $"Expected '{symbol}' at position {Peek.Position}.");
            }
            _pos++;
        }
    }
}
