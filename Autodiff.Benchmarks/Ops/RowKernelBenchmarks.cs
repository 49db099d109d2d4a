using Autodiff;
using Autodiff.NN;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Ops;

/// <summary>Forward + backward of the fused row ops at the shapes (float32, the default path: no DisposeScope),
/// and the random fills. Gradients are cleared after each step, as <c>x.grad = None</c> would.</summary>
[MemoryDiagnoser]
public class RowKernelBenchmarks
{
    [Params("LogSoftmax_1000x1000", "Softmax_16x32x32", "Softmax_dim1_32x64x16x16", "LayerNorm_1000x1000", "LayerNorm_1024x256",
        "BatchNorm_32x64x16x16", "CrossEntropy_512x10", "MseLoss_1000x1000", "Randn_1000x1000", "Rand_1000x1000")]
    public string Workload { get; set; } = "";

    private Action _step = null!;

    [GlobalSetup]
    public void Setup()
    {
        int[] shape = Workload switch
        {
            "Softmax_16x32x32" => [16, 32, 32],
            "Softmax_dim1_32x64x16x16" or "BatchNorm_32x64x16x16" => [32, 64, 16, 16],
            "LayerNorm_1024x256" => [1024, 256],
            "CrossEntropy_512x10" => [512, 10],
            _ => [1000, 1000],
        };
        var x = Tensor.Randn(shape, seed: 1).RequireGrad();
        var g = Tensor.Randn(shape, seed: 2);
        int c = shape[1], last = shape[^1];
        var (w, b) = (Tensor.Randn([Workload.StartsWith("Batch") ? c : last], seed: 3).RequireGrad(),
            Tensor.Randn([Workload.StartsWith("Batch") ? c : last], seed: 4).RequireGrad());
        var (runningMean, runningVar) = (Tensor.Zeros(c), Tensor.Ones(c));
        int[] targets = [.. Enumerable.Range(0, shape[0]).Select(i => i * 7 % c)];
        var generator = new Generator(5);
        Action forwardBackward = Workload switch
        {
            "LogSoftmax_1000x1000" => () => Autodiff.Ops.LogSoftmax(x, -1).Backward(g),
            "Softmax_16x32x32" => () => Autodiff.Ops.Softmax(x, -1).Backward(g),
            "Softmax_dim1_32x64x16x16" => () => Autodiff.Ops.Softmax(x, 1).Backward(g),
            "LayerNorm_1000x1000" or "LayerNorm_1024x256" => () => Autodiff.Ops.LayerNorm(x, [last], w, b).Backward(g),
            "BatchNorm_32x64x16x16" => () => Autodiff.Ops.BatchNorm(x, runningMean, runningVar, w, b, training: true).Backward(g),
            "CrossEntropy_512x10" => () => Functional.CrossEntropy(x, targets).Backward(),
            "MseLoss_1000x1000" => () => Functional.MseLoss(x, g).Backward(),
            "Randn_1000x1000" => () => Tensor.Randn([1000, 1000], generator),
            "Rand_1000x1000" => () => Tensor.Rand([1000, 1000], generator),
            _ => throw new ArgumentException($"RowKernelBenchmarks: unknown workload '{Workload}'."),
        };
        _step = () =>
        {
            forwardBackward();
            (x.Grad, w.Grad, b.Grad) = (null, null, null);
        };
    }

    /// <summary>One forward + backward (or one fill).</summary>
    [Benchmark]
    public void ForwardBackward() => _step();
}
