using Autodiff;
using Autodiff.NN;
using Autodiff.NN.Data;
using Autodiff.Optim;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Autodiff.Benchmarks.Training;

/// <summary>One Fashion-MNIST training epoch (all 60,000 images; forward, backward, optimizer step per batch), as
/// Autodiff.Examples/FashionMnist trains: TwoLayerNet 784-100-10 with SGD lr 0.1 at batch 100, and the MLP
/// 784-256-256-10 with Adam lr 1e-3 at batch 128, both shuffled by a seeded DataLoader. The data is loaded once in
/// GlobalSetup; the model keeps training from one epoch to the next. The Gen2 column shows whether an epoch needed a
/// gen-2 collection (the issue asks for none). Skipped, with a message saying how to get the data, when it is absent.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class EpochBenchmarks
{
    [Params("TwoLayerNet", "Mlp")]
    public string Model { get; set; } = "";

    private DataLoader? _loader;
    private Module _net = null!;
    private Optimizer _optimizer = null!;

    [GlobalSetup]
    public void Setup()
    {
        if (!FashionMnist.IsAvailable())
        {
            Console.WriteLine($"// EpochBenchmarks SKIPPED (the times reported for this class are of an empty call): {FashionMnist.HowToGet}");
            return;
        }
        var train = FashionMnist.Load(train: true);
        var generator = new Generator(0);
        bool mlp = Model == "Mlp";
        _net = mlp ? Models.Mlp(generator) : Models.TwoLayerNet(generator);
        _optimizer = mlp ? new Adam(_net.Parameters(), 1e-3f) : new SGD(_net.Parameters(), 0.1f);
        _loader = new DataLoader(train, mlp ? 128 : 100, shuffle: true, seed: 0);
    }

    /// <summary>One pass over the training set; returns the mean loss so the work cannot be dropped.</summary>
    [Benchmark]
    public double Epoch()
    {
        if (_loader is null) return 0;
        double lossSum = 0;
        foreach (var (x, y) in _loader) lossSum += Models.Step(_net, _optimizer, x, y, ownsBatch: true);
        return lossSum / _loader.BatchCount;
    }
}
