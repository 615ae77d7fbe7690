using BenchmarkDotNet.Running;
using Stratus.Benchmarks;

// Micro-benchmarks: dotnet run -c Release --project bench/Stratus.Benchmarks -- --filter '*' [--job short]
//   (results, JSON and markdown, in BenchmarkDotNet.Artifacts/results; docs/benchmarks.md keeps the latest)
// API load:         bench/run-load.sh (starts a server, then runs `load`, see LoadGenerator)
// CloudWatch store: dotnet run -c Release --project bench/Stratus.Benchmarks -- cloudwatch
// Its footprint:    dotnet run -c Release --project bench/Stratus.Benchmarks -- cloudwatch-footprint [series] [minutes]
if (args.Length > 0 && args[0] == "cloudwatch")
{
    return await CloudWatchBench.RunAsync();
}
if (args.Length > 0 && args[0] == "cloudwatch-footprint")
{
    return await CloudWatchFootprint.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "load")
{
    return await LoadGenerator.RunAsync(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(ProtocolBenchmarks).Assembly).Run(args);
return 0;
