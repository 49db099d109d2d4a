using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Cat (Ops/Cat.cs).</summary>
public class CatTests
{
    [Test]
    public void Forward_JoinsAlongDim0()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2 }, 1, 2);
        var b = Tensor.FromArray(new[] { 3.0, 4, 5, 6 }, 2, 2);
        var y = Ops.Cat(new[] { a, b });                            // torch.cat([a, b]) = [[1, 2], [3, 4], [5, 6]]
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 4, 5, 6 }));
    }

    [TestCase(1)]
    [TestCase(-1)]
    public void Forward_JoinsAlongLastDim(int dim)
    {
        var a = Tensor.FromArray(new[] { 1.0, 2 }, 2, 1);
        var b = Tensor.FromArray(new[] { 3.0, 4, 5, 6 }, 2, 2);
        var y = Ops.Cat(new[] { a, b }, dim);                       // [[1, 3, 4], [2, 5, 6]]
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 3, 4, 2, 5, 6 }));
    }

    [Test]
    public void Forward_JoinsThreeAlongMiddleDim()
    {
        var parts = new[] { Tensor.Randn(new[] { 2, 1, 3 }, 1, DType.Float64), Tensor.Zeros(new[] { 2, 0, 3 }, DType.Float64),
                            Tensor.Randn(new[] { 2, 2, 3 }, 2, DType.Float64) };
        var y = Ops.Cat(parts, -2);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 3 }));
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++)
            {
                Assert.That(y[i, 0, k], Is.EqualTo(parts[0][i, 0, k]));
                Assert.That(y[i, 1, k], Is.EqualTo(parts[2][i, 0, k]));
                Assert.That(y[i, 2, k], Is.EqualTo(parts[2][i, 1, k]));
            }
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(-1)]
    public void Backward_MatchesCentralDifferences_Float64(int dim)
    {
        int[] Shape(int size) { var s = new[] { 2, 3, 2 }; s[dim < 0 ? dim + 3 : dim] = size; return s; }
        GradCheck.Assert(xs => Ops.Cat(xs, dim), new[] { Leaf(3, Shape(1)), Leaf(4, Shape(3)), Leaf(5, Shape(2)) }, "Cat");
    }

    [Test]
    public void Backward_SendsEachInputItsOwnSlice()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2 }, 2, 1).RequireGrad();
        var b = Tensor.FromArray(new[] { 3.0, 4, 5, 6 }, 2, 2).RequireGrad();
        Ops.Cat(new[] { a, b }, 1).Backward(Tensor.FromArray(new[] { 10.0, 20, 30, 40, 50, 60 }, 2, 3));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 40 }));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 20.0, 30, 50, 60 }));
    }

    [Test]
    public void Backward_ConstantInputGetsNoGradient()
    {
        var constant = Tensor.Randn(new[] { 2, 2 }, 6, DType.Float64);
        GradCheck.Assert(xs => Ops.Cat(xs, 0), new[] { constant, Leaf(7, 1, 2) }, "Cat");
        Assert.That(constant.Grad, Is.Null);
    }

    [Test]
    public void Backward_SameTensorTwice_AccumulatesBothSlices()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2 }).RequireGrad();
        Ops.Cat(new[] { x, x }).Backward(Tensor.FromArray(new[] { 1.0, 2, 3, 4 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 4.0, 6 }));
    }

    [Test]
    public void Throws_WhenSizesDifferOutsideDim() =>
        AssertThrows<ArgumentException>(() => Ops.Cat(new[] { Tensor.Zeros(2, 3), Tensor.Zeros(3, 3) }, 1), "Cat", "[2, 3]", "[3, 3]");

    [Test]
    public void Throws_WhenRanksDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.Cat(new[] { Tensor.Zeros(2, 3), Tensor.Zeros(2, 3, 1) }, 0), "Cat", "[2, 3]", "[2, 3, 1]");

    [Test]
    public void Throws_WhenListIsEmpty() =>
        AssertThrows<ArgumentException>(() => Ops.Cat(Array.Empty<Tensor>()), "Cat");

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Cat(new[] { Tensor.Zeros(2, 3), Tensor.Zeros(2, 3) }, dim), "Cat", "[2, 3]");
}
