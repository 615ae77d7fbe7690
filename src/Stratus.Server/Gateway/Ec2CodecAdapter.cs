using System.Text;
using Stratus.Core;
using Stratus.Protocol;
using Stratus.Protocol.Ec2;
using Stratus.Protocol.Model;

namespace Stratus.Server.Gateway;

/// <summary>The <c>ec2</c> protocol as an <see cref="IProtocolCodec"/> over the EC2 parser and serializer.</summary>
internal sealed class Ec2CodecAdapter : IProtocolCodec
{
    public const string ContentType = "text/xml;charset=UTF-8";

    public string Protocol => "ec2";

    public object ParseInput(ServiceInfo service, OperationInfo operation, WireRequest request) =>
        operation.Input is { } input ? Ec2ProtocolParser.Parse(input, request.Parameters) : new object();

    public WireResponse WriteOutput(ServiceInfo service, OperationInfo operation, object? output, string requestId) =>
        new(200, ContentType, Encoding.UTF8.GetBytes(Ec2ProtocolSerializer.Serialize(service, operation, output, requestId)), WireResponse.NoHeaders);

    public WireResponse WriteError(ServiceInfo service, AwsException error, string requestId) =>
        new(error.StatusCode, ContentType, Encoding.UTF8.GetBytes(Ec2ProtocolSerializer.SerializeError(error.Code, error.Message, requestId)), WireResponse.NoHeaders);
}
