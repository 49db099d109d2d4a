using Autodiff;
using Autodiff.Optim;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>Broadcasting ops on a [1000, 1000] float32 tensor, forward + backward (seeded with ones, gradients recycled by
/// ZeroGrad), at one and two threads: the row-run kernels forward and the column/row sums that
/// bring a broadcast gradient back (Kernels/Broadcast.cs, Kernels/BroadcastSum.cs).</summary>
[MemoryDiagnoser]
public class BroadcastBenchmarks
{
    /// <summary>The workload: <c>x + bias[1000]</c>, <c>x * y</c>, <c>x * 2.0</c>, <c>[1000, 1] + [1, 1000]</c>, or
    /// <c>x - mean(x, 1)</c>.</summary>
    [Params("AddBias", "Mul", "MulScalar", "ColumnPlusRow", "SubRowMean")]
    public string Op { get; set; } = "";

    /// <summary><see cref="Threading.NumThreads"/> during the run.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private Tensor _x = null!, _y = null!, _bias = null!, _column = null!, _row = null!, _ones = null!;
    private Func<Tensor> _forward = null!;
    private SGD _zeroGrad = null!;
    private int _savedThreads;

    [GlobalSetup]
    public void Setup()
    {
        _savedThreads = Threading.NumThreads;
        Threading.NumThreads = Threads;
        _x = Tensor.Randn([1000, 1000], seed: 1).RequireGrad();
        _y = Tensor.Randn([1000, 1000], seed: 2).RequireGrad();
        _bias = Tensor.Randn([1000], seed: 3).RequireGrad();
        _column = Tensor.Randn([1000, 1], seed: 4).RequireGrad();
        _row = Tensor.Randn([1, 1000], seed: 5).RequireGrad();
        _ones = Tensor.Ones(1000, 1000);
        _zeroGrad = new SGD([_x, _y, _bias, _column, _row], lr: 0);              // only for ZeroGrad, which recycles gradients
        _forward = Op switch
        {
            "AddBias" => () => _x + _bias,
            "Mul" => () => _x * _y,
            "MulScalar" => () => _x * 2.0,
            "ColumnPlusRow" => () => _column + _row,
            "SubRowMean" => () => _x - _x.Mean(1, keepDim: true),
            _ => throw new ArgumentException($"BroadcastBenchmarks: unknown op '{Op}'."),
        };
    }

    /// <summary>Restores the thread count.</summary>
    [GlobalCleanup]
    public void Cleanup() => Threading.NumThreads = _savedThreads;

    /// <summary>Forward recorded on the tape, then Backward; every buffer back to the pool afterwards.</summary>
    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = Tensor.NewDisposeScope();
        _zeroGrad.ZeroGrad();
        _forward().Backward(_ones);
    }
}
