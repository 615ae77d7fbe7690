using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Stratus.Domain.Compute.Events;
using Stratus.Domain.Instances;
using Stratus.Domain.Resources;
using Stratus.Store.Sqlite;

namespace Stratus.Cli;

/// <summary>
/// <c>stratus events schedule</c>: the operator schedules a maintenance event for an instance, as
/// EC2 does for its hosts. Like <c>stratus spot interrupt</c> it writes to the store (also while
/// the server runs); DescribeInstanceStatus and the instance's metadata
/// (<c>events/maintenance/scheduled</c>) show it at once, and the server carries it out at its
/// start (see docs/compute.md).
/// </summary>
internal static class EventCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Events(Option<string> dataDir)
    {
        var instanceId = new Argument<string>("instance-id") { Description = "The instance the event is for (i-...)." };
        var code = new Option<string>("--code") { Description = "The event: instance-reboot, system-reboot, system-maintenance, instance-retirement or instance-stop.", Required = true };
        code.AcceptOnlyFromAmong([.. EventCodes.All]);
        var notBefore = new Option<string?>("--not-before") { Description = "When the event starts (ISO 8601, e.g. 2026-12-24T03:00:00Z, or +SECONDS from now). Default: in two weeks." };
        var notAfter = new Option<string?>("--not-after") { Description = "When the event's window ends. Default: two hours after its start." };
        var deadline = new Option<string?>("--deadline") { Description = "The latest start ModifyInstanceEventStartTime may choose (reboot and maintenance events). Default: 14 days after the start." };
        var account = new Option<string?>("--account-id") { Description = "The instance's account. Default: whichever account has it." };
        var region = new Option<string?>("--region") { Description = "The instance's region. Default: whichever region has it." };
        var schedule = new Command("schedule", "Schedule a maintenance event for an instance as EC2 does (reboot, maintenance, retirement, stop); the server carries it out at its start.")
        {
            instanceId, code, notBefore, notAfter, deadline, dataDir, account, region,
        };
        schedule.SetAction(async (parse, ct) =>
        {
            var id = parse.GetValue(instanceId)!;
            var now = DateTime.UtcNow;
            DateTime? start, end, limit;
            try
            {
                start = ParseTime(parse.GetValue(notBefore), now);
                end = ParseTime(parse.GetValue(notAfter), now);
                limit = ParseTime(parse.GetValue(deadline), now);
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"stratus events schedule: {e.Message}");
                return 2;
            }
            await using var store = SqliteStateStore.Open(new SqliteStoreOptions(Path.Combine(Path.GetFullPath(parse.GetValue(dataDir)!), "stratus.db")));
            await store.InitializeAsync(ct);
            var (scope, exitCode) = await InstanceLocator.FindAsync(store, "stratus events schedule", id, parse.GetValue(region), parse.GetValue(account), ct);
            if (scope is not { } at)
            {
                return exitCode;
            }
            try
            {
                await using var tx = await store.BeginWriteAsync(ct);
                var instance = (await tx.GetAsync<InstanceResource>(at, ResourceTypes.Instance, id, ct))!;
                var record = await ScheduledEvents.ScheduleAsync(tx, at, instance, parse.GetValue(code)!, start, end, limit, now, ct);
                await tx.CommitAsync(ct);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    InstanceId = id,
                    InstanceEventId = record.Id,
                    record.Code,
                    record.Description,
                    record.NotBefore,
                    record.NotAfter,
                    record.NotBeforeDeadline,
                    at.AccountId,
                    at.Region,
                }, Indented));
                return 0;
            }
            catch (Stratus.Core.AwsException e)
            {
                await Console.Error.WriteLineAsync($"stratus events schedule: {e.Message}");
                return 1;
            }
        });
        return new Command("events", "Schedule maintenance events for instances as EC2's host side does.") { schedule };
    }

    /// <summary>An ISO 8601 time, or <c>+SECONDS</c> from now.</summary>
    private static DateTime? ParseTime(string? value, DateTime now)
    {
        if (value is null)
        {
            return null;
        }
        if (value.StartsWith('+') && double.TryParse(value.AsSpan(1), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return now.AddSeconds(seconds);
        }
        return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new FormatException($"'{value}' is not a time (ISO 8601, e.g. 2026-12-24T03:00:00Z, or +SECONDS).");
    }
}
