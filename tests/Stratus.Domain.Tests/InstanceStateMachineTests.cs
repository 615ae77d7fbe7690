using Stratus.Core;
using Stratus.Domain.Instances;

namespace Stratus.Domain.Tests;

public sealed class InstanceStateMachineTests
{
    private const string P = InstanceStates.Pending;
    private const string R = InstanceStates.Running;
    private const string Sd = InstanceStates.ShuttingDown;
    private const string T = InstanceStates.Terminated;
    private const string Sg = InstanceStates.Stopping;
    private const string S = InstanceStates.Stopped;

    /// <summary>EC2's lifecycle: every move an instance can make, and nothing else.</summary>
    private static readonly HashSet<(string, string)> Legal =
    [
        (P, R), (P, Sg), (P, Sd), (P, S), (P, T),
        (R, Sg), (R, Sd),
        (Sg, S), (Sg, Sd),
        (S, P), (S, Sd),
        (Sd, T),
    ];

    public static TheoryData<string, string> AllPairs()
    {
        var data = new TheoryData<string, string>();
        foreach (var from in InstanceStates.All)
        {
            foreach (var to in InstanceStates.All)
            {
                data.Add(from, to);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Transition_IsAllowedExactlyForEc2sMoves(string from, string to)
    {
        var instance = NewInstance(from);
        var now = new DateTime(2026, 12, 6, 15, 0, 0, DateTimeKind.Utc);
        Assert.Equal(Legal.Contains((from, to)), InstanceStateMachine.IsLegal(from, to));
        if (Legal.Contains((from, to)))
        {
            instance.Transition(to, now, "code", "message", "reason");
            Assert.Equal(to, instance.State);
            Assert.Equal(now, instance.StateSince);
            Assert.Equal("code", instance.StateReasonCode);
            Assert.Equal("reason", instance.StateTransitionReason);
            Assert.Equal(to == T ? now : null, instance.TerminatedAt);
            Assert.Equal(to == R, instance.EverRan);
        }
        else
        {
            var error = Assert.Throws<IllegalInstanceTransitionException>(() => instance.Transition(to, now));
            Assert.Equal("IncorrectInstanceState", error.Code);
            Assert.Equal((from, to), (error.From, error.To));
            Assert.Equal(from, instance.State);
        }
    }

    [Fact]
    public void LegalTransitions_ListsEveryMove()
    {
        Assert.Equal(Legal.OrderBy(x => x).ToList(), InstanceStateMachine.LegalTransitions.OrderBy(x => x).ToList());
    }

    [Theory]
    [InlineData(S, P, InstanceWork.Boot)]
    [InlineData(P, null, InstanceWork.None)]
    [InlineData(R, null, InstanceWork.None)]
    [InlineData(Sg, "error", InstanceWork.None)]
    [InlineData(Sd, "error", InstanceWork.None)]
    [InlineData(T, "error", InstanceWork.None)]
    public void Start(string state, string? next, InstanceWork work) =>
        Check(InstanceOperation.Start, state, false, next, work, "The instance 'i-0123456789abcdef0' is not in a state from which it can be started.");

    [Theory]
    [InlineData(P, false, Sg, InstanceWork.Stop)]
    [InlineData(R, false, Sg, InstanceWork.Stop)]
    [InlineData(R, true, Sg, InstanceWork.ForceStop)]
    [InlineData(Sg, false, null, InstanceWork.None)]
    [InlineData(Sg, true, null, InstanceWork.ForceStop)]
    [InlineData(S, false, null, InstanceWork.None)]
    [InlineData(Sd, false, "error", InstanceWork.None)]
    [InlineData(T, false, "error", InstanceWork.None)]
    public void Stop(string state, bool force, string? next, InstanceWork work) =>
        Check(InstanceOperation.Stop, state, force, next, work, "This instance 'i-0123456789abcdef0' is not in a state from which it can be stopped.");

    [Theory]
    [InlineData(R, null, InstanceWork.Reboot)]
    [InlineData(P, "error", InstanceWork.None)]
    [InlineData(Sg, "error", InstanceWork.None)]
    [InlineData(S, "error", InstanceWork.None)]
    [InlineData(Sd, "error", InstanceWork.None)]
    [InlineData(T, "error", InstanceWork.None)]
    public void Reboot(string state, string? next, InstanceWork work) =>
        Check(InstanceOperation.Reboot, state, false, next, work, "The instance 'i-0123456789abcdef0' is not in the 'running' state.");

    [Theory]
    [InlineData(P, Sd, InstanceWork.Terminate)]
    [InlineData(R, Sd, InstanceWork.Terminate)]
    [InlineData(Sg, Sd, InstanceWork.Terminate)]
    [InlineData(S, Sd, InstanceWork.Terminate)]
    [InlineData(Sd, null, InstanceWork.None)]
    [InlineData(T, null, InstanceWork.None)]
    public void Terminate(string state, string? next, InstanceWork work) =>
        Check(InstanceOperation.Terminate, state, false, next, work, "");

    [Fact]
    public void EveryDecidedMoveIsLegal()
    {
        foreach (var operation in Enum.GetValues<InstanceOperation>())
        {
            foreach (var state in InstanceStates.All)
            {
                foreach (var force in new[] { false, true })
                {
                    try
                    {
                        var decision = InstanceStateMachine.Decide(operation, "i-0123456789abcdef0", state, force);
                        if (decision.NextState is { } next)
                        {
                            Assert.True(InstanceStateMachine.IsLegal(state, next), $"{operation} from {state} to {next}");
                        }
                    }
                    catch (AwsException e)
                    {
                        Assert.Equal("IncorrectInstanceState", e.Code);
                    }
                }
            }
        }
    }

    private static void Check(InstanceOperation operation, string state, bool force, string? next, InstanceWork work, string message)
    {
        const string id = "i-0123456789abcdef0";
        if (next == "error")
        {
            var error = Assert.Throws<AwsException>(() => InstanceStateMachine.Decide(operation, id, state, force));
            Assert.Equal("IncorrectInstanceState", error.Code);
            Assert.Equal(message, error.Message);
            return;
        }
        var decision = InstanceStateMachine.Decide(operation, id, state, force);
        Assert.Equal(next, decision.NextState);
        Assert.Equal(work, decision.Work);
    }

    internal static InstanceResource NewInstance(string state) => new()
    {
        Id = "i-0123456789abcdef0",
        ReservationId = "r-0123456789abcdef0",
        OwnerId = "123456789012",
        ImageId = "ami-0123456789abcdef0",
        InstanceType = "t3.micro",
        State = state,
        LaunchTime = DateTime.UnixEpoch,
        AvailabilityZone = "us-east-1a",
        AvailabilityZoneId = "use1-az1",
        SubnetId = "subnet-0123456789abcdef0",
        VpcId = "vpc-0123456789abcdef0",
        PrivateIpAddress = "10.0.0.4",
        PrivateDnsName = "ip-10-0-0-4.ec2.internal",
    };
}
