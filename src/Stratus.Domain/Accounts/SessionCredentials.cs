using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stratus.Core;

namespace Stratus.Domain.Accounts;

/// <summary>What temporary credentials stand for.</summary>
public enum SessionKind
{
    /// <summary>An instance profile's role, handed out by the instance metadata service.</summary>
    InstanceProfile,

    /// <summary>A role assumed with STS AssumeRole.</summary>
    AssumedRole,

    /// <summary>The caller's own identity for a while (STS GetSessionToken).</summary>
    SessionToken,
}

/// <summary>
/// Temporary credentials: an instance profile's (from the instance metadata service), an assumed
/// role's (AssumeRole) or the account's own for a while (GetSessionToken).
/// </summary>
/// <param name="AccessKeyId">An <c>ASIA…</c> key id.</param>
/// <param name="SessionToken">What the client sends as <c>X-Amz-Security-Token</c>.</param>
/// <param name="IssuedAt">When this set was issued (IMDS's <c>LastUpdated</c>).</param>
public sealed record SessionCredentials(
    string AccessKeyId,
    string SecretAccessKey,
    string SessionToken,
    DateTime IssuedAt,
    DateTime Expiration,
    string AccountId,
    string Region,
    string InstanceId,
    string RoleName)
{
    public SessionKind Kind { get; init; } = SessionKind.InstanceProfile;

    /// <summary>The role's unique id (<c>AROA…</c>) for role credentials.</summary>
    public string? RoleId { get; init; }

    /// <summary>The role session name: the instance id for instance profiles, the caller's RoleSessionName for AssumeRole.</summary>
    public string SessionName => Kind == SessionKind.InstanceProfile ? InstanceId : _sessionName ?? "";

    /// <summary>Sets <see cref="SessionName"/> of role sessions.</summary>
    public string? RoleSessionName { get => _sessionName; init => _sessionName = value; }

    private readonly string? _sessionName;

    /// <summary>The ARN GetCallerIdentity answers: the assumed-role ARN for role credentials, the account root's for session tokens.</summary>
    public string Arn => Kind == SessionKind.SessionToken
        ? $"arn:aws:iam::{AccountId}:root"
        : $"arn:aws:sts::{AccountId}:assumed-role/{RoleName}/{SessionName}";

    /// <summary>The UserId GetCallerIdentity answers: <c>&lt;role id&gt;:&lt;session name&gt;</c> for roles, the account id for the root's session token.</summary>
    public string UserId => Kind == SessionKind.SessionToken ? AccountId : $"{RoleId ?? IdOfRole(AccountId, RoleName)}:{SessionName}";

    /// <summary>The stable role id Stratus answers for a role it does not store (an instance profile's).</summary>
    public static string IdOfRole(string accountId, string roleName) => Iam.IamIds.Derived("AROA", accountId + "/" + roleName);
}

/// <summary>
/// Issues and checks temporary (session) credentials without storing them: the session token
/// carries who the credentials belong to and until when, with an HMAC-SHA256 under a per-server
/// secret; the secret access key is derived from the token by another HMAC under that secret. So a
/// token cannot be forged or altered, and an access key only works with the token it was issued
/// with. Credentials are issued per instance and hour (<see cref="RotationPeriod"/>): every request
/// within the hour returns the same set, valid for <see cref="Lifetime"/> from the hour's start, as
/// EC2 rotates instance-profile credentials well before they expire. They stay valid until they
/// expire, whatever happens to the instance afterwards (as on EC2, where revocation needs an IAM
/// policy); a new server secret invalidates every one.
/// </summary>
public sealed class SessionCredentialIssuer
{
    /// <summary>How long issued credentials stay valid (EC2: about six hours).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(6);

    /// <summary>How often a new set is issued.</summary>
    public static readonly TimeSpan RotationPeriod = TimeSpan.FromHours(1);

    private const string TokenVersion = "STS1";
    private const string SessionTokenVersion = "STS2";

    /// <summary>The last character of STS-issued key ids: outside the base-32 alphabet of instance-profile key ids.</summary>
    private const char SessionKeyMarker = '1';
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private readonly byte[] _key;

    /// <param name="secret">The per-server secret (at least 32 bytes).</param>
    public SessionCredentialIssuer(byte[] secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 32)
        {
            throw new ArgumentException("the secret must be at least 32 bytes", nameof(secret));
        }
        _key = HMACSHA256.HashData(secret, "stratus session credentials"u8);
    }

    /// <summary>True for an access key id of temporary credentials (<c>ASIA…</c>).</summary>
    public static bool IsTemporaryKeyId(string accessKeyId) => accessKeyId.StartsWith("ASIA", StringComparison.Ordinal);

    /// <summary>The credentials of an instance's role at <paramref name="now"/>.</summary>
    public SessionCredentials Issue(string accountId, string region, string instanceId, string roleName, DateTime now)
    {
        var ticks = RotationPeriod.Ticks;
        var issuedAt = new DateTime(now.Ticks - (now.Ticks % ticks), DateTimeKind.Utc);
        var expiration = issuedAt + Lifetime;
        var keyMac = Mac($"key\n{accountId}\n{region}\n{instanceId}\n{roleName}\n{issuedAt.Ticks}");
        var keyId = new StringBuilder("ASIA", 20);
        for (var i = 0; i < 16; i++)
        {
            keyId.Append(Base32[keyMac[i] & 31]);
        }
        var payload = string.Join('\n', TokenVersion, keyId, accountId, region, instanceId, roleName,
            issuedAt.Ticks.ToString(CultureInfo.InvariantCulture), expiration.Ticks.ToString(CultureInfo.InvariantCulture));
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)) + "." + Convert.ToBase64String(Mac("token\n" + payload));
        return new SessionCredentials(keyId.ToString(), SecretFor(payload), token, issuedAt, expiration, accountId, region, instanceId, roleName);
    }

    /// <summary>
    /// New credentials of a role (AssumeRole) or of the account's root (GetSessionToken), valid
    /// from <paramref name="now"/> for <paramref name="duration"/>. The key id carries the
    /// account (GetAccessKeyInfo reads it back); every call gives a new set.
    /// </summary>
    public SessionCredentials IssueSession(SessionKind kind, string accountId, string roleName, string roleId, string sessionName, DateTime now, TimeSpan duration)
    {
        if (kind == SessionKind.InstanceProfile)
        {
            throw new ArgumentException("instance-profile credentials come from Issue", nameof(kind));
        }
        var issuedAt = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var expiration = issuedAt + duration;
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(12));
        var keyMac = Mac($"key\n{nonce}\n{accountId}\n{issuedAt.Ticks}");
        var keyId = new StringBuilder("ASIA", 20);
        keyId.Append(EncodeAccount(accountId));
        for (var i = 0; i < 7; i++)
        {
            keyId.Append(Base32[keyMac[i] & 31]);
        }
        keyId.Append(SessionKeyMarker);
        var payload = string.Join('\n', SessionTokenVersion, keyId, kind.ToString(), accountId, roleName, roleId, sessionName,
            issuedAt.Ticks.ToString(CultureInfo.InvariantCulture), expiration.Ticks.ToString(CultureInfo.InvariantCulture), nonce);
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)) + "." + Convert.ToBase64String(Mac("token\n" + payload));
        return new SessionCredentials(keyId.ToString(), SecretFor(payload), token, issuedAt, expiration, accountId, "", "", roleName)
        {
            Kind = kind,
            RoleId = roleId.Length == 0 ? null : roleId,
            RoleSessionName = sessionName,
        };
    }

    /// <summary>
    /// The account of a temporary key id issued by STS (GetAccessKeyInfo), null for other keys
    /// (instance-profile keys do not carry their account).
    /// </summary>
    public static string? AccountOfKeyId(string accessKeyId)
    {
        if (accessKeyId.Length != 20 || !IsTemporaryKeyId(accessKeyId) || accessKeyId[^1] != SessionKeyMarker)
        {
            return null;
        }
        long value = 0;
        foreach (var c in accessKeyId.AsSpan(4, 8))
        {
            var digit = Base32.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0)
            {
                return null;
            }
            value = (value << 5) | (uint)digit;
        }
        return value < 1_000_000_000_000 ? value.ToString("D12", CultureInfo.InvariantCulture) : null;
    }

    private static string EncodeAccount(string accountId)
    {
        var value = long.Parse(accountId, NumberStyles.None, CultureInfo.InvariantCulture);
        var chars = new char[8];
        for (var i = 7; i >= 0; i--)
        {
            chars[i] = Base32[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }

    /// <summary>
    /// The credentials a request claims with its access key id and session token; throws AWS's
    /// <c>InvalidClientTokenId</c> when the token is missing, forged, altered or not the key's.
    /// Expiry is not checked here (see <see cref="CheckNotExpired"/>) so that a bad signature is
    /// reported before an expired token, as AWS does.
    /// </summary>
    public SessionCredentials Resolve(string accessKeyId, string? sessionToken)
    {
        if (string.IsNullOrEmpty(sessionToken))
        {
            throw InvalidToken();
        }
        var dot = sessionToken.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            throw InvalidToken();
        }
        string payload;
        byte[] mac;
        try
        {
            payload = Encoding.UTF8.GetString(Convert.FromBase64String(sessionToken[..dot]));
            mac = Convert.FromBase64String(sessionToken[(dot + 1)..]);
        }
        catch (FormatException)
        {
            throw InvalidToken();
        }
        if (!CryptographicOperations.FixedTimeEquals(mac, Mac("token\n" + payload)))
        {
            throw InvalidToken();
        }
        var parts = payload.Split('\n');
        if (parts.Length == 10 && parts[0] == SessionTokenVersion && parts[1] == accessKeyId
            && Enum.TryParse<SessionKind>(parts[2], out var kind) && kind != SessionKind.InstanceProfile
            && long.TryParse(parts[7], NumberStyles.None, CultureInfo.InvariantCulture, out var sessionIssued)
            && long.TryParse(parts[8], NumberStyles.None, CultureInfo.InvariantCulture, out var sessionExpires))
        {
            return new SessionCredentials(parts[1], SecretFor(payload), sessionToken, new DateTime(sessionIssued, DateTimeKind.Utc), new DateTime(sessionExpires, DateTimeKind.Utc),
                parts[3], "", "", parts[4])
            {
                Kind = kind,
                RoleId = parts[5].Length == 0 ? null : parts[5],
                RoleSessionName = parts[6],
            };
        }
        if (parts.Length != 8 || parts[0] != TokenVersion || parts[1] != accessKeyId
            || !long.TryParse(parts[6], NumberStyles.None, CultureInfo.InvariantCulture, out var issued)
            || !long.TryParse(parts[7], NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            throw InvalidToken();
        }
        return new SessionCredentials(parts[1], SecretFor(payload), sessionToken, new DateTime(issued, DateTimeKind.Utc), new DateTime(expires, DateTimeKind.Utc),
            parts[2], parts[3], parts[4], parts[5]);
    }

    /// <summary>Throws AWS's <c>ExpiredToken</c> once the credentials have expired.</summary>
    public static void CheckNotExpired(SessionCredentials credentials, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (now >= credentials.Expiration)
        {
            throw new AwsException("ExpiredToken", "The security token included in the request is expired", 403);
        }
    }

    /// <summary>AWS's answer to an unknown, forged or missing session token.</summary>
    public static AwsException InvalidToken() =>
        new("InvalidClientTokenId", "The security token included in the request is invalid.", 403);

    private string SecretFor(string payload) => Convert.ToBase64String(Mac("secret\n" + payload))[..40];

    private byte[] Mac(string text) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(text));
}
