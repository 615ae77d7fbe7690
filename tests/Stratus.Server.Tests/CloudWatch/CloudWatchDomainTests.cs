using Stratus.Domain.CloudWatch;
using Stratus.Server.CloudWatch;

namespace Stratus.Server.Tests.CloudWatch;

public class StatisticsTests
{
    [Fact]
    public void Basic_statistics_and_percentiles_of_values_with_counts()
    {
        var a = new MetricAggregate();
        a.Add(10);
        a.Add(20, 1);
        a.Add(30, 2);
        Assert.Equal(4, a.SampleCount);
        Assert.Equal(90, a.Sum);
        Assert.Equal(10, a.Minimum);
        Assert.Equal(30, a.Maximum);
        Assert.Equal(22.5, a.Average);
        Assert.Equal(20, a.Statistic("p50"));
        Assert.Equal(30, a.Statistic("p99"));
        Assert.Equal(10, a.Statistic("p0"));
        Assert.Equal(30, a.Statistic("p100"));
    }

    [Fact]
    public void Percentiles_over_1_to_100()
    {
        var a = new MetricAggregate();
        for (var i = 1; i <= 100; i++)
        {
            a.Add(i);
        }
        Assert.Equal(90, a.Percentile(90));
        Assert.Equal(99, a.Percentile(99));
        Assert.Equal(50, a.Percentile(50));
        // Over 128 distinct values the distribution is compacted: percentiles stay close.
        for (var i = 101; i <= 1000; i++)
        {
            a.Add(i);
        }
        Assert.InRange(a.Percentile(90)!.Value, 880, 920);
        Assert.Equal(1000, a.SampleCount);
        Assert.Equal(500500, a.Sum);
    }

    [Fact]
    public void Statistic_sets_have_no_percentiles_and_merge_drops_them()
    {
        var set = MetricAggregate.FromStatistics(3, 30, 5, 15);
        Assert.Null(set.Percentile(50));
        var values = MetricAggregate.FromValue(7);
        values.Merge(set);
        Assert.Equal(4, values.SampleCount);
        Assert.Equal(5, values.Minimum);
        Assert.Null(values.Statistic("p90"));
    }

    [Theory]
    [InlineData("p99", 99.0)]
    [InlineData("p99.9", 99.9)]
    [InlineData("p0", 0.0)]
    [InlineData("p100", 100.0)]
    [InlineData("p50.25", 50.25)]
    [InlineData("p101", null)]
    [InlineData("p99.999", null)]
    [InlineData("tm90", null)]
    [InlineData("Average", null)]
    public void Percentile_names(string name, double? expected) => Assert.Equal(expected, Statistics.ParsePercentile(name));

    [Fact]
    public void Period_retention_rules()
    {
        const long now = 100L * 86400;
        Assert.True(MetricQueries.Retained(now - 3600, 10, now));
        Assert.False(MetricQueries.Retained(now - 4 * 3600, 10, now));
        Assert.True(MetricQueries.Retained(now - 10L * 86400, 60, now));
        Assert.False(MetricQueries.Retained(now - 20L * 86400, 60, now));
        Assert.True(MetricQueries.Retained(now - 20L * 86400, 300, now));
        Assert.False(MetricQueries.Retained(now - 70L * 86400, 300, now));
        Assert.True(MetricQueries.Retained(now - 70L * 86400, 3600, now));
        Assert.Equal(120, MetricQueries.Align(150, 60));
        Assert.Equal(150, MetricQueries.Align(153, 10));
    }
}

public class MetricMathTests
{
    private static TimeSeries Series(string id, params (long T, double V)[] points)
    {
        var s = new TimeSeries(id, id, 60);
        foreach (var (t, v) in points)
        {
            s.Points[t] = v;
        }
        return s;
    }

    private static MathValue Eval(string expression, params TimeSeries[] series)
    {
        var byId = series.ToDictionary(s => s.Id);
        var math = new MetricMath(id => byId.TryGetValue(id, out var s) ? new MathValue.Series(s) : null,
            filter => series.Where(s => filter is null || s.Id.Contains(filter, StringComparison.Ordinal)).ToList(), 0, 300);
        return math.Evaluate(expression, 60);
    }

    private static double[] Values(MathValue v) => ((MathValue.Series)v).Value.Points.Values.ToArray();

    private readonly TimeSeries _a = Series("a", (0, 1), (60, 2), (120, 4));
    private readonly TimeSeries _b = Series("b", (0, 10), (60, 20), (180, 40));

    [Fact]
    public void Arithmetic_keeps_common_timestamps_and_precedence()
    {
        Assert.Equal([11.0, 22.0], Values(Eval("a + b", _a, _b)));
        Assert.Equal([21.0, 42.0], Values(Eval("a + b * 2", _a, _b)));
        Assert.Equal([-1.0, -4.0, -16.0], Values(Eval("-a ^ 2", _a)));
        Assert.Equal([0.5, 1.0, 2.0], Values(Eval("a / 2", _a)));
    }

    [Fact]
    public void Aggregations_over_arrays_and_series()
    {
        Assert.Equal([11.0, 22.0, 4.0, 40.0], Values(Eval("SUM(METRICS())", _a, _b)));
        Assert.Equal([5.5, 11.0, 4.0, 40.0], Values(Eval("AVG([a, b])".Replace("[a, b]", "METRICS()", StringComparison.Ordinal), _a, _b)));
        Assert.Equal(new MathValue.Scalar(4), Eval("MAX(a)", _a));
        Assert.Equal(new MathValue.Scalar(1), Eval("MIN(a)", _a));
        Assert.Equal([1.0, 2.0, 4.0], Values(Eval("SUM(METRICS(\"a\"))", _a, _b)));
    }

    [Fact]
    public void If_fill_rate_diff()
    {
        Assert.Equal([0.0, 20.0, 40.0], Values(Eval("IF(a > 1, a * 10, 0)", _a)));
        Assert.Equal([20.0, 40.0], Values(Eval("IF(a > 1, a * 10)", _a)));
        Assert.Equal([1.0, 2.0, 4.0, 0.0, 0.0], Values(Eval("FILL(a, 0)", _a)));
        Assert.Equal([1.0, 2.0, 4.0, 4.0, 4.0], Values(Eval("FILL(a, REPEAT)", _a)));
        Assert.Equal([10.0, 20.0, 30.0, 40.0], Values(Eval("FILL(b, LINEAR)", _b)).Take(4).ToArray());
        Assert.Equal([1.0, 2.0], Values(Eval("DIFF(a)", _a)));
        Assert.Equal([1.0 / 60, 2.0 / 60], Values(Eval("RATE(a)", _a)));
        Assert.Equal([1.0, 1.0], Values(Eval("a > 1 AND NOT (a == 3)", _a)).Skip(1).ToArray());
    }

    [Theory]
    [InlineData("a +")]
    [InlineData("FOO(a)")]
    [InlineData("(a")]
    [InlineData("a $ b")]
    public void Invalid_expressions_are_refused(string expression) =>
        Assert.Throws<MetricMathException>(() => Eval(expression, Series("a", (0, 1))));

    [Fact]
    public void Unknown_ids_are_reported() =>
        Assert.Contains("zz", Assert.Throws<MetricMathException>(() => Eval("zz + 1")).Message, StringComparison.Ordinal);
}

public class AlarmEvaluationTests
{
    private static AlarmCriteria Criteria(int n, int m, string missing = "missing", string op = "GreaterThanThreshold", string? ext = null, string? low = null) =>
        new(op, 10, n, m, missing, 60, ext is null ? "Average" : null, ext, null, low);

    private static List<AlarmDatapoint> Points(params double?[] values) =>
        values.Select((v, i) => new AlarmDatapoint(i * 60L, v, v is null ? 0 : 1)).ToList();

    private static string? State(AlarmCriteria c, List<AlarmDatapoint> points, string current = AlarmStates.Ok) =>
        AlarmEvaluation.Evaluate(c, points, current, DateTime.UnixEpoch).State;

    [Fact]
    public void M_out_of_n()
    {
        Assert.Equal(AlarmStates.Alarm, State(Criteria(3, 2), Points(11, 5, 12)));
        Assert.Equal(AlarmStates.Ok, State(Criteria(3, 2), Points(11, 5, 5)));
        Assert.Equal(AlarmStates.Alarm, State(Criteria(1, 1), Points(10.5)));
        Assert.Equal(AlarmStates.Ok, State(Criteria(1, 1), Points(10)));
        Assert.Equal(AlarmStates.Alarm, State(Criteria(1, 1, op: "GreaterThanOrEqualToThreshold"), Points(10)));
        Assert.Equal(AlarmStates.Alarm, State(Criteria(1, 1, op: "LessThanThreshold"), Points(9)));
        Assert.Equal(AlarmStates.Alarm, State(Criteria(1, 1, op: "LessThanOrEqualToThreshold"), Points(10)));
    }

    [Theory]
    [InlineData("missing", AlarmStates.InsufficientData)]
    [InlineData("breaching", AlarmStates.Alarm)]
    [InlineData("notBreaching", AlarmStates.Ok)]
    [InlineData("ignore", null)]
    public void All_missing(string treat, string? expected) =>
        Assert.Equal(expected, State(Criteria(3, 2, treat), Points(null, null, null), AlarmStates.Alarm));

    [Theory]
    [InlineData("missing", AlarmStates.Ok)]
    [InlineData("breaching", AlarmStates.Alarm)]
    [InlineData("notBreaching", AlarmStates.Ok)]
    [InlineData("ignore", AlarmStates.Ok)]
    public void Some_missing(string treat, string expected) =>
        Assert.Equal(expected, State(Criteria(3, 2, treat), Points(11, null, 5)));

    [Fact]
    public void Low_sample_count_percentiles()
    {
        var points = new List<AlarmDatapoint> { new(0, 50, 3) };
        Assert.Null(State(Criteria(1, 1, ext: "p99", low: "ignore"), points));
        Assert.Equal(AlarmStates.Alarm, State(Criteria(1, 1, ext: "p99", low: "evaluate"), points));
        Assert.Equal(AlarmStates.Alarm, State(Criteria(1, 1, ext: "p99", low: "ignore"), [new(0, 50, 2000)]));
    }

    [Fact]
    public void Reason_and_reason_data_as_aws_writes_them()
    {
        var outcome = AlarmEvaluation.Evaluate(Criteria(1, 1), [new AlarmDatapoint(1_700_000_040, 95, 1)], AlarmStates.Ok, new DateTime(2023, 11, 14, 22, 15, 0, DateTimeKind.Utc));
        Assert.Equal("Threshold Crossed: 1 datapoint [95.0 (14/11/23 22:14:00)] was greater than the threshold (10.0).", outcome.Reason);
        using var data = System.Text.Json.JsonDocument.Parse(outcome.ReasonData);
        Assert.Equal("1.0", data.RootElement.GetProperty("version").GetString());
        Assert.Equal("Average", data.RootElement.GetProperty("statistic").GetString());
        Assert.Equal(95, data.RootElement.GetProperty("recentDatapoints")[0].GetDouble());
        Assert.Equal("2023-11-14T22:14:00.000+0000", data.RootElement.GetProperty("evaluatedDatapoints")[0].GetProperty("timestamp").GetString());
    }

    [Fact]
    public void Composite_rules()
    {
        var states = new Dictionary<string, string> { ["a"] = AlarmStates.Alarm, ["b b"] = AlarmStates.Ok, ["c"] = AlarmStates.InsufficientData };
        bool Eval(string rule) => CompositeRule.Parse(rule).Evaluate(n => states.GetValueOrDefault(n));
        Assert.True(Eval("ALARM(a)"));
        Assert.True(Eval("ALARM(\"a\") AND OK(\"b b\")"));
        Assert.False(Eval("ALARM(a) AND NOT OK('b b')"));
        Assert.True(Eval("(OK(a) OR INSUFFICIENT_DATA(c)) and TRUE"));
        Assert.False(Eval("FALSE"));
        Assert.Equal(["a", "b b"], CompositeRule.Parse("ALARM(a) OR OK(\"b b\") OR ALARM(a)").Alarms);
        Assert.Throws<FormatException>(() => CompositeRule.Parse("ALARM(a"));
        Assert.Throws<FormatException>(() => CompositeRule.Parse("ALARM(a) XOR OK(b)"));
    }
}

public sealed class MetricStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stratus-cw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SeriesKey Key(string host) => SeriesKey.Create("111122223333", "us-east-1", "App", "Latency", [new("Host", host)]);

    [Fact]
    public async Task Puts_aggregate_per_slot_and_survive_a_restart()
    {
        var path = Path.Combine(_dir, "cloudwatch.db");
        var store = new MetricStore(path);
        await using (store.ConfigureAwait(false))
        {
            store.Put(Key("a"), 600, "Milliseconds", MetricAggregate.FromValue(5), 600);
            store.Put(Key("a"), 600, "Milliseconds", MetricAggregate.FromValue(15), 600);
            await store.FlushAsync();
            store.Put(Key("a"), 600, "Milliseconds", MetricAggregate.FromValue(10), 600);
            store.Put(Key("a"), 660, "Milliseconds", MetricAggregate.FromStatistics(2, 8, 3, 5), 600);
        }
        var reopened = new MetricStore(path);
        await using (reopened.ConfigureAwait(false))
        {
            var series = reopened.Find(Key("a"))!;
            var points = await reopened.QueryAsync(series.Id, 0, 1000, null);
            Assert.Equal(2, points.Count);
            Assert.Equal((3.0, 30.0, 5.0, 15.0), (points[0].Aggregate.SampleCount, points[0].Aggregate.Sum, points[0].Aggregate.Minimum, points[0].Aggregate.Maximum));
            Assert.Equal(10, points[0].Aggregate.Percentile(50));
            Assert.Null(points[1].Aggregate.Percentile(50));
            Assert.Equal("Milliseconds", points[0].Unit);
            Assert.Empty(await reopened.QueryAsync(series.Id, 0, 1000, "Seconds"));
        }
    }

    [Fact]
    public void Keys_are_equal_by_value_whatever_the_order_of_dimensions()
    {
        var a = SeriesKey.Create("111122223333", "us-east-1", "App", "Latency", [new("Host", "h"), new("AZ", "a")]);
        var b = SeriesKey.Create("111122223333", "us-east-1", "App", "Latency", [new("AZ", "a"), new("Host", new string('h', 1))]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Equal(["AZ", "Host"], a.Dimensions.Select(d => d.Key));
        Assert.Equal("111122223333\u001fus-east-1\u001fApp\u001fLatency\u001fAZ\u001ea\u001fHost\u001eh", a.Canonical);
        Assert.NotEqual(a, SeriesKey.Create("111122223333", "us-east-1", "App", "Latency", [new("AZ", "a"), new("Host", "i")]));
        Assert.NotEqual(a, SeriesKey.Create("111122223333", "us-east-1", "App", "Latency", [new("AZ", "a")]));
        Assert.NotEqual(a, SeriesKey.Create("111122223333", "us-east-2", "App", "Latency", [new("AZ", "a"), new("Host", "h")]));
    }

    [Fact]
    public async Task Series_of_the_same_dimensions_share_them_and_a_reset_keeps_the_rest()
    {
        var store = new MetricStore(Path.Combine(_dir, "shared.db"));
        await using (store.ConfigureAwait(false))
        {
            foreach (var name in new[] { "CPUUtilization", "NetworkIn", "StatusCheckFailed" })
            {
                store.Put(SeriesKey.Create("111122223333", "us-east-1", "AWS/EC2", name, [new("InstanceId", string.Concat("i-", 1.ToString(System.Globalization.CultureInfo.InvariantCulture)))]), 600, "Count", MetricAggregate.FromValue(1), 600);
                store.Put(SeriesKey.Create("444455556666", "us-east-1", "AWS/EC2", name, [new("InstanceId", "i-2")]), 600, "Count", MetricAggregate.FromValue(1), 600);
            }
            var first = store.ListSeries("111122223333", "us-east-1");
            Assert.Equal(3, first.Count);
            Assert.All(first, s => Assert.Same(first[0].Key.Dimensions, s.Key.Dimensions));
            await store.DeleteAccountAsync("111122223333");
            Assert.Empty(store.ListSeries("111122223333", "us-east-1"));
            Assert.Equal(3, store.SeriesCount);
            store.Put(SeriesKey.Create("444455556666", "us-east-1", "AWS/EC2", "NetworkOut", [new("InstanceId", "i-2")]), 660, "Count", MetricAggregate.FromValue(2), 660);
            var other = store.ListSeries("444455556666", "us-east-1");
            Assert.Equal(4, other.Count);
            Assert.All(other, s => Assert.Same(other[0].Key.Dimensions, s.Key.Dimensions));
            var points = await store.QueryAsync(store.Find(SeriesKey.Create("444455556666", "us-east-1", "AWS/EC2", "NetworkOut", [new("InstanceId", "i-2")]))!.Id, 0, 1000, null);
            Assert.Equal(2.0, Assert.Single(points).Aggregate.Sum);
        }
    }

    [Fact]
    public async Task Roll_up_merges_old_high_resolution_and_minute_data()
    {
        const long now = 100L * 86400;
        var store = new MetricStore(Path.Combine(_dir, "rollup.db"));
        await using (store.ConfigureAwait(false))
        {
            var old = now - 4 * 3600 - now % 60;
            for (var s = 0; s < 60; s += 10)
            {
                store.Put(Key("b"), old + s, "None", MetricAggregate.FromValue(s), now);
            }
            var older = now - 20L * 86400 - now % 300;
            for (var m = 0; m < 5; m++)
            {
                store.Put(Key("b"), older + m * 60, "None", MetricAggregate.FromValue(m), now);
            }
            store.Put(Key("b"), now - 500L * 86400, "None", MetricAggregate.FromValue(1), now);
            await store.RollUpAsync(now);
            var points = await store.QueryAsync(store.Find(Key("b"))!.Id, 0, now, null);
            Assert.Equal(2, points.Count);
            Assert.Equal((older, 5.0, 10.0), (points[0].Timestamp, points[0].Aggregate.SampleCount, points[0].Aggregate.Sum));
            Assert.Equal((old, 6.0, 150.0), (points[1].Timestamp, points[1].Aggregate.SampleCount, points[1].Aggregate.Sum));
        }
    }
}
