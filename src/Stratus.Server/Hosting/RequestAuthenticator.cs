using Microsoft.AspNetCore.Http;
using Stratus.Domain.Accounts;
using Stratus.Domain.Regions;
using Stratus.Protocol;
using Stratus.Protocol.Auth;

namespace Stratus.Server.Hosting;

/// <summary>Who sent a request and for which region.</summary>
public sealed record CallerIdentity(string AccountId, string Region, string? AccessKeyId);

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
    private readonly SigV4Verifier _verifier;
    private CallerIdentity? _anonymous;

    public RequestAuthenticator(AccountService accounts, ServerOptions options)
    {
        _accounts = accounts;
        _options = options;
        _verifier = new SigV4Verifier(new SigV4Options
        {
            MaxClockSkew = options.MaxClockSkew,
            AllowedRegions = RegionCatalog.Names,
            AllowedServices = new HashSet<string>(StringComparer.Ordinal) { "ec2" },
        });
    }

    public async Task<CallerIdentity> AuthenticateAsync(HttpRequest request, byte[] body, DateTimeOffset now)
    {
        if (!_options.RequireSignatures)
        {
            return await AnonymousAsync(request).ConfigureAwait(false);
        }
        var sigRequest = ToSigV4Request(request, body);
        var accessKeyId = SigV4Verifier.FindAccessKeyId(sigRequest) ?? throw AwsErrors.MissingAuthenticationToken();
        var key = await _accounts.FindAccessKeyAsync(accessKeyId).ConfigureAwait(false);
        var identity = _verifier.Verify(sigRequest, id => id == key?.AccessKeyId ? key.SecretAccessKey : null, now);
        return new CallerIdentity(key!.AccountId, identity.Region, key.AccessKeyId);
    }

    private async Task<CallerIdentity> AnonymousAsync(HttpRequest request)
    {
        var region = SigV4Verifier.FindAccessKeyId(ToSigV4Request(request, [])) is not null
            ? ScopeRegion(request) ?? _options.DefaultRegion
            : _options.DefaultRegion;
        if (RegionCatalog.Find(region) is null)
        {
            throw AwsErrors.AuthFailure($"Credential should be scoped to a valid region, not '{region}'.");
        }
        _anonymous ??= new CallerIdentity((await _accounts.BootstrapAsync().ConfigureAwait(false)).Credentials.Account.AccountId, _options.DefaultRegion, null);
        return _anonymous with { Region = region };
    }

    private static string? ScopeRegion(HttpRequest request)
    {
        var credential = request.Headers.Authorization.ToString() is { Length: > 0 } auth && auth.IndexOf("Credential=", StringComparison.Ordinal) is var i and >= 0
            ? auth[(i + "Credential=".Length)..]
            : request.Query["X-Amz-Credential"].ToString();
        var parts = credential.Split('/', ',');
        return parts.Length >= 3 ? parts[2] : null;
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
        var rawQuery = request.QueryString.HasValue ? request.QueryString.Value![1..] : "";
        return new SigV4Request(request.Method, request.Path.HasValue ? request.Path.Value! : "/", rawQuery, headers, body);
    }
}
