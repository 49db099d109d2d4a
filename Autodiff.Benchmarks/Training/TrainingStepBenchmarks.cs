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
    private Sequential _twoLayer = null!, _mlp = null!;
    private SGD _sgd = null!;
    private Adam _adam = null!;
    private Tensor _x = null!, _mlpX = null!;
    private int[] _labels = null!, _mlpLabels = null!;

    [GlobalSetup]
    public void Setup()
    {
        var g = new Generator(0);
        _twoLayer = Models.TwoLayerNet(g);
        _sgd = new SGD(_twoLayer.Parameters(), lr: 0.1f);
        _x = Tensor.Rand([100, 784], g);
        _labels = [.. Enumerable.Range(0, 100).Select(i => i % 10)];

        _mlp = Models.Mlp(g);
        _adam = new Adam(_mlp.Parameters(), lr: 1e-3f);
        _mlpX = Tensor.Rand([128, 784], g);
        _mlpLabels = [.. Enumerable.Range(0, 128).Select(i => i % 10)];
    }

    [Benchmark]
    public float TwoLayerNet_784x100x10_Batch100_SGD() => Models.Step(_twoLayer, _sgd, _x, _labels);

    [Benchmark]
    public float Mlp_784x256x256x10_Batch128_Adam() => Models.Step(_mlp, _adam, _mlpX, _mlpLabels);
}
