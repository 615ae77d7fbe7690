using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Stratus.Domain.CloudWatch;
using Stratus.Server;
using Stratus.Server.CloudWatch;
using Stratus.Services.Model.CloudWatch;

namespace Stratus.Benchmarks;

/// <summary>
/// The CloudWatch store in process: write throughput (datapoints/s, flushed to disk), GetMetricData
/// latency over a day of 1-minute data for 100 series, one evaluation round of 1,000 alarms, and
/// bytes on disk per series-day.
/// </summary>
internal static class CloudWatchBench
{
    private const string Account = "111122223333";
    private const string Region = "us-east-1";

    private sealed class NoActions : IInstanceActions, IScalingPolicyActions
    {
        public Task RunAsync(string accountId, string region, string instanceId, string action, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<string> ExecuteAsync(string accountId, string region, string policyArn, string alarmName, string alarmState, double? metricValue, double? threshold,
            CancellationToken cancellationToken) => Task.FromResult("");
    }

    private static SeriesKey Key(int i) => SeriesKey.Create(Account, Region, "Bench", "Latency", [new("Host", $"host-{i:D5}")]);

    public static async Task<int> RunAsync()
    {
        var dir = Directory.CreateTempSubdirectory("stratus-cw-bench-").FullName;
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            now -= now % 60;
            var dayStart = now - 86400;

            // 1. Write throughput: 10,000 series x 60 minutes, puts then flushes as the server does.
            var store = new MetricStore(Path.Combine(dir, "write.db"));
            await using (store.ConfigureAwait(false))
            {
                var rng = new Random(1);
                var watch = Stopwatch.StartNew();
                var points = 0;
                for (var minute = 0; minute < 60; minute++)
                {
                    for (var s = 0; s < 10_000; s++)
                    {
                        store.Put(Key(s), now - 3600 + minute * 60, "Milliseconds", MetricAggregate.FromValue(rng.NextDouble() * 100), now);
                        points++;
                    }
                    await store.FlushAsync().ConfigureAwait(false);
                }
                watch.Stop();
                Console.WriteLine($"PutMetricData store path: {points:N0} datapoints into 10,000 series in {watch.Elapsed.TotalSeconds:F2} s = {points / watch.Elapsed.TotalSeconds:N0} datapoints/s");
            }

            // 2. A day of 1-minute data for 100 series: bytes per series-day, GetMetricData latency.
            var day = new MetricStore(Path.Combine(dir, "day.db"));
            await using (day.ConfigureAwait(false))
            {
                var rng = new Random(2);
                for (var minute = 0; minute < 1440; minute++)
                {
                    for (var s = 0; s < 100; s++)
                    {
                        day.Put(Key(s), dayStart + minute * 60, "Percent", MetricAggregate.FromValue(Math.Round(rng.NextDouble() * 100, 3)), now);
                    }
                    if (minute % 60 == 59)
                    {
                        await day.FlushAsync().ConfigureAwait(false);
                    }
                }
                await day.FlushAsync().ConfigureAwait(false);
            }
            var size = new FileInfo(Path.Combine(dir, "day.db")).Length;
            Console.WriteLine($"storage: {size:N0} bytes for 100 series x 1,440 minutes = {size / 100.0:N0} bytes per series-day ({size / 144000.0:F1} bytes per datapoint)");

            var reopened = new MetricStore(Path.Combine(dir, "day.db"));
            await using (reopened.ConfigureAwait(false))
            {
                var queries = new MetricQueries(reopened);
                var request = Enumerable.Range(0, 100).Select(s => new MetricDataQuery
                {
                    Id = $"m{s}",
                    MetricStat = new MetricStat
                    {
                        Metric = new Metric { Namespace = "Bench", MetricName = "Latency", Dimensions = [new Dimension { Name = "Host", Value = $"host-{s:D5}" }] },
                        Period = 60,
                        Stat = "Average",
                    },
                }).ToList();
                await queries.RunAsync(Account, Region, request, dayStart, now, now, default).ConfigureAwait(false);
                var times = new List<double>();
                for (var run = 0; run < 5; run++)
                {
                    var w = Stopwatch.StartNew();
                    var results = await queries.RunAsync(Account, Region, request, dayStart, now, now, default).ConfigureAwait(false);
                    times.Add(w.Elapsed.TotalMilliseconds);
                    if (results.Sum(r => r.Points.Count) != 144_000)
                    {
                        throw new InvalidOperationException("unexpected datapoint count");
                    }
                }
                times.Sort();
                Console.WriteLine($"GetMetricData, 100 MetricStat queries x 1 day at 60 s (144,000 datapoints): median {times[2]:F0} ms, best {times[0]:F0} ms");
                var math = request.Select(q => { q.ReturnData = false; return q; }).Append(new MetricDataQuery { Id = "total", Expression = "SUM(METRICS())" }).ToList();
                var mw = Stopwatch.StartNew();
                await queries.RunAsync(Account, Region, math, dayStart, now, now, default).ConfigureAwait(false);
                Console.WriteLine($"GetMetricData, SUM(METRICS()) over the same 100 series: {mw.Elapsed.TotalMilliseconds:F0} ms");

                // 3. One evaluation round of 1,000 alarms (10 per series, 5 x 1-minute periods each).
                var state = new CloudWatchState(reopened);
                var alarms = new List<AlarmRecord>();
                for (var a = 0; a < 1000; a++)
                {
                    alarms.Add(new AlarmRecord
                    {
                        Metric = new MetricAlarm
                        {
                            AlarmName = $"alarm-{a:D4}",
                            AlarmArn = $"arn:aws:cloudwatch:{Region}:{Account}:alarm:alarm-{a:D4}",
                            Namespace = "Bench",
                            MetricName = "Latency",
                            Dimensions = [new Dimension { Name = "Host", Value = $"host-{a % 100:D5}" }],
                            Statistic = "Average",
                            Period = 60,
                            EvaluationPeriods = 5,
                            DatapointsToAlarm = 3,
                            Threshold = 50 + a % 10,
                            ComparisonOperator = "GreaterThanThreshold",
                            StateValue = AlarmStates.InsufficientData,
                            ActionsEnabled = true,
                            AlarmActions = [],
                            OKActions = [],
                            InsufficientDataActions = [],
                        },
                    });
                }
                await state.PutAlarmsAsync(Account, Region, alarms, []).ConfigureAwait(false);
                var clock = new FixedClock(DateTimeOffset.FromUnixTimeSeconds(now - 30));
                var evaluator = new AlarmEvaluator(state, queries, new NoActions(), new NoActions(), new ServerOptions(), clock, NullLogger<AlarmEvaluator>.Instance);
                var first = Stopwatch.StartNew();
                await evaluator.EvaluateAllAsync(default).ConfigureAwait(false);
                first.Stop();
                var steady = Stopwatch.StartNew();
                await evaluator.EvaluateAllAsync(default).ConfigureAwait(false);
                steady.Stop();
                Console.WriteLine($"alarm evaluation, 1,000 alarms: {first.Elapsed.TotalMilliseconds:F0} ms with every alarm changing state (history written), {steady.Elapsed.TotalMilliseconds:F0} ms when none changes");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
