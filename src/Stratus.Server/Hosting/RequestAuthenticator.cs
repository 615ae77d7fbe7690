using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Stratus.Core;
using Stratus.Domain.Accounts;
using Stratus.Domain.Regions;
using Stratus.Protocol.Auth;

namespace Stratus.Server.Hosting;

/// <summary>Who sent a request, for which region and service; <paramref name="Session"/> for temporary credentials.</summary>
public sealed record CallerIdentity(string AccountId, string Region, string? AccessKeyId, string? Service = null, SessionCredentials? Session = null, string? UserName = null)
{
    public Stratus.Domain.Iam.Principal Principal => new(AccountId, AccessKeyId, Session)
    {
        UserName = UserName ?? (Session is { Kind: SessionKind.SessionToken, RoleName.Length: > 0 } ? Session.RoleName : null),
    };
}

/// <summary>
/// Verifies each request's Signature Version 4 (header or presigned query form) against the
/// access keys in the store and maps the key to its account. The signing scope's region selects
/// the region the request acts in. With signatures disabled every request acts as the first
/// account, in the scope's region when one is given.
/// </summary>
internal sealed class RequestAuthenticator
{
    private readonly AccountService _accounts;
    private readonly ServerOptions _options;
    private readonly SessionCredentialIssuer _sessions;
    private readonly SigV4Verifier _verifier;
    private readonly IReadOnlySet<string> _enabledRegions;
    private CallerIdentity? _anonymous;

    public RequestAuthenticator(AccountService accounts, ServerOptions options, SessionCredentialIssuer sessions, Gateway.ServiceRouter router)
    {
        _accounts = accounts;
        _options = options;
        _enabledRegions = options.EnabledRegions;
        _sessions = sessions;
        _verifier = new SigV4Verifier(new SigV4Options
        {
            MaxClockSkew = options.MaxClockSkew,
            AllowedRegions = _enabledRegions,
            AllowedServices = new HashSet<string>(router.SigningNames, StringComparer.Ordinal),
        });
    }

    public async Task<CallerIdentity> AuthenticateAsync(HttpRequest request, byte[] body, DateTimeOffset now)
    {
        if (!_options.RequireSignatures)
        {
            return await AnonymousAsync(request).ConfigureAwait(false);
        }
        if (CredentialPart(request, 2) is { } scoped && RegionCatalog.Find(scoped) is { OptInRequired: true } && !_enabledRegions.Contains(scoped))
        {
            // An opt-in region the account has not enabled: AWS does not accept the credentials there.
            throw AwsErrors.AuthFailure();
        }
        var sigRequest = ToSigV4Request(request, body);
        var accessKeyId = CredentialPart(request, 0);
        if (accessKeyId is not null && SessionCredentialIssuer.IsTemporaryKeyId(accessKeyId))
        {
            return AuthenticateSession(request, sigRequest, accessKeyId, now);
        }
        var key = accessKeyId is null ? null : await _accounts.FindAccessKeyAsync(accessKeyId).ConfigureAwait(false);
        var identity = _verifier.Verify(sigRequest, id => id == key?.AccessKeyId ? key.SecretAccessKey : null, now);
        return new CallerIdentity(key!.AccountId, identity.Region, key.AccessKeyId, identity.Service, UserName: key.UserName);
    }

    /// <summary>
    /// Temporary credentials (an instance profile's, from the metadata service): the session token
    /// must be the one issued with the key (else InvalidClientTokenId), the signature must match
    /// the key's secret, and the credentials must not have expired (else ExpiredToken). They act
    /// as the instance's account.
    /// </summary>
    private CallerIdentity AuthenticateSession(HttpRequest request, SigV4Request sigRequest, string accessKeyId, DateTimeOffset now)
    {
        var token = request.Query["X-Amz-Security-Token"].FirstOrDefault() ?? request.Headers["X-Amz-Security-Token"].FirstOrDefault();
        var session = _sessions.Resolve(accessKeyId, token);
        var identity = _verifier.Verify(sigRequest, id => id == session.AccessKeyId ? session.SecretAccessKey : null, now);
        SessionCredentialIssuer.CheckNotExpired(session, now.UtcDateTime);
        return new CallerIdentity(session.AccountId, identity.Region, session.AccessKeyId, identity.Service, session);
    }

    /// <summary>
    /// Refuses a request that carries no signature at all (no <c>Authorization</c> header, no
    /// presigned <c>X-Amz-Credential</c>) before its body is read.
    /// </summary>
    public void RequireSignaturePresent(HttpRequest request)
    {
        if (_options.RequireSignatures && request.Headers.Authorization.Count == 0 && !request.Query.ContainsKey("X-Amz-Credential"))
        {
            throw AwsErrors.MissingAuthenticationToken();
        }
    }

    /// <summary>The service named by the request's credential scope, read before verification (routing needs it).</summary>
    public static string? ScopeService(HttpRequest request) => CredentialPart(request, 3);

    private async Task<CallerIdentity> AnonymousAsync(HttpRequest request)
    {
        var region = CredentialPart(request, 2) ?? _options.DefaultRegion;
        if (!_enabledRegions.Contains(region))
        {
            throw AwsErrors.AuthFailure($"Credential should be scoped to a valid region, not '{region}'.");
        }
        _anonymous ??= new CallerIdentity((await _accounts.BootstrapAsync().ConfigureAwait(false)).Credentials.Account.AccountId, _options.DefaultRegion, null);
        return _anonymous with { Region = region };
    }

    /// <summary>
    /// A part of the signing credential (0: access key id, 2: region, 3: service) from the Authorization header
    /// or a presigned URL, read before verification so the key's secret can be looked up.
    /// </summary>
    private static string? CredentialPart(HttpRequest request, int index)
    {
        string credential;
        var auth = request.Headers.Authorization.ToString();
        var at = auth.IndexOf("Credential=", StringComparison.Ordinal);
        if (at >= 0)
        {
            credential = auth[(at + "Credential=".Length)..];
        }
        else
        {
            credential = request.Query["X-Amz-Credential"].ToString();
        }
        var parts = credential.Split('/', ',', ' ');
        return parts.Length > index && parts[index].Length > 0 ? parts[index] : null;
    }

    private static SigV4Request ToSigV4Request(HttpRequest request, byte[] body)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                headers.Add(new(name, value ?? ""));
            }
        }
        var rawTarget = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "/";
        var question = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? rawTarget : rawTarget[..question];
        var rawQuery = question < 0 ? "" : rawTarget[(question + 1)..];
        return new SigV4Request(request.Method, rawPath.Length == 0 ? "/" : rawPath, rawQuery, headers, body);
    }
}
