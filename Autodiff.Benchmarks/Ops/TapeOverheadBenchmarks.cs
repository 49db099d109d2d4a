using Autodiff;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>A chain of 1,000 tiny ops on one-element tensors, forward and backward: the cost of the tape itself.
/// Divide the time by 1,000 for the cost per op.</summary>
[MemoryDiagnoser]
public class TapeOverheadBenchmarks
{
    private readonly Tensor _x = Tensor.FromArray([0.5f]).RequireGrad();
    private readonly Tensor _c = Tensor.FromArray([1.0001f]);

    [Benchmark(OperationsPerInvoke = 1000)]
    public void Chain1000_ForwardBackward()
    {
        var y = _x;
        for (int i = 0; i < 1000; i++) y = y * _c;
        y.Backward();
        _x.Grad = null;
    }
}
