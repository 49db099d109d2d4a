using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Transpose (Ops/Transpose.cs): the permutation swapping two dims.</summary>
public class TransposeTests
{
    [TestCase(0, 1)]
    [TestCase(1, 0)]
    [TestCase(-1, -2)]
    [TestCase(-2, 1)]
    public void Forward_Transpose_SwapsDims(int d0, int d1)
    {
        var y = Ops.Transpose(Seq(2, 3), d0, d1);                   // torch.arange(6.).reshape(2, 3).transpose(d0, d1)
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 3, 1, 4, 2, 5 }));
    }

    [Test]
    public void Forward_Transpose_NegativeDimsOf3D()
    {
        var x = Seq(2, 3, 4);
        var y = Ops.Transpose(x, -1, -3);                           // y[a, b, c] = x[c, b, a]
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 4, 3, 2 }));
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 2; c++)
                    Assert.That(y[a, b, c], Is.EqualTo(x[c, b, a]));
    }

    [Test]
    public void Forward_Transpose_SameDimIsIdentity() =>
        Assert.That(Ops.Transpose(Seq(2, 3), 1, -1).ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 2, 3, 4, 5 }));

    [TestCase(0, 1)]
    [TestCase(-1, 0)]
    [TestCase(-1, -2)]
    [TestCase(1, 1)]
    public void Backward_Transpose_MatchesCentralDifferences_Float64(int d0, int d1) =>
        GradCheck.Assert(xs => Ops.Transpose(xs[0], d0, d1), new[] { Leaf(2, 2, 3, 4) }, "Transpose");

    [Test]
    public void Backward_Transpose_SendsGradientBackTransposed()
    {
        var x = Seq(2, 3).RequireGrad();
        x.Transpose(0, 1).Backward(Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 3, 2));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 3, 5, 2, 4, 6 }));
    }

    [TestCase(0, 2)]
    [TestCase(-3, 1)]
    public void Throws_WhenTransposeDimOutOfRange(int d0, int d1) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Transpose(Seq(2, 3), d0, d1), "Transpose", "[2, 3]");
}
