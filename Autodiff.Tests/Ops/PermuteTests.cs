using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Permute (Ops/Permute.cs).</summary>
public class PermuteTests
{
    [Test]
    public void Forward_Permute_TransposesMatrix()
    {
        var y = Ops.Permute(Seq(2, 3), 1, 0);                       // [[0, 1, 2], [3, 4, 5]]ᵀ
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 3, 1, 4, 2, 5 }));
    }

    [TestCase(new[] { 2, 0, 1 })]
    [TestCase(new[] { -1, 0, 1 })]
    [TestCase(new[] { -1, -3, -2 })]
    public void Forward_Permute_OutputDimIReadsInputDimP(int[] dims)
    {
        // y[a, b, c] = x[b, c, a] for the permutation (2, 0, 1), however it is spelled
        var x = Seq(2, 3, 4);
        var y = Ops.Permute(x, dims);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 4, 2, 3 }));
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 2; b++)
                for (int c = 0; c < 3; c++)
                    Assert.That(y[a, b, c], Is.EqualTo(x[b, c, a]));
    }

    [Test]
    public void Forward_Permute_IdentityKeepsValues()
    {
        var y = Ops.Permute(Seq(2, 3, 4), 0, 1, 2);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Seq(2, 3, 4).ToDoubleArray()));
    }

    [TestCase(new[] { 1, 0 }, new[] { 2, 3 })]
    [TestCase(new[] { 2, 0, 1 }, new[] { 2, 3, 4 })]
    [TestCase(new[] { 1, 2, 0 }, new[] { 2, 3, 4 })]
    [TestCase(new[] { -1, -2, -3 }, new[] { 2, 3, 4 })]
    [TestCase(new[] { 3, 1, 0, 2 }, new[] { 2, 1, 3, 2 })]
    public void Backward_Permute_MatchesCentralDifferences_Float64(int[] dims, int[] shape) =>
        GradCheck.Assert(xs => Ops.Permute(xs[0], dims), new[] { Leaf(1, shape) }, "Permute");

    [Test]
    public void Throws_WhenPermuteDimsHaveWrongCount() =>
        AssertThrows<ArgumentException>(() => Ops.Permute(Seq(2, 3), 0), "Permute", "[2, 3]", "[0]");

    [Test]
    public void Throws_WhenPermuteRepeatsADim()
    {
        AssertThrows<ArgumentException>(() => Ops.Permute(Seq(2, 3), 0, 0), "Permute", "[2, 3]", "[0, 0]");
        AssertThrows<ArgumentException>(() => Ops.Permute(Seq(2, 3), 1, -1), "Permute", "[2, 3]", "[1, -1]");
    }

    [TestCase(0, 2)]
    [TestCase(-3, 0)]
    public void Throws_WhenPermuteDimOutOfRange(int d0, int d1) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Permute(Seq(2, 3), d0, d1), "Permute", "[2, 3]");
}
