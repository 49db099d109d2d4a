// One entry point for every benchmark of the repository:
//   dotnet run -c Release --project Autodiff.Benchmarks -- --filter '*'   BenchmarkDotNet (or '*MatMul*', '*TrainingStep*',
//                                                                          ...; add '--job short' for a quick look; medians
//                                                                          are in the results table)
//   dotnet Autodiff.Benchmarks.dll compare [--budget S] [--threads N] [--only GROUP,...] ...  our side of bench/compare.sh (Compare/OursBench.cs)
//   dotnet Autodiff.Benchmarks.dll pool-retention [noscope]                 memory the buffer pools keep (Compare/PoolRetention.cs)
using Autodiff.Benchmarks.Compare;
using BenchmarkDotNet.Running;

switch (args.FirstOrDefault())
{
    case "compare":
        OursBench.Run(args[1..]);
        break;
    case "pool-retention":
        PoolRetention.Run(args[1..]);
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        break;
}
