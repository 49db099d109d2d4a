using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Multinomial (Ops/Multinomial.cs) and Tensor.RandPerm (Tensor.Factories.cs).</summary>
public class MultinomialTests
{
    [Test]
    public void WithReplacement_FrequenciesFollowTheWeights()
    {
        // unnormalised weights 1 : 0 : 3 : 4 -> probabilities 1/8, 0, 3/8, 1/2
        var w = Tensor.FromArray(new[] { 1f, 0, 3, 4 }, 4);
        var s = Ops.Multinomial(w, 20000, replacement: true, generator: new Generator(7));
        Assert.That(s.DType, Is.EqualTo(DType.Int64));
        Assert.That(s.Shape, Is.EqualTo(new Shape(20000)));
        var counts = new int[4];
        foreach (long i in s.ToInt64Array()) counts[i]++;
        Assert.That(counts[1], Is.Zero);
        Assert.That(counts[0] / 20000.0, Is.EqualTo(0.125).Within(0.02));
        Assert.That(counts[2] / 20000.0, Is.EqualTo(0.375).Within(0.02));
        Assert.That(counts[3] / 20000.0, Is.EqualTo(0.5).Within(0.02));
    }

    [Test]
    public void WithoutReplacement_DrawsDistinctNonZeroIndices_PerRow()
    {
        var w = Tensor.FromArray(new[] { 1.0, 2, 0, 3, 0, 0, 5, 1 }, 2, 4);
        for (int seed = 0; seed < 20; seed++)
        {
            var s = Ops.Multinomial(w, 2, generator: new Generator(seed));
            Assert.That(s.Shape, Is.EqualTo(new Shape(2, 2)));
            var v = s.ToInt64Array();
            Assert.That(v[0], Is.Not.EqualTo(v[1]));
            Assert.That(v[0] != 2 && v[1] != 2, "row 0 drew its zero weight");
            Assert.That(new[] { v[2], v[3] }, Is.EquivalentTo(new long[] { 2, 3 }));   // row 1 has exactly two non-zero weights
        }
    }

    [Test]
    public void WithoutReplacement_FirstDrawFollowsWeights()
    {
        var w = Tensor.FromArray(new[] { 1.0, 3 }, 1, 2);
        int ones = 0;
        var g = new Generator(11);
        for (int t = 0; t < 4000; t++) ones += (int)Ops.Multinomial(w, 2, generator: g).ToInt64Array()[0];
        Assert.That(ones / 4000.0, Is.EqualTo(0.75).Within(0.03));
    }

    [Test]
    public void Seeded_Repeats()
    {
        var w = Tensor.FromArray(new[] { 0.2, 0.3, 0.5 }, 3);
        Assert.That(Ops.Multinomial(w, 50, true, new Generator(3)).ToInt64Array(),
            Is.EqualTo(Ops.Multinomial(w, 50, true, new Generator(3)).ToInt64Array()));
    }

    [Test]
    public void Throws_OnBadInputs()
    {
        AssertThrows<ArgumentException>(() => Ops.Multinomial(Tensor.FromArray(new[] { 1.0, -1 }, 2), 1), "Multinomial", "-1", "[2]");
        AssertThrows<ArgumentException>(() => Ops.Multinomial(Tensor.FromArray(new[] { 1.0, double.NaN }, 2), 1), "Multinomial", "NaN");
        AssertThrows<ArgumentException>(() => Ops.Multinomial(Tensor.FromArray(new[] { 0.0, 0 }, 2), 1), "Multinomial", "sums to 0");
        AssertThrows<ArgumentException>(() => Ops.Multinomial(Tensor.FromArray(new[] { 1.0, 0, 2 }, 3), 3), "Multinomial", "3 samples", "2 non-zero");
        AssertThrows<ArgumentException>(() => Ops.Multinomial(Tensor.FromArray(new[] { 1.0 }, 1), 0), "Multinomial", "numSamples 0");
        AssertThrows<ArgumentException>(() => Ops.Multinomial(Tensor.Ones(1, 1, 2), 1), "Multinomial", "[1, 1, 2]");
    }

    [Test]
    public void RandPerm_IsASeededPermutation()
    {
        var p = Tensor.RandPerm(10, new Generator(5));
        Assert.That(p.DType, Is.EqualTo(DType.Int64));
        Assert.That(p.ToInt64Array().Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)));
        Assert.That(p.ToInt64Array(), Is.EqualTo(Tensor.RandPerm(10, new Generator(5)).ToInt64Array()));
        Assert.That(Tensor.RandPerm(0).Shape, Is.EqualTo(new Shape(0)));
        AssertThrows<ArgumentException>(() => Tensor.RandPerm(-1), "RandPerm", "-1");
    }
}
