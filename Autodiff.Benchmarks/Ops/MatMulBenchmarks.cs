using Autodiff;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>The GEMM kernel through the MatMul op, forward only, float32, for the shapes the issue names:
/// squares and the MLP's [100, 784]·[784, 100] with its two backward products (which read transposes).</summary>
[MemoryDiagnoser]
public class MatMulBenchmarks
{
    [Params("64x64x64", "256x256x256", "1024x1024x1024", "100x784x100", "100x100x784^T", "784^Tx100x100")]
    public string Shape { get; set; } = "";

    private Tensor _a = null!, _b = null!;
    private bool _transA, _transB;
    private int _m, _k, _n;
    private Tensor _c = null!;

    [GlobalSetup]
    public void Setup()
    {
        var parts = Shape.Split('x');
        _transA = parts[0].EndsWith('^') || parts[0].EndsWith("^T");
        _transB = parts[2].EndsWith("^T");
        _m = int.Parse(parts[0].TrimEnd('T', '^'));
        _k = int.Parse(parts[1]);
        _n = int.Parse(parts[2].TrimEnd('T', '^'));
        // dA = dC·Bᵀ is [m, n]·[n, k]ᵀ-stored; dB = Aᵀ·dC reads A stored [k, m]. Shapes below are the stored ones.
        _a = Tensor.Randn(_transA ? [_k, _m] : [_m, _k], seed: 1);
        _b = Tensor.Randn(_transB ? [_n, _k] : [_k, _n], seed: 2);
        _c = Tensor.Zeros(_m, _n);
    }

    /// <summary>GFLOP/s = 2·m·k·n / time.</summary>
    [Benchmark]
    public void Gemm() => Compute.Gemm(_a, 0, _transA, _b, 0, _transB, _c, 0, _m, _k, _n, accumulate: false);
}
