using Autodiff;
using Autodiff.NN.Data;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN.Data;

/// <summary>Subset and Dataset.RandomSplit (Autodiff.NN/Data/Subset.cs, Dataset.cs), as torch.utils.data's.</summary>
public class SubsetTests
{
    /// <summary>Sample i has input i and label 100 + i.</summary>
    private static TensorDataset Numbers(int n) =>
        new(Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), n, 1), Enumerable.Range(100, n).ToArray());

    [Test]
    public void Subset_ReadsTheSamplesAtItsIndices()
    {
        var subset = new Subset<(Tensor Inputs, int[] Labels)>(Numbers(10), [7, 2, 9]);
        Assert.That(subset.Count, Is.EqualTo(3));
        var (x, y) = subset.GetBatch([2, 0]);
        Assert.That((x.ToArray(), y), Is.EqualTo((new[] { 9f, 7f }, new[] { 109, 107 })));
        var nested = new Subset<(Tensor Inputs, int[] Labels)>(subset, [1]);
        Assert.That(nested.GetBatch([0]).Labels, Is.EqualTo(new[] { 102 }));
    }

    [Test]
    public void Subset_Throws_ForAnIndexOutOfRange()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => new Subset<(Tensor Inputs, int[] Labels)>(Numbers(5), [0, 5]), "Subset", "index 5", "5 samples");
        var subset = new Subset<(Tensor Inputs, int[] Labels)>(Numbers(5), [1, 2]);
        AssertThrows<ArgumentOutOfRangeException>(() => subset.GetBatch([2]), "Subset", "index 2", "2 samples");
    }

    [Test]
    public void RandomSplit_ByLengths_IsARandomPartition_ReproducibleWithAGenerator()
    {
        var data = Numbers(20);
        var parts = Dataset.RandomSplit(data, [12, 5, 3], new Generator(4));
        Assert.That(parts.Select(p => p.Count), Is.EqualTo(new[] { 12, 5, 3 }));
        var all = parts.SelectMany(p => p.Indices).ToArray();
        Assert.That(all.Order(), Is.EqualTo(Enumerable.Range(0, 20)), "every sample once");
        Assert.That(all, Is.Not.EqualTo(Enumerable.Range(0, 20)), "shuffled");
        var again = Dataset.RandomSplit(data, [12, 5, 3], new Generator(4));
        Assert.That(again.Select(p => p.Indices), Is.EqualTo(parts.Select(p => p.Indices)));
        Assert.That(parts[1].GetBatch([0]).Labels, Is.EqualTo(new[] { 100 + parts[1].Indices[0] }));
    }

    [TestCase(10, new[] { 0.8, 0.2 }, new[] { 8, 2 })]
    [TestCase(5, new[] { 0.5, 0.5 }, new[] { 3, 2 })]                  // ⌊2.5⌋ each, the remainder 1 to the first
    [TestCase(10, new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 }, new[] { 4, 3, 3 })]
    [TestCase(11, new[] { 0.1, 0.2, 0.7 }, new[] { 2, 2, 7 })]         // ⌊1.1⌋, ⌊2.2⌋, ⌊7.7⌋ = 1, 2, 7; the remainder 1 to the first
    [TestCase(7, new[] { 0.25, 0.25, 0.25, 0.25 }, new[] { 2, 2, 2, 1 })]   // ⌊1.75⌋ = 1 each; remainder 3 to the first three
    public void RandomSplit_ByFractions_FollowsPyTorchsRounding(int n, double[] fractions, int[] lengths)
    {
        // random_split: ⌊n·f⌋ each, then the remainder dealt one by one to the subsets in order.
        var parts = Dataset.RandomSplit(Numbers(n), fractions, new Generator(1));
        Assert.That(parts.Select(p => p.Count), Is.EqualTo(lengths));
    }

    [Test]
    public void RandomSplit_WithoutAGenerator_DrawsFromTheDefault()
    {
        var data = Numbers(30);
        var a = Dataset.RandomSplit(data, [15, 15]);
        var b = Dataset.RandomSplit(data, [15, 15]);
        Assert.That(a[0].Indices, Is.Not.EqualTo(b[0].Indices), "the default stream moved on");
    }

    [Test]
    public void RandomSplit_Throws_ForLengthsOrFractionsThatDoNotFit()
    {
        AssertThrows<ArgumentException>(() => Dataset.RandomSplit(Numbers(10), [6, 3]), "RandomSplit", "[6, 3]", "add up to 9", "10 samples");
        AssertThrows<ArgumentException>(() => Dataset.RandomSplit(Numbers(10), [11, -1]), "RandomSplit", "non-negative");
        AssertThrows<ArgumentException>(() => Dataset.RandomSplit(Numbers(10), [0.5, 0.4]), "RandomSplit", "add up to 1", "sum 0.9");
        AssertThrows<ArgumentException>(() => Dataset.RandomSplit(Numbers(10), [1.5, -0.5]), "RandomSplit", "in [0, 1]");
    }

    [Test]
    public void ASplit_FeedsTheLabelledDataLoader_WhoseDatasetGathersIt()
    {
        var parts = Dataset.RandomSplit(Numbers(10), [0.7, 0.3], new Generator(8));
        var loader = new DataLoader(parts[1], batchSize: 2);
        Assert.That(loader.SelectMany(b => b.Labels), Is.EqualTo(parts[1].Indices.Select(i => 100 + i)));
        Assert.That(loader.Dataset.Labels, Is.EqualTo(parts[1].Indices.Select(i => 100 + i)));
        Assert.That(loader.Dataset.Inputs.ToArray(), Is.EqualTo(parts[1].Indices.Select(i => (float)i)));
        var whole = Numbers(4);
        Assert.That(new DataLoader(whole, 2).Dataset, Is.SameAs(whole));
    }
}
