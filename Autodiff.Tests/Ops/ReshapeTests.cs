using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Reshape (Ops/Reshape.cs), the view every reshape-like op shares.</summary>
public class ReshapeTests
{
    [Test]
    public void Forward_Reshape_KeepsRowMajorOrder()
    {
        var y = Ops.Reshape(Seq(2, 3), 3, 2);                       // torch.arange(6.).reshape(2, 3).reshape(3, 2)
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 2, 3, 4, 5 }));
        Assert.That(y[1, 0], Is.EqualTo(2.0));
        Assert.That(y[2, 1], Is.EqualTo(5.0));
    }

    [TestCase(new[] { -1, 4 }, new[] { 6, 4 })]
    [TestCase(new[] { 4, -1 }, new[] { 4, 6 })]
    [TestCase(new[] { -1 }, new[] { 24 })]
    [TestCase(new[] { 2, -1, 3 }, new[] { 2, 4, 3 })]
    [TestCase(new[] { 1, 24, -1 }, new[] { 1, 24, 1 })]
    public void Forward_Reshape_InfersMinusOne(int[] shape, int[] expected)
    {
        var y = Ops.Reshape(Seq(2, 3, 4), shape);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(expected));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Enumerable.Range(0, 24).Select(i => (double)i)));
    }

    [Test]
    public void Forward_Reshape_ScalarToOneElement()
    {
        var y = Ops.Reshape(Tensor.Scalar(3.5, DType.Float64), 1, 1);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 1 }));
        Assert.That(Ops.Reshape(y).Shape.ToArray(), Is.Empty);         // torch.ones(1, 1).reshape(())
    }

    [TestCase(new[] { 3, 8 })]
    [TestCase(new[] { -1, 2 })]
    [TestCase(new[] { 4, 1, 3, -1 })]
    public void Backward_Reshape_MatchesCentralDifferences_Float64(int[] shape) =>
        GradCheck.Assert(xs => Ops.Reshape(xs[0], shape) * Tensor.Arange(24, DType.Float64).Reshape(shape),
            new[] { Leaf(1, 2, 3, 4) }, "Reshape");

    [Test]
    public void Backward_Reshape_ReadsGradientBackInInputShape()
    {
        var x = Seq(2, 3).RequireGrad();
        x.Reshape(3, 2).Backward(Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 3, 2));
        Assert.That(x.Grad!.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(x.Grad.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 4, 5, 6 }));
    }

    [TestCase(new[] { 4, 2 }, "[4, 2]")]
    [TestCase(new[] { 7 }, "[7]")]
    [TestCase(new[] { -1, 4 }, "[-1, 4]")]
    [TestCase(new[] { -1, -1 }, "[-1, -1]")]
    [TestCase(new[] { 3, -2 }, "[3, -2]")]
    [TestCase(new[] { 0, -1 }, "[0, -1]")]
    public void Throws_WhenReshapeIsInvalid(int[] shape, string formatted) =>
        AssertThrows<ArgumentException>(() => Ops.Reshape(Seq(2, 3), shape), "Reshape", formatted);

    [Test]
    public void Throws_WhenElementCountsDiffer_NamesBothShapes() =>
        AssertThrows<ArgumentException>(() => Ops.Reshape(Seq(2, 3), 4, 2), "Reshape", "[2, 3]", "[4, 2]");
}
