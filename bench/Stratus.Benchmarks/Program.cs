using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Stratus.Benchmarks -- --filter '*' [--job short]
// Results (JSON and markdown) land in BenchmarkDotNet.Artifacts/results; docs/benchmarks.md keeps the latest.
BenchmarkSwitcher.FromAssembly(typeof(Stratus.Benchmarks.ProtocolBenchmarks).Assembly).Run(args);
