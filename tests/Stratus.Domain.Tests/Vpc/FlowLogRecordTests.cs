using Stratus.Core;
using Stratus.Domain.Vpc.FlowLogs;

namespace Stratus.Domain.Tests.Vpc;

/// <summary>VPC Flow Logs records: the format, counter increments, which interfaces a packet shows up on, and aggregation.</summary>
public sealed class FlowLogRecordTests
{
    private static readonly FlowInterface A = new("eni-a", "vpc-1", "subnet-1", "i-a");
    private static readonly FlowInterface B = new("eni-b", "vpc-1", "subnet-1", null);

    private static FlowRecord Record(FlowAction action = FlowAction.Accept) =>
        new("123456789012", "us-east-1", "eni-a", "vpc-1", "subnet-1", "i-a", "10.0.1.11", "10.0.1.10", 6, 40000, 8080, 5, 420, 1700000000, 1700000003, action, false);

    [Fact]
    public void The_default_format_is_version_2_in_AWS_order()
    {
        var format = FlowLogFormat.Parse(null);
        Assert.Equal(FlowLogFormat.Default, format.Text);
        Assert.Equal(2, format.Version);
        Assert.Equal("2 123456789012 eni-a 10.0.1.11 10.0.1.10 40000 8080 6 5 420 1700000000 1700000003 ACCEPT OK", format.Render(Record()));
        Assert.EndsWith(" REJECT OK", format.Render(Record(FlowAction.Reject)));
    }

    [Fact]
    public void A_custom_format_has_the_highest_version_of_its_fields_and_dashes_for_what_is_not_observed()
    {
        var format = FlowLogFormat.Parse("${version} ${vpc-id} ${instance-id} ${flow-direction} ${tcp-flags} ${az-id} ${type} ${pkt-dstaddr}");
        Assert.Equal(5, format.Version);
        Assert.Equal("5 vpc-1 i-a ingress - - IPv4 10.0.1.10", format.Render(Record()));
        Assert.Equal(8, FlowLogFormat.Parse("${reject-reason} ${srcaddr}").Version);
        Assert.Equal("-", FlowLogFormat.Parse("${instance-id}").Render(Record() with { InstanceId = null }));
    }

    [Theory]
    [InlineData("${version} ${nope}", "Unknown fields provided: ${nope}")]
    [InlineData("${version}  ${srcaddr}", "1 validation error detected: Value '${version}  ${srcaddr}' at 'logFormat' has an invalid format")]
    [InlineData("${version} ", "1 validation error detected: Value '${version} ' at 'logFormat' has an invalid format")]
    [InlineData("version srcaddr", "1 validation error detected: Value 'version srcaddr' at 'logFormat' has an invalid format")]
    public void A_malformed_format_or_an_unknown_field_is_InvalidParameter(string text, string message)
    {
        var e = Assert.Throws<AwsException>(() => FlowLogFormat.Parse(text));
        Assert.Equal("InvalidParameter", e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Counter_readings_become_increments_and_a_reset_counts_from_zero()
    {
        var deltas = new FlowCounterDeltas();
        var flow = new FlowCounter(FlowVerdict.Accepted, "10.0.1.11", "10.0.1.10", 6, 40000, 8080, 3, 180);
        Assert.Equal(new[] { flow }, deltas.Next([flow]));
        Assert.Empty(deltas.Next([flow]));
        var more = deltas.Next([flow with { Packets = 5, Bytes = 420 }]);
        Assert.Equal((2L, 240L), (more[0].Packets, more[0].Bytes));
        // The table was replaced: the counter started again.
        var reset = deltas.Next([flow with { Packets = 1, Bytes = 60 }]);
        Assert.Equal((1L, 60L), (reset[0].Packets, reset[0].Bytes));
    }

    [Fact]
    public void A_packet_shows_up_on_the_interfaces_it_passed()
    {
        FlowInterface? Owner(string address) => address switch { "10.0.1.10" => A, "10.0.1.11" => B, _ => null };
        var fromB = new FlowCounter(FlowVerdict.Accepted, "10.0.1.11", "10.0.1.10", 6, 40000, 8080, 1, 60);
        Assert.Equal(new[] { (B, FlowAction.Accept, true), (A, FlowAction.Accept, false) }, FlowAttribution.Of(fromB, Owner).ToArray());
        // Dropped by A's inbound rules: it left B (accepted there), A rejected it.
        Assert.Equal(new[] { (B, FlowAction.Accept, true), (A, FlowAction.Reject, false) },
            FlowAttribution.Of(fromB with { Verdict = FlowVerdict.RejectedArriving }, Owner).ToArray());
        // Dropped by B's outbound rules: only B records it.
        Assert.Equal(new[] { (B, FlowAction.Reject, true) }, FlowAttribution.Of(fromB with { Verdict = FlowVerdict.RejectedLeaving }, Owner).ToArray());
        // From the outside (the host): only the guest's interface.
        Assert.Equal(new[] { (A, FlowAction.Reject, false) },
            FlowAttribution.Of(fromB with { Source = "100.64.0.1", Verdict = FlowVerdict.RejectedArriving }, Owner).ToArray());
    }

    [Fact]
    public void An_interval_adds_up_each_direction_of_a_flow_per_interface_and_action()
    {
        var aggregator = new FlowAggregator();
        var flow = new FlowCounter(FlowVerdict.Accepted, "10.0.1.11", "10.0.1.10", 6, 40000, 8080, 2, 120);
        aggregator.Add(A, flow, FlowAction.Accept, false, 100, 105);
        aggregator.Add(A, flow with { Packets = 3, Bytes = 300 }, FlowAction.Accept, false, 105, 110);
        aggregator.Add(B, flow, FlowAction.Accept, true, 100, 105);
        aggregator.Add(A, flow with { Source = "10.0.1.10", Destination = "10.0.1.11", SourcePort = 8080, DestinationPort = 40000 }, FlowAction.Accept, true, 100, 105);
        aggregator.Add(A, flow with { DestinationPort = 8081 }, FlowAction.Reject, false, 105, 110);
        Assert.Equal(4, aggregator.Count); // the first two increments are one record
        var records = aggregator.Drain("123456789012", "us-east-1");
        Assert.Equal(0, aggregator.Count);
        var a = records.Where(r => r.InterfaceId == "eni-a").ToList();
        Assert.Equal(3, a.Count);
        var inbound = a.Single(r => r.DestinationPort == 8080);
        Assert.Equal((5L, 420L, 100L, 110L, "i-a"), (inbound.Packets, inbound.Bytes, inbound.Start, inbound.End, inbound.InstanceId));
        Assert.Equal(FlowAction.Reject, a.Single(r => r.DestinationPort == 8081).Action);
        Assert.True(a.Single(r => r.SourcePort == 8080).Egress);
        Assert.Single(records, r => r.InterfaceId == "eni-b");
    }
}
