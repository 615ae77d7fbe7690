using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Stratus.Benchmarks;

/// <summary>
/// A closed-loop load generator for a running Stratus: N concurrent clients send signed EC2
/// requests (each signed by the AWS SDK for .NET, as a real client would) for a bounded time
/// and report throughput and latency percentiles as JSON.
/// Usage: Stratus.Benchmarks load --endpoint URL --access-key K --secret-key S
///        [--region us-east-1] [--concurrency 8] [--seconds 10] [--body 'Action=DescribeVpcs&amp;Version=2016-11-15']
/// </summary>
internal static class LoadGenerator
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"{name} is required");
        }
        var endpoint = new Uri(Arg("--endpoint"));
        var concurrency = int.Parse(Arg("--concurrency", "8"), CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(double.Parse(Arg("--seconds", "10"), CultureInfo.InvariantCulture));
        var body = Arg("--body", "Action=DescribeVpcs&Version=2016-11-15");
        var parameters = new AWSSigV4Parameters
        {
            Credentials = new BasicAWSCredentials(Arg("--access-key"), Arg("--secret-key")),
            Region = RegionEndpoint.GetBySystemName(Arg("--region", "us-east-1")),
            Service = "ec2",
        };
        using var http = new HttpClient(new SigV4SigningHandler(parameters, new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }));

        var latencies = new List<double>[concurrency];
        var errors = 0;
        var stop = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            var mine = latencies[w] = [];
            while (stop.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                using var content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
                using var response = await http.PostAsync(endpoint, content);
                await response.Content.ReadAsByteArrayAsync();
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }).ToList();
        await Task.WhenAll(workers);
        var elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToList();
        double P(double q) => all.Count == 0 ? 0 : all[Math.Min(all.Count - 1, (int)(q * all.Count))];
        var result = new
        {
            action = body.Split('&')[0],
            concurrency,
            seconds = Math.Round(elapsed, 2),
            requests = all.Count,
            errors,
            requestsPerSecond = Math.Round(all.Count / elapsed, 1),
            latencyMs = new { p50 = Math.Round(P(0.50), 3), p90 = Math.Round(P(0.90), 3), p99 = Math.Round(P(0.99), 3), max = Math.Round(all.LastOrDefault(), 3) },
        };
        Console.WriteLine(JsonSerializer.Serialize(result, Indented));
        return errors == 0 ? 0 : 1;
    }
}
