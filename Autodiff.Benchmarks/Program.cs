// Runs the benchmarks: dotnet run -c Release --project Autodiff.Benchmarks -- --filter '*'
// (or '*MatMul*', '*TrainingStep*', ...). Add '--job short' for a quick look; medians are in the results table.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
