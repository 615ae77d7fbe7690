using System.Collections;
using System.Text;
using Stratus.Protocol.Model;

namespace Stratus.Ec2.Model.Tests;

/// <summary>Random values of any shape, within the model's constraints, for round-trip tests.</summary>
internal sealed class ShapeValues(int seed)
{
    private const int MaxDepth = 6;
    private static readonly string[] Awkward = [" ", "&", "=", "+", "%", "/", "?", "#", "<", ">", "\"", "'", "é", "日本", "\n", ".", "*"];
    private readonly Random _random = new(seed);

    public object Create(ShapeInfo shape, int depth = 0) => shape.Kind switch
    {
        ShapeKind.Structure => Structure(shape, depth),
        ShapeKind.List => List(shape, depth),
        ShapeKind.Map => Map(shape, depth),
        ShapeKind.String => String(shape),
        ShapeKind.Integer => (int)Number(shape, int.MinValue / 2, int.MaxValue / 2),
        ShapeKind.Long => Number(shape, -1L << 40, 1L << 40),
        ShapeKind.Boolean => _random.Next(2) == 0,
        ShapeKind.Double => Math.Round(_random.NextDouble() * 1000 - 500, 6),
        ShapeKind.Float => (float)Math.Round(_random.NextDouble() * 100, 3),
        ShapeKind.Timestamp => DateTime.UnixEpoch.AddMilliseconds(_random.NextInt64(0, 4_102_444_800_000)),
        ShapeKind.Blob => RandomBytes(),
        _ => throw new InvalidOperationException(shape.ToString()),
    };

    private object Structure(ShapeInfo shape, int depth)
    {
        var value = shape.CreateStructure();
        if (shape.IsUnion)
        {
            var only = shape.Members[_random.Next(shape.Members.Count)];
            only.SetValue(value, Create(only.Shape, depth + 1));
            return value;
        }
        foreach (var member in shape.Members)
        {
            if (member.Required || (depth < MaxDepth && _random.NextDouble() < 0.6))
            {
                member.SetValue(value, Create(member.Shape, depth + 1));
            }
        }
        return value;
    }

    private IList List(ShapeInfo shape, int depth)
    {
        var list = shape.CreateList();
        var min = (int)(shape.Min ?? 0);
        var max = (int)Math.Min(shape.Max ?? 3, 3);
        var count = depth >= MaxDepth ? min : _random.Next(Math.Max(min, 0), Math.Max(min, max) + 1);
        for (var i = 0; i < count; i++)
        {
            list.Add(Create(shape.Element, depth + 1));
        }
        return list;
    }

    private IDictionary Map(ShapeInfo shape, int depth)
    {
        var map = shape.CreateMap();
        var min = (int)(shape.Min ?? 0);
        var max = (int)Math.Min(shape.Max ?? 3, 3);
        var count = depth >= MaxDepth ? min : _random.Next(Math.Max(min, 0), Math.Max(min, max) + 1);
        for (var i = 0; i < count * 2 && map.Count < count; i++)
        {
            map[String(shape.Key)] = Create(shape.Value, depth + 1);
        }
        return map;
    }

    private string String(ShapeInfo shape)
    {
        if (shape.Enum is { Count: > 0 } values)
        {
            return values[_random.Next(values.Count)];
        }
        var min = (int)Math.Max(shape.Min ?? 1, 1);
        var max = (int)Math.Min(shape.Max ?? 24, 24);
        max = Math.Max(max, min);
        var length = _random.Next(min, max + 1);
        var sb = new StringBuilder();
        while (sb.Length < length)
        {
            sb.Append(_random.Next(4) == 0 ? Awkward[_random.Next(Awkward.Length)] : ((char)('a' + _random.Next(26))).ToString());
        }
        var text = sb.ToString();
        // Keep within the length bounds, never splitting a surrogate pair, and never blank at the edges.
        text = text.Length > max ? text[..max] : text;
        return text.Trim().Length < text.Length || text.Length < min ? new string('x', min) : text;
    }

    private long Number(ShapeInfo shape, long low, long high)
    {
        var min = shape.Min is { } mn ? (long)Math.Max(mn, low) : low;
        var max = shape.Max is { } mx ? (long)Math.Min(mx, high) : high;
        return max <= min ? min : _random.NextInt64(min, max + 1);
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(1, 24)];
        _random.NextBytes(bytes);
        return bytes;
    }
}
