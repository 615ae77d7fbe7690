using System.Globalization;
using System.Text.Json;
using Stratus.Domain.Compute.Events;

namespace Stratus.Server.Imds;

/// <summary>
/// <c>events/maintenance/scheduled</c> and <c>events/maintenance/history</c> as EC2's metadata
/// service writes them: a JSON array of events with <c>NotBefore</c>, <c>Code</c>,
/// <c>Description</c>, <c>EventId</c>, <c>NotAfter</c>, <c>State</c> (<c>active</c>,
/// <c>completed</c>, <c>canceled</c>) and, for reschedulable events, <c>NotBeforeDeadline</c>;
/// times as <c>21 Jan 2019 09:00:43 GMT</c>.
/// </summary>
internal static class MaintenanceEvents
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Json(IEnumerable<InstanceEventRecord>? events)
    {
        var items = (events ?? []).OrderBy(e => e.NotBefore).Select(e =>
        {
            var item = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["NotBefore"] = Format(e.NotBefore),
                ["Code"] = e.Code,
                ["Description"] = e.Description,
                ["EventId"] = e.Id,
                ["NotAfter"] = Format(e.NotAfter),
                ["State"] = e.State,
            };
            if (e.NotBeforeDeadline is { } deadline)
            {
                item["NotBeforeDeadline"] = Format(deadline);
            }
            return item;
        }).ToList();
        return items.Count == 0 ? "[]" : JsonSerializer.Serialize(items, Indented);
    }

    private static string Format(DateTime time) => time.ToUniversalTime().ToString("d MMM yyyy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture);
}
