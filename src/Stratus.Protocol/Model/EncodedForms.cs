namespace Stratus.Protocol.Model;

/// <summary>
/// A structure value that no longer changes and may keep what a serializer wrote for it (see
/// <see cref="EncodedForms"/>). A value answers <see langword="null"/> until it is marked as not
/// changing; only then does a serializer keep anything on it.
/// </summary>
public interface IEncodedFormsHolder
{
    /// <summary>Where serializers keep the value's encoded members, or null while the value may still change.</summary>
    EncodedForms? EncodedForms { get; }
}

/// <summary>
/// The encoded members of one unchanging structure value, kept by the serializer that wrote them
/// (the EC2 serializer keeps its XML): writing the same value again copies those bytes instead of
/// walking its shape. A value that is written many times (an instance in every full
/// DescribeInstances while it does not change) is thus encoded once. Safe for concurrent writers:
/// each sees either nothing (and encodes) or a complete encoding.
/// </summary>
public sealed class EncodedForms
{
    private Encoded? _ec2Xml;

    /// <summary>The members of the value as the EC2 serializer writes them for <paramref name="shape"/> (UTF-8, no enclosing element), if kept.</summary>
    public byte[]? Ec2XmlFor(ShapeInfo shape) => Volatile.Read(ref _ec2Xml) is { } kept && ReferenceEquals(kept.Shape, shape) ? kept.Bytes : null;

    /// <summary>Keeps the EC2 XML of the value's members for <paramref name="shape"/>.</summary>
    public void KeepEc2Xml(ShapeInfo shape, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(bytes);
        Volatile.Write(ref _ec2Xml, new Encoded(shape, bytes));
    }

    /// <summary>Bytes kept, in all.</summary>
    public long Length => Volatile.Read(ref _ec2Xml)?.Bytes.Length ?? 0;

    private sealed record Encoded(ShapeInfo Shape, byte[] Bytes);
}
