using Stratus.Domain.Accounts;
using Stratus.Domain.Iam;
using Stratus.Protocol.Model;
using Stratus.Server.Gateway;
using Stratus.Services.Model.Sts;

namespace Stratus.Server.Sts;

/// <summary>
/// STS (query protocol): GetCallerIdentity, AssumeRole, GetSessionToken, GetAccessKeyInfo and DecodeAuthorizationMessage.
/// Temporary credentials are issued by <see cref="SessionCredentialIssuer"/> (nothing is stored)
/// and accepted by the request authenticator until they expire.
/// </summary>
internal sealed class StsService(SessionCredentialIssuer issuer, AuthorizationMessages messages) : StsServiceBase<RequestContext>, IAwsService
{
    /// <summary>The operations this class implements.</summary>
    public static IReadOnlySet<string> ImplementedOperations { get; } = AwsServiceRegistration.OverriddenOperations(typeof(StsService));

    ServiceInfo IAwsService.Model => StsShapes.Service;

    IReadOnlySet<string> IAwsService.ImplementedOperations => ImplementedOperations;

    Task<object?> IAwsService.DispatchAsync(RequestContext context, object input) => DispatchAsync(context.Operation, context, input);

    protected override Exception NotImplemented(RequestContext context, string operation) => RequestContext.NotImplemented(operation);

    public override Task<GetCallerIdentityResponse> GetCallerIdentityAsync(RequestContext context, GetCallerIdentityRequest request)
    {
        var identity = SecurityTokens.GetCallerIdentity(context.Caller);
        return Task.FromResult(new GetCallerIdentityResponse { UserId = identity.UserId, Account = identity.Account, Arn = identity.Arn });
    }

    public override async Task<AssumeRoleResponse> AssumeRoleAsync(RequestContext context, AssumeRoleRequest request)
    {
        var assumed = await SecurityTokens.AssumeRoleAsync(context.Store, issuer, context.Caller, request.RoleArn, request.RoleSessionName, request.DurationSeconds,
            context.Now, request.ExternalId, context.Region, context.Cancellation).ConfigureAwait(false);
        return new AssumeRoleResponse
        {
            Credentials = ToShape(assumed.Credentials),
            AssumedRoleUser = new AssumedRoleUser { AssumedRoleId = assumed.AssumedRoleId, Arn = assumed.Arn },
        };
    }

    public override Task<GetSessionTokenResponse> GetSessionTokenAsync(RequestContext context, GetSessionTokenRequest request) =>
        Task.FromResult(new GetSessionTokenResponse { Credentials = ToShape(SecurityTokens.GetSessionToken(issuer, context.Caller, request.DurationSeconds, context.Now)) });

    public override async Task<GetAccessKeyInfoResponse> GetAccessKeyInfoAsync(RequestContext context, GetAccessKeyInfoRequest request) =>
        new() { Account = await SecurityTokens.GetAccessKeyInfoAsync(context.Store, request.AccessKeyId, context.Cancellation).ConfigureAwait(false) };

    /// <summary>DecodeAuthorizationMessage: the details of an encoded authorization failure message of the caller's account.</summary>
    public override Task<DecodeAuthorizationMessageResponse> DecodeAuthorizationMessageAsync(RequestContext context, DecodeAuthorizationMessageRequest request) =>
        Task.FromResult(new DecodeAuthorizationMessageResponse { DecodedMessage = messages.Decode(context.AccountId, request.EncodedMessage) });

    private static Credentials ToShape(SessionCredentials credentials) => new()
    {
        AccessKeyId = credentials.AccessKeyId,
        SecretAccessKey = credentials.SecretAccessKey,
        SessionToken = credentials.SessionToken,
        Expiration = credentials.Expiration,
    };
}
