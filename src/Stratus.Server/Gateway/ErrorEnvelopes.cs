using System.Security;
using System.Text;
using System.Text.Json;
using Stratus.Core;
using Stratus.Protocol;
using Stratus.Protocol.Ec2;

namespace Stratus.Server.Gateway;

/// <summary>
/// Error answers in each protocol's envelope for requests that never reach a service's codec:
/// an unknown service or operation, a protocol the service has no codec for, a request refused
/// before routing (too large, truncated, unauthenticated, cross-origin).
/// </summary>
internal static class ErrorEnvelopes
{
    public static WireResponse Write(string protocol, AwsException error, string requestId)
    {
        byte[] body;
        string contentType;
        var headers = WireResponse.NoHeaders;
        switch (protocol)
        {
            case "query":
                contentType = "text/xml";
                body = Encoding.UTF8.GetBytes(
                    "<ErrorResponse xmlns=\"http://webservices.amazon.com/AWSFault/2005-15-09\"><Error><Type>"
                    + (error.StatusCode >= 500 ? "Receiver" : "Sender") + "</Type><Code>" + SecurityElement.Escape(error.Code)
                    + "</Code><Message>" + SecurityElement.Escape(error.Message) + "</Message></Error><RequestId>" + requestId
                    + "</RequestId></ErrorResponse>");
                break;
            case "json":
                contentType = "application/x-amz-json-1.1";
                body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["__type"] = error.Code, ["message"] = error.Message });
                headers = [new("x-amzn-query-error", error.Code + ";" + (error.StatusCode >= 500 ? "Receiver" : "Sender"))];
                break;
            case "smithy-rpc-v2-cbor":
                contentType = "application/cbor";
                body = CborErrorMap(error);
                headers = [new("Smithy-Protocol", "rpc-v2-cbor")];
                break;
            default:
                contentType = "text/xml;charset=UTF-8";
                body = Encoding.UTF8.GetBytes(Ec2ProtocolSerializer.SerializeError(error.Code, error.Message, requestId));
                break;
        }
        return new WireResponse(error.StatusCode, contentType, body, headers);
    }

    /// <summary>A CBOR map {"__type": code, "message": text} (definite lengths, text strings only).</summary>
    private static byte[] CborErrorMap(AwsException error)
    {
        var buffer = new List<byte> { 0xA2 };
        Text(buffer, "__type");
        Text(buffer, error.Code);
        Text(buffer, "message");
        Text(buffer, error.Message);
        return [.. buffer];

        static void Text(List<byte> buffer, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            var length = (ulong)bytes.Length;
            switch (length)
            {
                case < 24:
                    buffer.Add((byte)(0x60 | (int)length));
                    break;
                case <= byte.MaxValue:
                    buffer.Add(0x78);
                    buffer.Add((byte)length);
                    break;
                default:
                    buffer.Add(0x79);
                    buffer.Add((byte)(length >> 8));
                    buffer.Add((byte)length);
                    break;
            }
            buffer.AddRange(bytes);
        }
    }
}
