using Autodiff;
using Autodiff.NN;
using Autodiff.NN.Data;

namespace Autodiff.Tests.NN;

/// <summary>Layers, dropout and DataLoader given no generator or seed draw from <see cref="Generator.Default"/>, so two
/// of them differ and <see cref="Generator.ManualSeed"/> makes them reproducible; a seed keeps a stream of its own.
/// NonParallelizable: the tests reseed the shared default.</summary>
[NonParallelizable]
public class DefaultGeneratorTests
{
    private static float[][] Weights(Module m) => m.Parameters().Select(p => p.ToArray()).ToArray();

    private static Sequential Model() => new(new Embedding(10, 4), new Linear(4, 8), new ReLU(),
        new Unflatten(1, 2, 2, 2), new Conv2d(2, 3, 1), new Flatten(), new Linear(12, 2));

    [Test]
    public void TwoDefaultLayers_StartDifferent()
    {
        Assert.That(new Linear(64, 64).Weight.ToArray(), Is.Not.EqualTo(new Linear(64, 64).Weight.ToArray()));
        Assert.That(new Linear(64, 64).Bias!.ToArray(), Is.Not.EqualTo(new Linear(64, 64).Bias!.ToArray()));
        Assert.That(new Conv2d(3, 8, 3).Weight.ToArray(), Is.Not.EqualTo(new Conv2d(3, 8, 3).Weight.ToArray()));
        Assert.That(new Embedding(10, 4).Weight.ToArray(), Is.Not.EqualTo(new Embedding(10, 4).Weight.ToArray()));
    }

    [Test]
    public void ManualSeed_ThenBuildingAModelTwice_GivesBitIdenticalWeights()
    {
        Generator.ManualSeed(123);
        var a = Weights(Model());
        Generator.ManualSeed(123);
        var b = Weights(Model());
        Assert.That(b, Is.EqualTo(a));
        Generator.ManualSeed(124);
        Assert.That(Weights(Model()), Is.Not.EqualTo(a));
    }

    [Test]
    public void ManualSeed_BuildsWhatAnExplicitGeneratorOfThatSeedBuilds()
    {
        Generator.ManualSeed(7);
        var byDefault = new Sequential(new Linear(5, 4), new Linear(4, 3));
        var g = new Generator(7);
        var explicitly = new Sequential(new Linear(5, 4, generator: g), new Linear(4, 3, generator: g));
        Assert.That(Weights(byDefault), Is.EqualTo(Weights(explicitly)));
    }

    [Test]
    public void ResetParameters_WithoutAGenerator_DrawsFromTheDefault()
    {
        var layer = new Linear(6, 6, generator: new Generator(1));
        var first = layer.Weight.ToArray();
        Generator.ManualSeed(1);
        layer.ResetParameters();
        Assert.That(layer.Weight.ToArray(), Is.EqualTo(first));
        layer.ResetParameters();
        Assert.That(layer.Weight.ToArray(), Is.Not.EqualTo(first));
    }

    private static float[] Mask(Module dropout, params int[] shape) => dropout.Forward(Tensor.Ones(shape)).ToArray();

    [Test]
    public void TwoDefaultDropouts_DrawDifferentMasks()
    {
        Assert.That(Mask(new Dropout(0.5), 256), Is.Not.EqualTo(Mask(new Dropout(0.5), 256)));
        Assert.That(Mask(new Dropout2d(0.5), 4, 64, 1, 1), Is.Not.EqualTo(Mask(new Dropout2d(0.5), 4, 64, 1, 1)));
    }

    [Test]
    public void DefaultDropout_DrawsFromTheDefaultAtEachForward_SoManualSeedReproducesIt()
    {
        var dropout = new Dropout(0.5);                  // built before seeding: the masks come from Forward's draws
        Generator.ManualSeed(3);
        var a = Mask(dropout, 64);
        Generator.ManualSeed(3);
        Assert.That(Mask(dropout, 64), Is.EqualTo(a));
        Generator.ManualSeed(3);
        Assert.That(Mask(new Dropout2d(0.5), 64, 1, 1), Is.EqualTo(a));   // one uniform draw per element, the same rule
    }

    [Test]
    public void SeededDropout_KeepsItsOwnStream_WhateverTheDefaultDraws()
    {
        var a = new Dropout(0.5, seed: 1);
        var b = new Dropout(0.5, seed: 1);
        var first = Mask(a, 64);
        _ = Tensor.Randn(100);                           // draws from the default between the two
        Assert.That(Mask(b, 64), Is.EqualTo(first));
        var c = new Dropout2d(0.5, seed: 2);
        var d = new Dropout2d(0.5, seed: 2);
        var channels = Mask(c, 2, 32, 1, 1);
        Generator.ManualSeed(0);
        Assert.That(Mask(d, 2, 32, 1, 1), Is.EqualTo(channels));
    }

    private static TensorDataset Numbers(int n) =>
        new(Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n, 1), Enumerable.Range(0, n).ToArray());

    [Test]
    public void DataLoader_WithoutASeed_ShufflesFromTheDefault()
    {
        var loader = new DataLoader(Numbers(40), 40, shuffle: true);
        Generator.ManualSeed(5);
        var first = loader.First().Labels;
        Assert.That(first, Is.Not.EqualTo(Enumerable.Range(0, 40)));
        Assert.That(new DataLoader(Numbers(40), 40, shuffle: true).First().Labels, Is.Not.EqualTo(first));   // the next epoch's seed
        Generator.ManualSeed(5);
        Assert.That(loader.First().Labels, Is.EqualTo(first));
    }

    [Test]
    public void DataLoader_WithASeed_KeepsItsOwnStream_WhateverTheDefaultDraws()
    {
        var a = new DataLoader(Numbers(40), 40, shuffle: true, seed: 7).First().Labels;
        Generator.ManualSeed(99);
        _ = Tensor.Rand(10);
        Assert.That(new DataLoader(Numbers(40), 40, shuffle: true, seed: 7).First().Labels, Is.EqualTo(a));
    }
}
