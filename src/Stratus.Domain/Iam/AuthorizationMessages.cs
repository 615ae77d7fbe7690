using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Stratus.Core;

namespace Stratus.Domain.Iam;

/// <summary>
/// The encoded authorization failure messages of EC2's <c>UnauthorizedOperation</c>: the
/// decision's details as STS DecodeAuthorizationMessage answers them (allowed, explicitDeny,
/// matched statements, the principal, action, resource and context), sealed with AES-GCM under a
/// per-server key so only this server can read them, and only for the same account.
/// </summary>
public sealed class AuthorizationMessages
{
    private readonly byte[] _key;

    public AuthorizationMessages(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        _key = HMACSHA256.HashData(secret, "stratus authorization messages"u8);
    }

    public string Encode(string accountId, string principalArn, string principalId, string action, string resource, EvaluationResult result,
        IReadOnlyDictionary<string, string[]> context)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(context);
        var decoded = new
        {
            allowed = result.Decision == PolicyDecision.Allow,
            explicitDeny = result.Decision == PolicyDecision.ExplicitDeny,
            matchedStatements = new
            {
                items = result.Decision == PolicyDecision.ImplicitDeny ? [] : new[] { new { statementId = result.StatementId ?? "", policy = result.PolicyName ?? "" } },
            },
            failures = new { items = Array.Empty<object>() },
            context = new
            {
                principal = new { id = principalId, arn = principalArn },
                action,
                resource,
                conditions = new
                {
                    items = context.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new
                    {
                        key = c.Key,
                        values = new { items = c.Value.Select(v => new { value = v }).ToArray() },
                    }).ToArray(),
                },
            },
        };
        var plain = Encoding.UTF8.GetBytes(accountId + "\n" + JsonSerializer.Serialize(decoded));
        var nonce = RandomNumberGenerator.GetBytes(12);
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(_key, 16))
        {
            aes.Encrypt(nonce, plain, cipher, tag);
        }
        return Convert.ToBase64String([.. nonce, .. tag, .. cipher]).Replace('+', '-').Replace('/', '_').TrimEnd('=');
    }

    /// <summary>The JSON document of a message encoded for <paramref name="accountId"/>; anything else is <c>InvalidAuthorizationMessageException</c>.</summary>
    public string Decode(string accountId, string? encoded)
    {
        var invalid = new AwsException("InvalidAuthorizationMessageException", "The encoded authorization message is invalid.", 400);
        if (string.IsNullOrEmpty(encoded))
        {
            throw new AwsException("ValidationError", "Value null at 'encodedMessage' failed to satisfy constraint: Member must not be null");
        }
        byte[] raw;
        try
        {
            var text = encoded.Replace('-', '+').Replace('_', '/');
            raw = Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
        }
        catch (FormatException)
        {
            throw invalid;
        }
        if (raw.Length < 29)
        {
            throw invalid;
        }
        var plain = new byte[raw.Length - 28];
        try
        {
            using var aes = new AesGcm(_key, 16);
            aes.Decrypt(raw.AsSpan(0, 12), raw.AsSpan(28), raw.AsSpan(12, 16), plain);
        }
        catch (CryptographicException)
        {
            throw invalid;
        }
        var message = Encoding.UTF8.GetString(plain);
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        return newline > 0 && message[..newline] == accountId ? message[(newline + 1)..] : throw invalid;
    }
}
