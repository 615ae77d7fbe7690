using System.Security.Cryptography;
using System.Text;

namespace Stratus.Domain.Spot;

/// <summary>A placement score of a region (or one of its zones) for a Spot capacity.</summary>
public sealed record SpotPlacementScoreResult(string Region, string? ZoneId, int Score);

/// <summary>
/// GetSpotPlacementScores' model: each Spot pool (type and zone) holds room for
/// <c>4096 / vCPUs</c> instances (larger types are scarcer); the capacity asked for (in instances,
/// vCPUs or MiB of memory) is spread over the pools of the types given, and the score falls from
/// 10 as it fills them: <c>10 − ⌈10 × demand / room⌉</c>, at least 1, less a deterministic 0 or 1
/// per region or zone so that they differ. Scores are sorted best first, then by region and zone.
/// </summary>
public static class SpotPlacementScores
{
    private const int PoolVcpus = 4096;

    public static IReadOnlyList<SpotPlacementScoreResult> Score(
        IReadOnlyList<(string Name, int VCpus, long MemoryMiB)> types, int targetCapacity, string unit, IReadOnlyList<string> regions, bool singleZone,
        Func<string, IReadOnlyList<string>> zonesOf)
    {
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(zonesOf);
        var result = new List<SpotPlacementScoreResult>();
        foreach (var region in regions)
        {
            var zones = zonesOf(region);
            if (singleZone)
            {
                result.AddRange(zones.Select(zone => new SpotPlacementScoreResult(region, zone, ScoreOf(types, targetCapacity, unit, 1, region + "/" + zone))));
            }
            else
            {
                result.Add(new SpotPlacementScoreResult(region, null, ScoreOf(types, targetCapacity, unit, zones.Count, region)));
            }
        }
        return result
            .OrderByDescending(s => s.Score)
            .ThenBy(s => s.Region, StringComparer.Ordinal)
            .ThenBy(s => s.ZoneId, StringComparer.Ordinal)
            .ToList();
    }

    private static int ScoreOf(IReadOnlyList<(string Name, int VCpus, long MemoryMiB)> types, int target, string unit, int zones, string place)
    {
        // Room in the unit asked for, over every pool of the given types.
        double room = 0;
        foreach (var (_, vcpus, memory) in types)
        {
            var instances = (double)PoolVcpus / Math.Max(1, vcpus) * zones;
            room += unit switch
            {
                "vcpu" => instances * vcpus,
                "memory-mib" => instances * memory,
                _ => instances,
            };
        }
        var fill = room <= 0 ? double.PositiveInfinity : target / room;
        var score = 10 - (int)Math.Ceiling(Math.Min(fill, 1.0) * 10);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(place));
        score -= hash[0] & 1;
        return Math.Clamp(score, 1, 10);
    }
}
