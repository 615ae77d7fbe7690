using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Stratus.Server.Imds;

/// <summary>
/// IMDSv2 session tokens. A token is opaque to the guest and kept nowhere: it carries the instance
/// it was issued to and its expiry, with an HMAC-SHA256 under the server's secret, so a token
/// cannot be forged, extended, or used by another instance (the caller is identified by its
/// address, never by the token).
/// </summary>
public sealed class MetadataTokens
{
    /// <summary>The bounds of <c>X-aws-ec2-metadata-token-ttl-seconds</c> (AWS: 1 second to 6 hours).</summary>
    public const int MinTtlSeconds = 1;

    public const int MaxTtlSeconds = 21600;

    private readonly byte[] _key;

    public MetadataTokens(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        _key = HMACSHA256.HashData(secret, "stratus imds tokens"u8);
    }

    /// <summary>The TTL a token request asks for, or null when the header is missing or not an integer from 1 to 21600.</summary>
    public static int? ParseTtl(string? header) =>
        int.TryParse(header?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) && ttl is >= MinTtlSeconds and <= MaxTtlSeconds
            ? ttl
            : null;

    /// <summary>
    /// The IP TTL to send a token response with, for an instance's <c>HttpPutResponseHopLimit</c>.
    /// On EC2 the metadata service sits on the instance's own link, so a hop limit of 1 reaches the
    /// instance and nothing behind it. Stratus serves it from the host, and the host network puts
    /// one routed hop between the host and the guest (the VPC's network namespace, whose bridge is
    /// the guest's router), which decrements the TTL once; so the response leaves with
    /// hop limit + 1 to arrive with exactly the hop limit AWS would give it. A container inside
    /// the guest (another hop) then does not get a token with the default hop limit of 1, as on EC2.
    /// </summary>
    public static short SocketTtl(int hopLimit) => (short)(Math.Clamp(hopLimit, 1, 64) + 1);

    /// <summary>A token for <paramref name="instanceId"/> valid for <paramref name="ttlSeconds"/> from <paramref name="now"/>.</summary>
    public string Issue(string accountId, string instanceId, int ttlSeconds, DateTimeOffset now)
    {
        var expires = now.ToUnixTimeMilliseconds() + (ttlSeconds * 1000L);
        var payload = expires.ToString(CultureInfo.InvariantCulture) + "." + Convert.ToBase64String(RandomNumberGenerator.GetBytes(9));
        var mac = Mac(accountId, instanceId, payload);
        return Base64Url(Encoding.ASCII.GetBytes(payload)) + "." + Base64Url(mac);
    }

    /// <summary>
    /// Seconds the token has left when it is valid for this instance, or null when it is
    /// malformed, another instance's, forged or expired (all of which IMDS answers with 401).
    /// </summary>
    public int? Validate(string token, string accountId, string instanceId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(token);
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || token.Length > 512)
        {
            return null;
        }
        byte[] payloadBytes;
        byte[] mac;
        try
        {
            payloadBytes = FromBase64Url(token[..dot]);
            mac = FromBase64Url(token[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
        var payload = Encoding.ASCII.GetString(payloadBytes);
        if (!CryptographicOperations.FixedTimeEquals(mac, Mac(accountId, instanceId, payload)))
        {
            return null;
        }
        var point = payload.IndexOf('.', StringComparison.Ordinal);
        if (point <= 0 || !long.TryParse(payload[..point], NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return null;
        }
        var left = expires - now.ToUnixTimeMilliseconds();
        return left <= 0 ? null : (int)Math.Ceiling(left / 1000.0);
    }

    private byte[] Mac(string accountId, string instanceId, string payload) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{accountId}\n{instanceId}\n{payload}"));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
