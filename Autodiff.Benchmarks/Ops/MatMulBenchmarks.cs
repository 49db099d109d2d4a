using Autodiff;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>The GEMM kernel (through <c>Compute.Gemm</c>, as <c>Ops.MatMul</c> calls it), float32, on one thread and on
/// all of them: squares, and the first layer of a 784-100-10 MLP at batch 100 and 128 and of a 784-256-… MLP at batch
/// 128 (forward and both backward products).</summary>
/// <remarks>GFLOP/s = 2·m·k·n / median time. The MLP cases, for batch B and H hidden units: forward <c>y = x·Wᵀ</c>
/// with x [B, 784] and W [H, 784] (A·Bᵀ); backward <c>dX = g·W</c>, [B, H]·[H, 784] (A·B); <c>dW = gᵀ·x</c>, g stored
/// [B, H] (Aᵀ·B).</remarks>
[MemoryDiagnoser, MedianColumn]
public class MatMulBenchmarks
{
    /// <summary>One product <c>C = op(A)·op(B)</c>, op(A) [M, K], op(B) [K, N]; <see cref="Name"/> is what the table shows.</summary>
    public sealed record GemmCase(string Name, int M, int K, int N, bool TransA, bool TransB)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<GemmCase> Cases =>
    [
        new("64x64x64", 64, 64, 64, false, false),
        new("256x256x256", 256, 256, 256, false, false),
        new("1024x1024x1024", 1024, 1024, 1024, false, false),
        new("fwd xWt 100x784x100", 100, 784, 100, false, true),
        new("dX gW 100x100x784", 100, 100, 784, false, false),
        new("dW gtX 100x100x784", 100, 100, 784, true, false),
        new("fwd xWt 128x784x100", 128, 784, 100, false, true),
        new("dX gW 128x100x784", 128, 100, 784, false, false),
        new("dW gtX 100x128x784", 100, 128, 784, true, false),
        new("fwd xWt 128x784x256", 128, 784, 256, false, true),
        new("dX gW 128x256x784", 128, 256, 784, false, false),
        new("dW gtX 256x128x784", 256, 128, 784, true, false),
    ];

    public static IEnumerable<int> ThreadCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    [ParamsSource(nameof(Cases))]
    public GemmCase Case { get; set; } = null!;

    /// <summary><see cref="Threading.NumThreads"/> during the run.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    private Tensor _a = null!, _b = null!, _c = null!;
    private int _savedThreads;

    [GlobalSetup]
    public void Setup()
    {
        var (m, k, n) = (Case.M, Case.K, Case.N);
        // Stored shapes: A is [k, m] when transposed, B is [n, k].
        _a = Tensor.Randn(Case.TransA ? [k, m] : [m, k], seed: 1);
        _b = Tensor.Randn(Case.TransB ? [n, k] : [k, n], seed: 2);
        _c = Tensor.Zeros(m, n);
        _savedThreads = Threading.NumThreads;
        Threading.NumThreads = Threads;
    }

    [GlobalCleanup]
    public void Cleanup() => Threading.NumThreads = _savedThreads;

    [Benchmark]
    public void Gemm() => Compute.Gemm(_a, 0, Case.TransA, _b, 0, Case.TransB, _c, 0, Case.M, Case.K, Case.N, accumulate: false);
}
