using Stratus.Core;

namespace Stratus.Domain.Instances;

/// <summary>What the control plane asks of an instance: EC2's lifecycle API calls.</summary>
public enum InstanceOperation
{
    Start,
    Stop,
    Reboot,
    Terminate,
}

/// <summary>
/// The work an accepted operation leaves for the runtime once the request has committed (booting,
/// shutting the guest down, ...): <see cref="None"/> when the instance already is where it was asked to go.
/// </summary>
public enum InstanceWork
{
    None,
    Boot,
    Stop,
    ForceStop,
    Reboot,
    Terminate,
}

/// <summary>What an operation does to an instance in a given state: its next state (null: it stays) and the runtime's work.</summary>
public readonly record struct InstanceDecision(string? NextState, InstanceWork Work);

/// <summary>
/// EC2's instance state machine. An instance is launched <c>pending</c>; a boot takes it to
/// <c>running</c> (or, when the boot fails, to <c>terminated</c> on first launch and <c>stopped</c>
/// after); StopInstances takes a <c>pending</c> or <c>running</c> instance to <c>stopping</c>, and the
/// guest's shutdown to <c>stopped</c>; StartInstances takes a <c>stopped</c> one back to
/// <c>pending</c>; TerminateInstances takes any instance not already going to <c>shutting-down</c>,
/// then <c>terminated</c>; a guest that powers itself off goes from <c>running</c> to
/// <c>stopping</c> or <c>shutting-down</c>. A reboot leaves the state as it is. Nothing else is legal:
/// <see cref="InstanceResource.Transition"/> refuses any other move.
/// </summary>
public static class InstanceStateMachine
{
    private static readonly Dictionary<string, string[]> Moves = new(StringComparer.Ordinal)
    {
        [InstanceStates.Pending] = [InstanceStates.Running, InstanceStates.Stopping, InstanceStates.ShuttingDown, InstanceStates.Stopped, InstanceStates.Terminated],
        [InstanceStates.Running] = [InstanceStates.Stopping, InstanceStates.ShuttingDown],
        [InstanceStates.Stopping] = [InstanceStates.Stopped, InstanceStates.ShuttingDown],
        [InstanceStates.Stopped] = [InstanceStates.Pending, InstanceStates.ShuttingDown],
        [InstanceStates.ShuttingDown] = [InstanceStates.Terminated],
        [InstanceStates.Terminated] = [],
    };

    /// <summary>Every legal move, as (from, to) pairs.</summary>
    public static IEnumerable<(string From, string To)> LegalTransitions =>
        Moves.SelectMany(m => m.Value.Select(to => (m.Key, to)));

    /// <summary>True when an instance may move from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsLegal(string from, string to) =>
        Moves.TryGetValue(from, out var targets) && Array.IndexOf(targets, to) >= 0;

    /// <summary>
    /// What <paramref name="operation"/> does to an instance in <paramref name="state"/>, or EC2's
    /// <c>IncorrectInstanceState</c> error when the operation is not allowed in that state.
    /// </summary>
    /// <param name="force">StopInstances with Force: a stopping instance is stopped hard.</param>
    public static InstanceDecision Decide(InstanceOperation operation, string instanceId, string state, bool force = false) => operation switch
    {
        InstanceOperation.Start => state switch
        {
            InstanceStates.Stopped => new(InstanceStates.Pending, InstanceWork.Boot),
            InstanceStates.Pending or InstanceStates.Running => new(null, InstanceWork.None),
            _ => throw InstanceErrors.CannotStart(instanceId),
        },
        InstanceOperation.Stop => state switch
        {
            InstanceStates.Pending or InstanceStates.Running => new(InstanceStates.Stopping, force ? InstanceWork.ForceStop : InstanceWork.Stop),
            InstanceStates.Stopping => new(null, force ? InstanceWork.ForceStop : InstanceWork.None),
            InstanceStates.Stopped => new(null, InstanceWork.None),
            _ => throw InstanceErrors.CannotStop(instanceId),
        },
        InstanceOperation.Reboot => state == InstanceStates.Running
            ? new(null, InstanceWork.Reboot)
            : throw InstanceErrors.NotRunning(instanceId),
        InstanceOperation.Terminate => state is InstanceStates.ShuttingDown or InstanceStates.Terminated
            ? new(null, InstanceWork.None)
            : new(InstanceStates.ShuttingDown, InstanceWork.Terminate),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };
}

/// <summary>An instance asked to move where its state machine does not lead (a defect of the caller, answered as EC2's IncorrectInstanceState).</summary>
public sealed class IllegalInstanceTransitionException(string instanceId, string from, string to)
    : AwsException("IncorrectInstanceState", $"The instance '{instanceId}' is not in a state from which it can move to '{to}': it is '{from}'.")
{
    public string InstanceId { get; } = instanceId;
    public string From { get; } = from;
    public string To { get; } = to;
}

/// <summary>EC2's errors for operations an instance's state does not allow, worded per operation as EC2 words them.</summary>
public static class InstanceErrors
{
    public const string IncorrectInstanceState = "IncorrectInstanceState";

    public static AwsException CannotStart(string instanceId) =>
        new(IncorrectInstanceState, $"The instance '{instanceId}' is not in a state from which it can be started.");

    public static AwsException CannotStop(string instanceId) =>
        new(IncorrectInstanceState, $"This instance '{instanceId}' is not in a state from which it can be stopped.");

    public static AwsException NotRunning(string instanceId) =>
        new(IncorrectInstanceState, $"The instance '{instanceId}' is not in the 'running' state.");

    /// <summary>Address association and similar operations that need a running or stopped instance.</summary>
    public static AwsException NotValidForOperation(string instanceId) =>
        new(IncorrectInstanceState, $"The instance '{instanceId}' is not in a valid state for this operation.");

    public static AwsException ApiStopDisabled(string instanceId) =>
        new("OperationNotPermitted", $"The instance '{instanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.");

    public static AwsException ApiTerminationDisabled(string instanceId) =>
        new("OperationNotPermitted", $"The instance '{instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.");

    public static AwsException NotFound(IReadOnlyList<string> missing) =>
        new(Resources.ResourceTypes.Instance.NotFoundCode,
            missing.Count == 1 ? $"The instance ID '{missing[0]}' does not exist" : $"The instance IDs '{string.Join(", ", missing)}' do not exist");
}
