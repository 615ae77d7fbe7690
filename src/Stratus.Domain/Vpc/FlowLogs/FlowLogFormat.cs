using System.Globalization;
using System.Text.RegularExpressions;
using Stratus.Core;

namespace Stratus.Domain.Vpc.FlowLogs;

/// <summary>
/// A flow log's record format: <c>${field}</c> names separated by single spaces, from VPC Flow
/// Logs' table of available fields. The default format is the version 2 fields in the table's
/// order; a custom format's <c>version</c> is the highest version among its fields, as on AWS.
/// </summary>
public sealed partial class FlowLogFormat
{
    /// <summary>Every field VPC Flow Logs offers, with the version that introduced it.</summary>
    public static readonly IReadOnlyDictionary<string, int> Fields = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["version"] = 2,
        ["account-id"] = 2,
        ["interface-id"] = 2,
        ["srcaddr"] = 2,
        ["dstaddr"] = 2,
        ["srcport"] = 2,
        ["dstport"] = 2,
        ["protocol"] = 2,
        ["packets"] = 2,
        ["bytes"] = 2,
        ["start"] = 2,
        ["end"] = 2,
        ["action"] = 2,
        ["log-status"] = 2,
        ["vpc-id"] = 3,
        ["subnet-id"] = 3,
        ["instance-id"] = 3,
        ["tcp-flags"] = 3,
        ["type"] = 3,
        ["pkt-srcaddr"] = 3,
        ["pkt-dstaddr"] = 3,
        ["region"] = 4,
        ["az-id"] = 4,
        ["sublocation-type"] = 4,
        ["sublocation-id"] = 4,
        ["pkt-src-aws-service"] = 5,
        ["pkt-dst-aws-service"] = 5,
        ["flow-direction"] = 5,
        ["traffic-path"] = 5,
        ["ecs-cluster-arn"] = 7,
        ["ecs-cluster-name"] = 7,
        ["ecs-container-instance-arn"] = 7,
        ["ecs-container-instance-id"] = 7,
        ["ecs-container-id"] = 7,
        ["ecs-second-container-id"] = 7,
        ["ecs-service-name"] = 7,
        ["ecs-task-definition-arn"] = 7,
        ["ecs-task-arn"] = 7,
        ["ecs-task-id"] = 7,
        ["reject-reason"] = 8,
    };

    /// <summary>The default format (version 2), as DescribeFlowLogs shows it.</summary>
    public const string Default = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}";

    private FlowLogFormat(string text, IReadOnlyList<string> names)
    {
        Text = text;
        Names = names;
        Version = names.Max(n => Fields[n]);
    }

    /// <summary>The format as given (or the default).</summary>
    public string Text { get; }

    /// <summary>The field names in order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The record version: the highest version among the fields.</summary>
    public int Version { get; }

    [GeneratedRegex(@"^\$\{[^}\s]+\}( \$\{[^}\s]+\})*$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    /// <summary>
    /// Parses a LogFormat; null or empty is the default. A malformed text (not <c>${field}</c>s
    /// separated by single spaces) or an unknown field is <c>InvalidParameter</c>.
    /// </summary>
    public static FlowLogFormat Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            text = Default;
        }
        if (!Shape().IsMatch(text))
        {
            throw new AwsException("InvalidParameter", $"1 validation error detected: Value '{text}' at 'logFormat' has an invalid format");
        }
        var names = text.Split(' ').Select(f => f[2..^1]).ToList();
        var unknown = names.Where(n => !Fields.ContainsKey(n)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new AwsException("InvalidParameter", $"Unknown fields provided: {string.Join(", ", unknown.Select(n => "${" + n + "}"))}");
        }
        return new FlowLogFormat(text, names);
    }

    /// <summary>One record as a line: each field's value, <c>-</c> for those that do not apply or are not known.</summary>
    public string Render(FlowRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return string.Join(' ', Names.Select(n => Value(n, record) ?? "-"));
    }

    private string? Value(string field, FlowRecord r) => field switch
    {
        "version" => Version.ToString(CultureInfo.InvariantCulture),
        "account-id" => r.AccountId,
        "interface-id" => r.InterfaceId,
        "srcaddr" or "pkt-srcaddr" => r.Source,
        "dstaddr" or "pkt-dstaddr" => r.Destination,
        "srcport" => r.SourcePort.ToString(CultureInfo.InvariantCulture),
        "dstport" => r.DestinationPort.ToString(CultureInfo.InvariantCulture),
        "protocol" => r.Protocol.ToString(CultureInfo.InvariantCulture),
        "packets" => r.Packets.ToString(CultureInfo.InvariantCulture),
        "bytes" => r.Bytes.ToString(CultureInfo.InvariantCulture),
        "start" => r.Start.ToString(CultureInfo.InvariantCulture),
        "end" => r.End.ToString(CultureInfo.InvariantCulture),
        "action" => r.Action == FlowAction.Accept ? "ACCEPT" : "REJECT",
        "log-status" => "OK",
        "vpc-id" => r.VpcId,
        "subnet-id" => r.SubnetId,
        "instance-id" => r.InstanceId,
        "type" => "IPv4",
        "region" => r.Region,
        "flow-direction" => r.Egress ? "egress" : "ingress",
        _ => null, // tcp-flags, az-id, sublocations, AWS services, traffic-path, ECS, reject-reason: not observed
    };
}

/// <summary>What the packet filter decided for a flow on an interface.</summary>
public enum FlowAction
{
    Accept,
    Reject,
}

/// <summary>
/// One flow log record: one direction of a flow (5-tuple) on one network interface during one
/// aggregation interval, with its packet and byte counts and the first and last time (Unix
/// seconds) it was seen.
/// </summary>
public sealed record FlowRecord(
    string AccountId, string Region, string InterfaceId, string VpcId, string SubnetId, string? InstanceId,
    string Source, string Destination, int Protocol, int SourcePort, int DestinationPort,
    long Packets, long Bytes, long Start, long End, FlowAction Action, bool Egress);
