using Stratus.Core;
using Stratus.Domain.Resources;
using Stratus.Domain.Store;
using Stratus.Ec2.Model;

namespace Stratus.Server.Ec2;

/// <summary>
/// What a handler knows about the request it serves: who (account), where (region), which
/// operation, and the store view it must use. Read-only operations get a read snapshot; every
/// other operation runs inside one write transaction that the dispatcher commits (durably)
/// before answering, or rolls back on error and on DryRun. Handlers with effects outside the
/// store (starting a guest, say) must check <see cref="DryRun"/> first and defer such effects to
/// <see cref="AfterCommit"/>.
/// </summary>
public sealed class RequestContext
{
    private readonly List<Func<Task>> _afterCommit = [];

    public required string RequestId { get; init; }
    public required string AccountId { get; init; }
    public required string Region { get; init; }
    public required Ec2Action Action { get; init; }
    public required bool DryRun { get; init; }
    public required DateTime Now { get; init; }
    public required IStoreSession Store { get; init; }
    public CancellationToken Cancellation { get; init; }

    public Scope Scope => new(AccountId, Region);

    /// <summary>The write transaction of a mutating operation.</summary>
    public IStoreTransaction Transaction => Store as IStoreTransaction
        ?? throw new InvalidOperationException($"{Action} is read-only and has no write transaction");

    internal IReadOnlyList<Func<Task>> AfterCommitActions => _afterCommit;

    /// <summary>Runs <paramref name="action"/> once the request's changes are committed.</summary>
    public void AfterCommit(Func<Task> action) => _afterCommit.Add(action);

    internal static Exception NotImplemented(string operation) => AwsErrors.NotImplemented(operation);
}
