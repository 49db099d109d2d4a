using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Training;

/// <summary>One training step (forward, backward, optimizer step) on random data: the notes' TwoLayerNet 784-100-10 at
/// batch 100 with SGD, and the MLP 784-256-256-10 at batch 128 with Adam (built from modules, as the examples do).</summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private Tensor _x = null!, _w1 = null!, _b1 = null!, _w2 = null!, _b2 = null!;
    private int[] _labels = null!;
    private SGD _sgd = null!;
    private Sequential _mlp = null!;
    private Adam _adam = null!;
    private Tensor _mlpX = null!;
    private int[] _mlpLabels = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(0);
        _x = Tensor.Rand([100, 784], g);
        _labels = Enumerable.Range(0, 100).Select(i => i % 10).ToArray();
        _w1 = (Tensor.Randn([784, 100], g) * 0.05).Detach().RequireGrad();
        _b1 = Tensor.Zeros(100).RequireGrad();
        _w2 = (Tensor.Randn([100, 10], g) * 0.1).Detach().RequireGrad();
        _b2 = Tensor.Zeros(10).RequireGrad();
        _sgd = new SGD([_w1, _b1, _w2, _b2], lr: 0.1f);

        _mlp = Models.Mlp(g);
        _adam = new Adam(_mlp.Parameters(), lr: 1e-3f);
        _mlpX = Tensor.Rand([128, 784], g);
        _mlpLabels = [.. Enumerable.Range(0, 128).Select(i => i % 10)];
    }

    [Benchmark]
    public float TwoLayerNet_784x100x10_Batch100_SGD()
    {
        var logits = (_x.MatMul(_w1) + _b1).Relu().MatMul(_w2) + _b2;
        var loss = Functional.CrossEntropy(logits, _labels);
        _sgd.ZeroGrad();
        loss.Backward();
        _sgd.Step();
        return loss.Item();
    }

    [Benchmark]
    public float Mlp_784x256x256x10_Batch128_Adam()
    {
        var loss = Functional.CrossEntropy(_mlp.Forward(_mlpX), _mlpLabels);
        _adam.ZeroGrad();
        loss.Backward();
        _adam.Step();
        return loss.Item();
    }
}
