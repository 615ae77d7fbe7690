namespace Stratus.Domain.CloudWatch;

/// <summary>
/// A composite alarm's rule: <c>ALARM(name)</c>, <c>OK(name)</c>, <c>INSUFFICIENT_DATA(name)</c>
/// (names quoted or bare), <c>TRUE</c>, <c>FALSE</c>, combined with AND, OR, NOT and parentheses.
/// </summary>
public sealed class CompositeRule
{
    private readonly Node _root;

    private CompositeRule(Node root, IReadOnlyList<string> alarms)
    {
        _root = root;
        Alarms = alarms;
    }

    /// <summary>The alarm names the rule refers to.</summary>
    public IReadOnlyList<string> Alarms { get; }

    /// <summary>Parses a rule; throws <see cref="FormatException"/> with the reason when it is not valid.</summary>
    public static CompositeRule Parse(string rule)
    {
        var parser = new Parser(rule);
        var node = parser.ParseOr();
        parser.SkipSpace();
        if (!parser.AtEnd)
        {
            throw new FormatException($"Unexpected text at position {parser.Position} of the rule.");
        }
        return new CompositeRule(node, parser.Names.Distinct(StringComparer.Ordinal).ToList());
    }

    /// <summary>Whether the rule holds, given the current state of each alarm (null: no such alarm).</summary>
    public bool Evaluate(Func<string, string?> stateOf) => Eval(_root, stateOf);

    private static bool Eval(Node node, Func<string, string?> stateOf) => node switch
    {
        Node.Constant c => c.Value,
        Node.State s => stateOf(s.Alarm) == s.Value,
        Node.Not n => !Eval(n.Operand, stateOf),
        Node.And a => Eval(a.Left, stateOf) && Eval(a.Right, stateOf),
        Node.Or o => Eval(o.Left, stateOf) || Eval(o.Right, stateOf),
        _ => false,
    };

    private abstract record Node
    {
        public sealed record Constant(bool Value) : Node;
        public sealed record State(string Value, string Alarm) : Node;
        public sealed record Not(Node Operand) : Node;
        public sealed record And(Node Left, Node Right) : Node;
        public sealed record Or(Node Left, Node Right) : Node;
    }

    private sealed class Parser(string text)
    {
        public List<string> Names { get; } = [];
        public int Position { get; private set; }
        public bool AtEnd => Position >= text.Length;

        public void SkipSpace()
        {
            while (Position < text.Length && char.IsWhiteSpace(text[Position]))
            {
                Position++;
            }
        }

        private bool Keyword(string word)
        {
            SkipSpace();
            if (string.Compare(text, Position, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0
                && (Position + word.Length >= text.Length || !(char.IsAsciiLetterOrDigit(text[Position + word.Length]) || text[Position + word.Length] == '_')))
            {
                Position += word.Length;
                return true;
            }
            return false;
        }

        private bool Symbol(char c)
        {
            SkipSpace();
            if (Position < text.Length && text[Position] == c)
            {
                Position++;
                return true;
            }
            return false;
        }

        public Node ParseOr()
        {
            var left = ParseAnd();
            while (Keyword("OR"))
            {
                left = new Node.Or(left, ParseAnd());
            }
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseNot();
            while (Keyword("AND"))
            {
                left = new Node.And(left, ParseNot());
            }
            return left;
        }

        private Node ParseNot() => Keyword("NOT") ? new Node.Not(ParseNot()) : ParsePrimary();

        private Node ParsePrimary()
        {
            if (Symbol('('))
            {
                var inner = ParseOr();
                return Symbol(')') ? inner : throw new FormatException($"Expected ')' at position {Position} of the rule.");
            }
            if (Keyword("TRUE"))
            {
                return new Node.Constant(true);
            }
            if (Keyword("FALSE"))
            {
                return new Node.Constant(false);
            }
            foreach (var state in new[] { "INSUFFICIENT_DATA", "ALARM", "OK" })
            {
                if (Keyword(state))
                {
                    if (!Symbol('('))
                    {
                        throw new FormatException($"Expected '(' after {state} at position {Position} of the rule.");
                    }
                    var name = Name();
                    if (!Symbol(')'))
                    {
                        throw new FormatException($"Expected ')' at position {Position} of the rule.");
                    }
                    Names.Add(name);
                    return new Node.State(state, name);
                }
            }
            throw new FormatException($"Expected ALARM(), OK(), INSUFFICIENT_DATA(), TRUE or FALSE at position {Position} of the rule.");
        }

        private string Name()
        {
            SkipSpace();
            if (Position < text.Length && text[Position] is '"' or '\'')
            {
                var quote = text[Position++];
                var end = text.IndexOf(quote, Position);
                if (end < 0)
                {
                    throw new FormatException("Unterminated alarm name in the rule.");
                }
                var quoted = text[Position..end];
                Position = end + 1;
                return quoted;
            }
            var start = Position;
            while (Position < text.Length && text[Position] != ')' && !char.IsWhiteSpace(text[Position]))
            {
                Position++;
            }
            return Position > start ? text[start..Position] : throw new FormatException($"Expected an alarm name at position {Position} of the rule.");
        }
    }
}
