using System.Text;
using Stratus.Core;
using Stratus.Protocol.Model;

namespace Stratus.Protocol.Ec2;

/// <summary>The <c>ec2</c> protocol: <see cref="Ec2ProtocolParser"/> and <see cref="Ec2ProtocolSerializer"/> behind the codec contract.</summary>
public sealed class Ec2Codec : IProtocolCodec
{
    public static Ec2Codec Instance { get; } = new();

    public string Protocol => "ec2";

    public object ParseInput(ServiceInfo service, OperationInfo operation, WireRequest request) =>
        operation.Input is { } input ? Ec2ProtocolParser.Parse(input, request.Parameters) : ProtocolCodecs.NoInput;

    public WireResponse WriteOutput(ServiceInfo service, OperationInfo operation, object? output, string requestId) =>
        new(200, "text/xml;charset=UTF-8", Ec2ProtocolSerializer.SerializeBody(service, operation, output, requestId), WireResponse.NoHeaders);

    public WireResponse WriteError(ServiceInfo service, AwsException error, string requestId) =>
        new(error.StatusCode, "text/xml;charset=UTF-8", Encoding.UTF8.GetBytes(Ec2ProtocolSerializer.SerializeError(error.Code, error.Message, requestId)), WireResponse.NoHeaders);
}
