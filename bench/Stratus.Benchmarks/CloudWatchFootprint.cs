using System.Diagnostics;
using Stratus.Domain.CloudWatch;
using Stratus.Server.CloudWatch;

namespace Stratus.Benchmarks;

/// <summary>
/// What the CloudWatch metric store costs per series and per point:
/// 1. the in-memory series index: managed heap bytes per series for the series the AWS/EC2
///    publisher keeps at 10,000 running t3 instances (16 metrics each, one InstanceId dimension set
///    per instance), and for 10,000 series of a custom namespace with their own dimension value each;
/// 2. a day of 1-minute points for N series (default 10,000 × 1,440 minutes): bytes on disk per
///    point and per series-day, the heap and the process's resident memory while writing and after.
/// Usage: dotnet run -c Release --project bench/Stratus.Benchmarks -- cloudwatch-footprint [series] [minutes]
/// </summary>
internal static class CloudWatchFootprint
{
    private const string Account = "111122223333";
    private const string Region = "us-east-1";

    private static readonly string[] Ec2Metrics =
    [
        "StatusCheckFailed_System", "StatusCheckFailed_Instance", "StatusCheckFailed", "StatusCheckFailed_AttachedEBS", "CPUUtilization",
        "NetworkIn", "NetworkOut", "NetworkPacketsIn", "NetworkPacketsOut", "EBSReadBytes", "EBSWriteBytes", "EBSReadOps", "EBSWriteOps",
        "CPUCreditUsage", "CPUCreditBalance", "CPUSurplusCreditBalance",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var seriesCount = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
        var minutes = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1440;
        var dir = Directory.CreateTempSubdirectory("stratus-cw-footprint-").FullName;
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            now -= now % 60;

            // 1. The series index, as the EC2 publisher fills it: 10,000 instances x 16 metrics.
            var ec2 = new MetricStore(Path.Combine(dir, "ec2.db"));
            await using (ec2.ConfigureAwait(false))
            {
                var before = Heap();
                for (var i = 0; i < 10_000; i++)
                {
                    // A new id string per put, as each round decodes its own.
                    foreach (var name in Ec2Metrics)
                    {
                        KeyValuePair<string, string>[] dims = [new("InstanceId", $"i-{i:x17}")];
                        ec2.Put(SeriesKey.Create(Account, Region, "AWS/EC2", name, dims), now, "Count", MetricAggregate.FromValue(0), now);
                    }
                }
                await ec2.FlushAsync().ConfigureAwait(false);
                var after = Heap();
                var count = ec2.SeriesCount;
                Console.WriteLine($"series index, AWS/EC2 of 10,000 instances: {count:N0} series, {after - before:N0} heap bytes = {(after - before) / (double)count:F0} bytes per series");
            }

            // 2. A day of 1-minute points for seriesCount series, one dimension value each.
            var path = Path.Combine(dir, "day.db");
            var day = new MetricStore(path);
            await using (day.ConfigureAwait(false))
            {
                var rng = new Random(3);
                var heap0 = Heap();
                var rss0 = Rss();
                using var self = Process.GetCurrentProcess();
                var cpu = self.TotalProcessorTime;
                var peakRss = rss0;
                long indexBytes = 0;
                for (var minute = 0; minute < minutes; minute++)
                {
                    var ts = now - (minutes - minute) * 60L;
                    for (var s = 0; s < seriesCount; s++)
                    {
                        KeyValuePair<string, string>[] dims = [new("Host", $"host-{s:D5}")];
                        day.Put(SeriesKey.Create(Account, Region, "Bench", "Latency", dims), ts, "Milliseconds", MetricAggregate.FromValue(Math.Round(rng.NextDouble() * 100, 2)), now);
                    }
                    await day.FlushAsync().ConfigureAwait(false);
                    if (minute == 0)
                    {
                        indexBytes = Heap() - heap0;
                    }
                    if (minute % 60 == 59)
                    {
                        peakRss = Math.Max(peakRss, Rss());
                        Console.Error.WriteLine($"  {minute + 1} minutes written, heap {Heap() / 1048576.0:F1} MiB, RSS {Rss() / 1048576.0:F1} MiB");
                    }
                }
                self.Refresh();
                cpu = self.TotalProcessorTime - cpu;
                var points = (long)seriesCount * minutes;
                var heap = Heap() - heap0;
                var rss = Rss() - rss0;
                Console.WriteLine($"series index, {seriesCount:N0} custom series: {indexBytes:N0} heap bytes = {indexBytes / (double)seriesCount:F0} bytes per series");
                Console.WriteLine($"{points:N0} points ({seriesCount:N0} series x {minutes:N0} minutes) written in {cpu.TotalSeconds:F1} s CPU = {points / cpu.TotalSeconds:N0} points per CPU-second");
                Console.WriteLine($"heap after the day: {heap:N0} bytes over the empty store = {heap / (double)seriesCount:F0} bytes per series, {heap / (double)points:F2} bytes per point held in memory");
                Console.WriteLine($"resident memory: +{rss / 1048576.0:F1} MiB after the day, peak +{(peakRss - rss0) / 1048576.0:F1} MiB (SQLite page cache included)");
                await day.FlushAsync().ConfigureAwait(false);
            }
            var size = new FileInfo(path).Length;
            var total = (double)seriesCount * minutes;
            Console.WriteLine($"on disk: {size:N0} bytes = {size / total:F1} bytes per point, {size / (double)seriesCount:N0} bytes per series-day");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
