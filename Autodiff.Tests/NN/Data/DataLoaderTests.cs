using Autodiff;
using Autodiff.NN.Data;

namespace Autodiff.Tests.NN.Data;

public class DataLoaderTests
{
    private static TensorDataset Numbers(int n) =>
        new(Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n, 1), Enumerable.Range(0, n).ToArray());

    [TestCase(10, 3, false)]
    [TestCase(10, 3, true)]
    [TestCase(7, 7, true)]
    public void Epoch_CoversEverySampleExactlyOnce(int n, int batch, bool shuffle)
    {
        var loader = new DataLoader(Numbers(n), batch, shuffle, seed: 4);
        var seen = loader.SelectMany(b => b.Labels).ToArray();
        Assert.That(seen.OrderBy(i => i), Is.EqualTo(Enumerable.Range(0, n)));
        foreach (var (x, y) in loader) Assert.That(x.ToArray().Select(v => (int)v), Is.EqualTo(y));   // inputs stay with labels
    }

    [Test]
    public void Shuffle_IsSeeded_AndDiffersBetweenEpochs()
    {
        var a = new DataLoader(Numbers(50), 50, shuffle: true, seed: 1);
        var b = new DataLoader(Numbers(50), 50, shuffle: true, seed: 1);
        var a1 = a.First().Labels;
        Assert.That(a1, Is.EqualTo(b.First().Labels));
        Assert.That(a1, Is.Not.EqualTo(Enumerable.Range(0, 50)));
        Assert.That(a.First().Labels, Is.Not.EqualTo(a1));
    }

    [Test]
    public void DropLast_SkipsTheShortBatch()
    {
        var loader = new DataLoader(Numbers(10), 3, dropLast: true);
        Assert.That(loader.BatchCount, Is.EqualTo(3));
        Assert.That(loader.Select(b => b.Labels.Length), Is.EqualTo(new[] { 3, 3, 3 }));
        Assert.That(new DataLoader(Numbers(10), 3).Select(b => b.Labels.Length), Is.EqualTo(new[] { 3, 3, 3, 1 }));
    }

    [Test]
    public void Throws_ForBadArguments()
    {
        Assert.That(() => new DataLoader(Numbers(3), 0), Throws.ArgumentException.With.Message.Contains("DataLoader"));
        Assert.That(() => new TensorDataset(Tensor.Zeros(3, 2), [1, 2]), Throws.ArgumentException.With.Message.Contains("[3, 2]"));
    }
}
