using Stratus.Core;
using Stratus.Domain.Iam;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Protocol.Model;

namespace Stratus.Server.Gateway;

/// <summary>
/// What a handler knows about the request it serves: who (account, access key), where (region),
/// which service and operation, and the store view it must use. Read-only operations get a read
/// snapshot; every other operation runs inside one write transaction that the gateway commits
/// (durably) before answering, or rolls back on error and on DryRun. Handlers with effects
/// outside the store (starting a guest, say) must check <see cref="DryRun"/> first and defer such
/// effects to <see cref="AfterCommit"/>.
/// </summary>
public sealed class RequestContext
{
    private readonly List<Func<Task>> _afterCommit = [];

    public required string RequestId { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }

    /// <summary>The access key that signed the request (null with signatures disabled).</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>Who sent the request: the account's root, or temporary credentials (an assumed role, an instance profile, a session token).</summary>
    public Principal Caller { get => _caller ?? new Principal(AccountId, AccessKeyId); init => _caller = value; }

    private readonly Principal? _caller;

    /// <summary>The service's model.</summary>
    public required ServiceInfo Service { get; init; }

    /// <summary>The operation being served.</summary>
    public required OperationInfo Operation { get; init; }

    public required bool DryRun { get; init; }
    public required DateTime Now { get; init; }

    /// <summary>The store view: a read snapshot, or the write transaction once the store is opened.</summary>
    public IStoreSession Store { get; internal set; } = null!;

    public CancellationToken Cancellation { get; init; }

    public Scope Scope => new(AccountId, Region);

    /// <summary>The write transaction of a mutating operation.</summary>
    public IStoreTransaction Transaction => Store as IStoreTransaction
        ?? throw new InvalidOperationException($"{Operation.Name} is read-only and has no write transaction");

    internal IReadOnlyList<Func<Task>> AfterCommitActions => _afterCommit;

    /// <summary>Runs <paramref name="action"/> once the request's changes are committed.</summary>
    public void AfterCommit(Func<Task> action) => _afterCommit.Add(action);

    /// <summary>Authorises a further action on the caller's behalf (set by the gateway; allows everything when the request did not come through it).</summary>
    internal Func<string, string, IReadOnlyDictionary<string, string[]>?, ValueTask>? ActionAuthorizer { get; init; }

    /// <summary>
    /// Checks that the caller may also perform <paramref name="action"/> on <paramref name="resourceArn"/>
    /// (e.g. <c>iam:PassRole</c> on the role a launch gives its instances); throws the service's access-denied error otherwise.
    /// </summary>
    public ValueTask AuthorizeAsync(string action, string resourceArn, IReadOnlyDictionary<string, string[]>? requestContext = null) =>
        ActionAuthorizer?.Invoke(action, resourceArn, requestContext) ?? ValueTask.CompletedTask;

    internal static Exception NotImplemented(string operation) => AwsErrors.NotImplemented(operation);
}
