using Autodiff;
using Autodiff.NN;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>Forward + backward of causal attention at the GPT shape B = 32, H = 4, T = 64, D = 32 (float32, no
/// DisposeScope): the fused op, the same attention written with ops, and a MultiheadAttention(128, 4) block.</summary>
[MemoryDiagnoser]
public class AttentionBenchmarks
{
    [Params("Sdpa_32x4x64x32", "Composite_32x4x64x32", "MultiheadAttention_32x64x128")]
    public string Workload { get; set; } = "";

    private Action _step = null!;

    [GlobalSetup]
    public void Setup()
    {
        var (q, k, v) = (Tensor.Randn([32, 4, 64, 32], 1).RequireGrad(), Tensor.Randn([32, 4, 64, 32], 2).RequireGrad(),
            Tensor.Randn([32, 4, 64, 32], 3).RequireGrad());
        var g = Tensor.Randn([32, 4, 64, 32], 4);
        var causal = Autodiff.Ops.Triu(Tensor.Full([64, 64], double.NegativeInfinity), 1);
        var mha = new MultiheadAttention(128, 4, batchFirst: true, generator: new Generator(1));
        var x = Tensor.Randn([32, 64, 128], 5).RequireGrad();
        var gx = Tensor.Randn([32, 64, 128], 6);
        _step = Workload switch
        {
            "Sdpa_32x4x64x32" => () =>
            {
                Autodiff.Ops.ScaledDotProductAttention(q, k, v, isCausal: true).Backward(g);
                (q.Grad, k.Grad, v.Grad) = (null, null, null);
            },
            "Composite_32x4x64x32" => () =>
            {
                var s = Autodiff.Ops.MatMul(q, Autodiff.Ops.Transpose(k, -2, -1)) * (1 / Math.Sqrt(32)) + causal;
                Autodiff.Ops.MatMul(Autodiff.Ops.Softmax(s, -1), v).Backward(g);
                (q.Grad, k.Grad, v.Grad) = (null, null, null);
            },
            "MultiheadAttention_32x64x128" => () =>
            {
                mha.Forward(x, x, x, needWeights: false, isCausal: true).Output.Backward(gx);
                mha.ZeroGrad();
                x.Grad = null;
            },
            _ => throw new ArgumentException($"AttentionBenchmarks: unknown workload '{Workload}'."),
        };
    }

    /// <summary>One forward + backward.</summary>
    [Benchmark]
    public void ForwardBackward() => _step();
}
