using System.Collections;

namespace Stratus.Protocol.Model;

/// <summary>The kind of a shape in an AWS service model.</summary>
public enum ShapeKind
{
    Structure,
    List,
    String,
    Integer,
    Long,
    Boolean,
    Double,
    Float,
    Timestamp,
    Blob,
}

/// <summary>
/// One shape of a service model, compiled into code by the generator. The protocol parser and
/// serializer walk these descriptors; the typed classes they fill are generated beside them.
/// Instances are created once per shape and wired together after creation (shapes can be recursive).
/// </summary>
public sealed class ShapeInfo
{
    private MemberInfo[] _members = [];
    private Dictionary<string, MemberInfo>? _byQueryName;
    private Func<object>? _create;
    private ShapeInfo? _element;
    private Func<IList>? _createList;

    public ShapeInfo(string name, ShapeKind kind)
    {
        Name = name;
        Kind = kind;
    }

    public string Name { get; }
    public ShapeKind Kind { get; }

    /// <summary>Minimum length (strings, lists) or value (numbers), when the model sets one.</summary>
    public double? Min { get; private set; }

    /// <summary>Maximum length (strings, lists) or value (numbers), when the model sets one.</summary>
    public double? Max { get; private set; }

    /// <summary>Allowed values of an enumerated string shape.</summary>
    public IReadOnlyList<string>? Enum { get; private set; }

    public bool Sensitive { get; private set; }

    /// <summary>Members of a structure, in model order.</summary>
    public IReadOnlyList<MemberInfo> Members => _members;

    /// <summary>Element shape of a list.</summary>
    public ShapeInfo Element => _element ?? throw new InvalidOperationException($"{Name} is not a list");

    /// <summary>XML element name of list items in responses ("item" for EC2).</summary>
    public string ElementXmlName { get; private set; } = "member";

    public bool IsScalar => Kind is not (ShapeKind.Structure or ShapeKind.List);

    public object CreateStructure() => (_create ?? throw new InvalidOperationException($"{Name} is not a structure"))();

    public IList CreateList() => (_createList ?? throw new InvalidOperationException($"{Name} is not a list"))();

    public MemberInfo? FindByQueryName(string queryName)
    {
        if (_byQueryName is null)
        {
            var map = new Dictionary<string, MemberInfo>(_members.Length, StringComparer.Ordinal);
            foreach (var m in _members)
            {
                map.TryAdd(m.QueryName, m);
            }
            _byQueryName = map;
        }
        return _byQueryName.GetValueOrDefault(queryName);
    }

    public ShapeInfo Constrain(double? min = null, double? max = null, string[]? enumValues = null, bool sensitive = false)
    {
        Min = min;
        Max = max;
        Enum = enumValues;
        Sensitive = sensitive;
        return this;
    }

    public void InitStructure(Func<object> create, params MemberInfo[] members)
    {
        _create = create;
        _members = members;
    }

    public void InitList(ShapeInfo element, string elementXmlName, Func<IList> create)
    {
        _element = element;
        ElementXmlName = elementXmlName;
        _createList = create;
    }

    public override string ToString() => $"{Name} ({Kind})";
}

/// <summary>A member of a structure shape with its wire names and typed accessors.</summary>
public sealed class MemberInfo(
    string name,
    ShapeInfo shape,
    string queryName,
    string xmlName,
    Func<object, object?> get,
    Action<object, object?> set,
    bool required = false,
    bool idempotencyToken = false)
{
    /// <summary>Member name in the model (the C# property name, modulo keyword escaping).</summary>
    public string Name { get; } = name;

    public ShapeInfo Shape { get; } = shape;

    /// <summary>Key prefix of this member in an EC2 query request (queryName, else capitalised locationName, else name).</summary>
    public string QueryName { get; } = queryName;

    /// <summary>Element name of this member in an XML response (locationName, else name).</summary>
    public string XmlName { get; } = xmlName;

    public bool Required { get; } = required;

    /// <summary>True for members like ClientToken that carry an idempotency token.</summary>
    public bool IdempotencyToken { get; } = idempotencyToken;

    public object? GetValue(object target) => get(target);

    public void SetValue(object target, object? value) => set(target, value);

    public override string ToString() => $"{Name}: {Shape.Name}";
}

/// <summary>An operation of a service model.</summary>
public sealed class OperationInfo(string name, ShapeInfo? input, ShapeInfo? output)
{
    public string Name { get; } = name;
    public ShapeInfo? Input { get; } = input;
    public ShapeInfo? Output { get; } = output;

    /// <summary>The input member that carries an idempotency token (ClientToken), if any.</summary>
    public MemberInfo? IdempotencyMember { get; } = input?.Members.FirstOrDefault(m => m.IdempotencyToken);

    /// <summary>Describe/Get/List/Search operations do not change state.</summary>
    public bool IsReadOnly { get; } = name.StartsWith("Describe", StringComparison.Ordinal)
        || name.StartsWith("Get", StringComparison.Ordinal)
        || name.StartsWith("List", StringComparison.Ordinal)
        || name.StartsWith("Search", StringComparison.Ordinal);

    public override string ToString() => Name;
}

/// <summary>A service model compiled to code: its metadata, operations and shapes.</summary>
public sealed class ServiceInfo(string serviceId, string apiVersion, string xmlNamespace, string protocol, IReadOnlyList<OperationInfo> operations)
{
    private readonly Dictionary<string, OperationInfo> _byName = operations.ToDictionary(o => o.Name, StringComparer.Ordinal);

    public string ServiceId { get; } = serviceId;
    public string ApiVersion { get; } = apiVersion;
    public string XmlNamespace { get; } = xmlNamespace;
    public string Protocol { get; } = protocol;
    public IReadOnlyList<OperationInfo> Operations { get; } = operations;

    public OperationInfo? FindOperation(string name) => _byName.GetValueOrDefault(name);
}
