using Stratus.Protocol.Model;

namespace Stratus.Ec2.Model;

/// <summary>
/// An <see cref="Instance"/> may keep its encoded XML once it is marked as not changing
/// (<see cref="KeepEncoded"/>): a read path that hands the same shaped instance to every response
/// while the instance and its interfaces are unchanged has it walked by the serializer once.
/// </summary>
public sealed partial class Instance : IEncodedFormsHolder
{
    private EncodedForms? _encodedForms;

    EncodedForms? IEncodedFormsHolder.EncodedForms => _encodedForms;

    /// <summary>
    /// Marks this instance as not changing from now on: serializers may keep what they write for
    /// it and write that again. Whoever calls this must not change the instance (or anything it
    /// holds) afterwards.
    /// </summary>
    public Instance KeepEncoded()
    {
        _encodedForms ??= new EncodedForms();
        return this;
    }
}
