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
    Map,
}

/// <summary>
/// The shapes of one generated service model, each made on first use and wired (members, list
/// element, map key and value) on first use of those. A process pays only for the shapes its
/// requests touch: EC2 alone has thousands, and building them all up front cost seconds of start-up.
/// The generated subclass holds one small method per shape; this class keeps each shape unique.
/// </summary>
public abstract class ShapeTable
{
    private readonly ShapeInfo?[] _shapes;

    protected ShapeTable(int count)
    {
        _shapes = new ShapeInfo?[count];
    }

    /// <summary>Number of shapes in the model.</summary>
    public int Count => _shapes.Length;

    /// <summary>Serialises wiring within the model; wiring a shape only makes (never wires) the shapes it names, so it never nests.</summary>
    internal Lock WiringLock { get; } = new();

    /// <summary>The shape at <paramref name="index"/>: always the same instance.</summary>
    public ShapeInfo this[int index] => _shapes[index] ?? Make(index);

    private ShapeInfo Make(int index)
    {
        var made = Create(index);
        return Interlocked.CompareExchange(ref _shapes[index], made, null) ?? made;
    }

    /// <summary>A new descriptor of shape <paramref name="index"/> with its constraints and traits, not yet wired.</summary>
    protected abstract ShapeInfo Create(int index);

    /// <summary>Wires shape <paramref name="index"/> (<see cref="ShapeInfo.InitStructure"/>, <see cref="ShapeInfo.InitList"/>, <see cref="ShapeInfo.InitMap"/>).</summary>
    protected internal abstract void Wire(ShapeInfo shape, int index);
}

/// <summary>
/// One shape of a service model, compiled into code by the generator. The protocol codecs walk
/// these descriptors; the typed classes they fill are generated beside them. Instances are created
/// once per shape and wired together after creation (shapes can be recursive); a shape made by a
/// <see cref="ShapeTable"/> is wired when its members, element, key or value are first read.
/// </summary>
public sealed class ShapeInfo
{
    private ShapeTable? _table;
    private readonly int _index;
    private MemberInfo[] _members = [];
    private Dictionary<string, MemberInfo>? _byQueryName;
    private Dictionary<string, MemberInfo>? _byJsonName;
    private Dictionary<string, MemberInfo>? _byName;
    private Func<object>? _create;
    private ShapeInfo? _element;
    private Func<IList>? _createList;
    private ShapeInfo? _key;
    private ShapeInfo? _value;
    private Func<IDictionary>? _createMap;

    public ShapeInfo(string name, ShapeKind kind)
    {
        Name = name;
        Kind = kind;
    }

    /// <summary>A shape of <paramref name="table"/>, which wires it on first use.</summary>
    public ShapeInfo(string name, ShapeKind kind, ShapeTable table, int index)
        : this(name, kind)
    {
        _table = table;
        _index = index;
    }

    private void EnsureWired()
    {
        if (Volatile.Read(ref _table) is { } table)
        {
            Wire(table);
        }
    }

    private void Wire(ShapeTable table)
    {
        lock (table.WiringLock)
        {
            if (_table is null)
            {
                return;
            }
            table.Wire(this, _index);
            Volatile.Write(ref _table, null);
        }
    }

    public string Name { get; }
    public ShapeKind Kind { get; }

    /// <summary>Minimum length (strings, lists, maps) or value (numbers), when the model sets one.</summary>
    public double? Min { get; private set; }

    /// <summary>Maximum length (strings, lists, maps) or value (numbers), when the model sets one.</summary>
    public double? Max { get; private set; }

    /// <summary>Allowed values of an enumerated string shape.</summary>
    public IReadOnlyList<string>? Enum { get; private set; }

    public bool Sensitive { get; private set; }

    /// <summary>A list or map serialized without its wrapper element / <c>member</c>/<c>entry</c> level.</summary>
    public bool Flattened { get; private set; }

    /// <summary>The shape's <c>timestampFormat</c> trait (iso8601, unixTimestamp, rfc822), if set.</summary>
    public string? TimestampFormat { get; private set; }

    /// <summary>A structure of which exactly one member is set (a Smithy union).</summary>
    public bool IsUnion { get; private set; }

    /// <summary>The shape's <c>xmlNamespace</c> trait, if set.</summary>
    public string? XmlNamespace { get; private set; }

    /// <summary>True for error structures (<c>exception</c> in the model).</summary>
    public bool IsError { get; private set; }

    /// <summary>The error code clients see (the <c>error.code</c> trait, else the shape name).</summary>
    public string? ErrorCode { get; private set; }

    /// <summary>HTTP status of the error (<c>error.httpStatusCode</c>, else 400; 500 for faults).</summary>
    public int ErrorStatusCode { get; private set; } = 400;

    /// <summary>Whether the error is the caller's (<c>Sender</c>) or the service's (<c>Receiver</c>).</summary>
    public bool SenderFault { get; private set; } = true;

    /// <summary>Members of a structure, in model order.</summary>
    public IReadOnlyList<MemberInfo> Members
    {
        get
        {
            EnsureWired();
            return _members;
        }
    }

    /// <summary>Element shape of a list.</summary>
    public ShapeInfo Element
    {
        get
        {
            EnsureWired();
            return _element ?? throw new InvalidOperationException($"{Name} is not a list");
        }
    }

    private string _elementXmlName = "member";
    private string _keyXmlName = "key";
    private string _valueXmlName = "value";

    /// <summary>XML element / query key of list items ("item" for EC2, else the list member's locationName or "member").</summary>
    public string ElementXmlName
    {
        get
        {
            EnsureWired();
            return _elementXmlName;
        }
    }

    private byte[]? _elementOpen;
    private byte[]? _elementClose;

    /// <summary><c>&lt;ElementXmlName&gt;</c> in UTF-8 (made once, on first use).</summary>
    public ReadOnlySpan<byte> ElementOpenTag => _elementOpen ??= System.Text.Encoding.UTF8.GetBytes("<" + ElementXmlName + ">");

    /// <summary><c>&lt;/ElementXmlName&gt;</c> in UTF-8 (made once, on first use).</summary>
    public ReadOnlySpan<byte> ElementCloseTag => _elementClose ??= System.Text.Encoding.UTF8.GetBytes("</" + ElementXmlName + ">");

    /// <summary>Key shape of a map.</summary>
    public ShapeInfo Key
    {
        get
        {
            EnsureWired();
            return _key ?? throw new InvalidOperationException($"{Name} is not a map");
        }
    }

    /// <summary>Value shape of a map.</summary>
    public ShapeInfo Value
    {
        get
        {
            EnsureWired();
            return _value ?? throw new InvalidOperationException($"{Name} is not a map");
        }
    }

    /// <summary>XML element / query key of a map entry's key (locationName of the map's key, else "key").</summary>
    public string KeyXmlName
    {
        get
        {
            EnsureWired();
            return _keyXmlName;
        }
    }

    /// <summary>XML element / query key of a map entry's value (locationName of the map's value, else "value").</summary>
    public string ValueXmlName
    {
        get
        {
            EnsureWired();
            return _valueXmlName;
        }
    }

    public bool IsScalar => Kind is not (ShapeKind.Structure or ShapeKind.List or ShapeKind.Map);

    public object CreateStructure()
    {
        EnsureWired();
        return (_create ?? throw new InvalidOperationException($"{Name} is not a structure"))();
    }

    public IList CreateList()
    {
        EnsureWired();
        return (_createList ?? throw new InvalidOperationException($"{Name} is not a list"))();
    }

    /// <summary>A new empty map (a <c>Dictionary&lt;string, T&gt;</c>).</summary>
    public IDictionary CreateMap()
    {
        EnsureWired();
        return (_createMap ?? throw new InvalidOperationException($"{Name} is not a map"))();
    }

    /// <summary>The member with this key in a query/EC2 request.</summary>
    public MemberInfo? FindByQueryName(string queryName) => Find(ref _byQueryName, queryName, static m => m.QueryName);

    /// <summary>The member with this key in a JSON document.</summary>
    public MemberInfo? FindByJsonName(string jsonName) => Find(ref _byJsonName, jsonName, static m => m.JsonName);

    /// <summary>The member with this model name (CBOR keys).</summary>
    public MemberInfo? FindByName(string name) => Find(ref _byName, name, static m => m.Name);

    private MemberInfo? Find(ref Dictionary<string, MemberInfo>? index, string key, Func<MemberInfo, string> keyOf)
    {
        if (index is null)
        {
            EnsureWired();
            var map = new Dictionary<string, MemberInfo>(_members.Length, StringComparer.Ordinal);
            foreach (var m in _members)
            {
                map.TryAdd(keyOf(m), m);
            }
            index = map;
        }
        return index.GetValueOrDefault(key);
    }

    public ShapeInfo Constrain(double? min = null, double? max = null, string[]? enumValues = null, bool sensitive = false)
    {
        Min = min;
        Max = max;
        Enum = enumValues;
        Sensitive = sensitive;
        return this;
    }

    /// <summary>Serialization traits of the shape.</summary>
    public ShapeInfo WithTraits(bool flattened = false, string? timestampFormat = null, bool union = false, string? xmlNamespace = null)
    {
        Flattened = flattened;
        TimestampFormat = timestampFormat;
        IsUnion = union;
        XmlNamespace = xmlNamespace;
        return this;
    }

    /// <summary>Marks an error structure with the code, HTTP status and fault side clients see.</summary>
    public ShapeInfo AsError(string code, int statusCode, bool senderFault)
    {
        IsError = true;
        ErrorCode = code;
        ErrorStatusCode = statusCode;
        SenderFault = senderFault;
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
        _elementXmlName = elementXmlName;
        _createList = create;
    }

    public void InitMap(ShapeInfo key, string keyXmlName, ShapeInfo value, string valueXmlName, Func<IDictionary> create)
    {
        _key = key;
        _keyXmlName = keyXmlName;
        _value = value;
        _valueXmlName = valueXmlName;
        _createMap = create;
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
    bool idempotencyToken = false,
    string? jsonName = null,
    bool flattened = false,
    string? timestampFormat = null,
    bool xmlAttribute = false,
    string? xmlNamespace = null,
    Func<object, int?>? getInt32 = null,
    Func<object, long?>? getInt64 = null,
    Func<object, bool?>? getBoolean = null,
    Func<object, double?>? getDouble = null,
    Func<object, float?>? getSingle = null,
    Func<object, DateTime?>? getTimestamp = null)
{
    private byte[]? _xmlOpen;
    private byte[]? _xmlClose;

    /// <summary>Member name in the model (the C# property name, modulo keyword escaping); CBOR map key.</summary>
    public string Name { get; } = name;

    public ShapeInfo Shape { get; } = shape;

    /// <summary>
    /// Key prefix of this member in a query request: for EC2, queryName, else capitalised
    /// locationName, else name; for the query protocol, locationName, else name.
    /// </summary>
    public string QueryName { get; } = queryName;

    /// <summary>Element name of this member in an XML response (locationName, else name).</summary>
    public string XmlName { get; } = xmlName;

    /// <summary>Key of this member in a JSON document (jsonName, else locationName, else name).</summary>
    public string JsonName { get; } = jsonName ?? name;

    /// <summary>The list or map is flattened (member trait or its shape's).</summary>
    public bool Flattened { get; } = flattened || shape.Flattened;

    /// <summary>The member's timestampFormat trait, else its shape's, else null (protocol default).</summary>
    public string? TimestampFormat { get; } = timestampFormat ?? shape.TimestampFormat;

    /// <summary>Serialized as an XML attribute of the enclosing element.</summary>
    public bool XmlAttribute { get; } = xmlAttribute;

    public string? XmlNamespace { get; } = xmlNamespace;

    public bool Required { get; } = required;

    /// <summary>True for members like ClientToken that carry an idempotency token.</summary>
    public bool IdempotencyToken { get; } = idempotencyToken;

    public object? GetValue(object target) => get(target);

    // Typed reads of value-kind members: the generated accessors return the property as it is
    // (no boxing); a member built without one unboxes what GetValue answers.

    /// <summary>The value of an integer member, without boxing.</summary>
    public int? GetInt32(object target) => getInt32 is not null ? getInt32(target) : (int?)get(target);

    /// <summary>The value of a long member, without boxing.</summary>
    public long? GetInt64(object target) => getInt64 is not null ? getInt64(target) : (long?)get(target);

    /// <summary>The value of a boolean member, without boxing.</summary>
    public bool? GetBoolean(object target) => getBoolean is not null ? getBoolean(target) : (bool?)get(target);

    /// <summary>The value of a double member, without boxing.</summary>
    public double? GetDouble(object target) => getDouble is not null ? getDouble(target) : (double?)get(target);

    /// <summary>The value of a float member, without boxing.</summary>
    public float? GetSingle(object target) => getSingle is not null ? getSingle(target) : (float?)get(target);

    /// <summary>The value of a timestamp member, without boxing.</summary>
    public DateTime? GetTimestamp(object target) => getTimestamp is not null ? getTimestamp(target) : (DateTime?)get(target);

    /// <summary><c>&lt;XmlName&gt;</c> in UTF-8 (made once, on first use).</summary>
    public ReadOnlySpan<byte> XmlOpenTag => _xmlOpen ??= System.Text.Encoding.UTF8.GetBytes("<" + XmlName + ">");

    /// <summary><c>&lt;/XmlName&gt;</c> in UTF-8 (made once, on first use).</summary>
    public ReadOnlySpan<byte> XmlCloseTag => _xmlClose ??= System.Text.Encoding.UTF8.GetBytes("</" + XmlName + ">");

    public void SetValue(object target, object? value) => set(target, value);

    public override string ToString() => $"{Name}: {Shape.Name}";
}

/// <summary>An operation of a service model.</summary>
public sealed class OperationInfo
{
    private readonly ShapeTable? _table;
    private readonly int _inputIndex = -1;
    private readonly int _outputIndex = -1;
    private readonly int[]? _errorIndexes;
    private ShapeInfo? _input;
    private ShapeInfo? _output;
    private IReadOnlyList<ShapeInfo>? _errors;
    private MemberInfo? _idempotencyMember;
    private volatile bool _idempotencyKnown;

    public OperationInfo(
        string name,
        ShapeInfo? input,
        ShapeInfo? output,
        bool isReadOnly,
        string? resultWrapper = null,
        IReadOnlyList<ShapeInfo>? errors = null)
    {
        Name = name;
        _input = input;
        _output = output;
        IsReadOnly = isReadOnly;
        ResultWrapper = resultWrapper;
        _errors = errors ?? [];
    }

    /// <summary>
    /// An operation of a generated model whose input, output and errors are shapes of
    /// <paramref name="table"/> by index (-1: none), looked up on first use.
    /// </summary>
    public OperationInfo(
        string name,
        ShapeTable table,
        int input,
        int output,
        bool isReadOnly,
        string? resultWrapper = null,
        int[]? errors = null)
    {
        Name = name;
        _table = table;
        _inputIndex = input;
        _outputIndex = output;
        IsReadOnly = isReadOnly;
        ResultWrapper = resultWrapper;
        _errorIndexes = errors;
    }

    public string Name { get; }

    public ShapeInfo? Input => _input ?? (_inputIndex >= 0 ? _input = _table![_inputIndex] : null);

    public ShapeInfo? Output => _output ?? (_outputIndex >= 0 ? _output = _table![_outputIndex] : null);

    /// <summary>The input member that carries an idempotency token (ClientToken), if any.</summary>
    public MemberInfo? IdempotencyMember
    {
        get
        {
            if (!_idempotencyKnown)
            {
                _idempotencyMember = Input?.Members.FirstOrDefault(m => m.IdempotencyToken);
                _idempotencyKnown = true;
            }
            return _idempotencyMember;
        }
    }

    /// <summary>
    /// The operation changes no state (spec/&lt;service&gt;/readonly.json, a reviewed list):
    /// it runs on a read snapshot without a write transaction.
    /// </summary>
    public bool IsReadOnly { get; }

    /// <summary>Element wrapping the output in a query-protocol response (<c>&lt;OpResult&gt;</c>), if any.</summary>
    public string? ResultWrapper { get; }

    /// <summary>Error shapes the model lists for this operation.</summary>
    public IReadOnlyList<ShapeInfo> Errors => _errors ??= _errorIndexes is null ? [] : Array.ConvertAll(_errorIndexes, i => _table![i]);

    /// <summary>Position in <see cref="ServiceInfo.Operations"/>, which is also the value of the service's action enum.</summary>
    public int Index { get; internal set; } = -1;

    /// <summary>The service this operation belongs to (set when the service is created).</summary>
    public ServiceInfo Service { get; internal set; } = null!;

    public override string ToString() => Name;
}

/// <summary>Service-level metadata of a model (botocore's <c>metadata</c> block).</summary>
/// <param name="ServiceId">serviceId, e.g. "EC2", "CloudWatch".</param>
/// <param name="ApiVersion">apiVersion, the <c>Version</c> query-protocol clients send.</param>
/// <param name="Protocol">The model's preferred protocol.</param>
/// <param name="Protocols">Every protocol the service speaks, preferred first.</param>
/// <param name="EndpointPrefix">endpointPrefix (host name prefix).</param>
/// <param name="SigningName">SigV4 service name of the credential scope (signingName, else endpointPrefix).</param>
/// <param name="XmlNamespace">XML namespace of query/EC2 responses ("" for JSON-only services).</param>
/// <param name="TargetPrefix">X-Amz-Target prefix of json requests and rpcv2 paths, if any.</param>
/// <param name="JsonVersion">"1.0" or "1.1" for json services.</param>
/// <param name="AwsQueryCompatible">json/cbor errors also carry the query error code (x-amzn-query-error).</param>
/// <param name="Uid">The model's uid, e.g. "monitoring-2010-08-01".</param>
/// <param name="ServiceFullName">serviceFullName.</param>
public sealed record ServiceMetadata(
    string ServiceId,
    string ApiVersion,
    string Protocol,
    IReadOnlyList<string> Protocols,
    string EndpointPrefix,
    string SigningName,
    string XmlNamespace = "",
    string? TargetPrefix = null,
    string? JsonVersion = null,
    bool AwsQueryCompatible = false,
    string? Uid = null,
    string? ServiceFullName = null);

/// <summary>A service model compiled to code: its metadata, operations and error shapes.</summary>
public sealed class ServiceInfo
{
    private readonly Dictionary<string, OperationInfo> _byName;
    private readonly ShapeTable? _table;
    private readonly int[]? _errorIndexes;
    private IReadOnlyList<ShapeInfo>? _errors;
    private Dictionary<string, ShapeInfo>? _errorsByCode;

    public ServiceInfo(ServiceMetadata metadata, IReadOnlyList<OperationInfo> operations, IReadOnlyList<ShapeInfo>? errors = null)
    {
        Metadata = metadata;
        Operations = operations;
        _errors = errors ?? [];
        _byName = operations.ToDictionary(o => o.Name, StringComparer.Ordinal);
        for (var i = 0; i < operations.Count; i++)
        {
            operations[i].Index = i;
            operations[i].Service = this;
        }
    }

    /// <summary>A generated model's service: its error shapes are shapes of <paramref name="table"/> by index, made on first use.</summary>
    public ServiceInfo(ServiceMetadata metadata, IReadOnlyList<OperationInfo> operations, ShapeTable table, int[] errors)
        : this(metadata, operations)
    {
        _errors = null;
        _table = table;
        _errorIndexes = errors;
    }

    public ServiceInfo(string serviceId, string apiVersion, string xmlNamespace, string protocol, IReadOnlyList<OperationInfo> operations)
        : this(new ServiceMetadata(serviceId, apiVersion, protocol, [protocol], serviceId.ToLowerInvariant(), serviceId.ToLowerInvariant(), xmlNamespace), operations)
    {
    }

    public ServiceMetadata Metadata { get; }
    public string ServiceId => Metadata.ServiceId;
    public string ApiVersion => Metadata.ApiVersion;
    public string XmlNamespace => Metadata.XmlNamespace;

    /// <summary>The model's preferred protocol.</summary>
    public string Protocol => Metadata.Protocol;

    /// <summary>Every protocol the service speaks, preferred first.</summary>
    public IReadOnlyList<string> Protocols => Metadata.Protocols;

    public string? TargetPrefix => Metadata.TargetPrefix;
    public string? JsonVersion => Metadata.JsonVersion;
    public string SigningName => Metadata.SigningName;
    public string EndpointPrefix => Metadata.EndpointPrefix;
    public bool AwsQueryCompatible => Metadata.AwsQueryCompatible;

    /// <summary>Operations in enum order (by name, ordinal).</summary>
    public IReadOnlyList<OperationInfo> Operations { get; }

    /// <summary>Every error shape of the model.</summary>
    public IReadOnlyList<ShapeInfo> Errors => _errors ??= Array.ConvertAll(_errorIndexes!, i => _table![i]);

    public OperationInfo? FindOperation(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The model's error shape with this code (its <c>error.code</c>, else its name).</summary>
    public ShapeInfo? FindError(string code) => (_errorsByCode ??= IndexErrors()).GetValueOrDefault(code);

    private Dictionary<string, ShapeInfo> IndexErrors()
    {
        var byCode = new Dictionary<string, ShapeInfo>(StringComparer.Ordinal);
        foreach (var e in Errors)
        {
            byCode.TryAdd(e.ErrorCode ?? e.Name, e);
        }
        return byCode;
    }

    public override string ToString() => ServiceId;
}

/// <summary>
/// A service's one dispatch, addressed by operation descriptor: what the gateway calls after it has
/// found the operation by name in <see cref="ServiceInfo"/>. Implemented by every generated
/// <c>&lt;Prefix&gt;ServiceBase&lt;TContext&gt;</c>.
/// </summary>
public interface IServiceDispatcher<in TContext>
{
    ServiceInfo Service { get; }

    /// <summary>Runs the operation's handler with its parsed input (null for operations without input); returns its output or null.</summary>
    Task<object?> DispatchAsync(OperationInfo operation, TContext context, object? request);
}
