using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using BenchmarkDotNet.Attributes;

namespace Autodiff.Benchmarks.Training;

/// <summary>One training step (forward, backward, SGD step) of the notes' TwoLayerNet 784-100-10 at batch 100, on random data.</summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private Tensor _x = null!, _w1 = null!, _b1 = null!, _w2 = null!, _b2 = null!;
    private int[] _labels = null!;
    private SGD _sgd = null!;

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
}
