using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Stack (Ops/Stack.cs): Cat of the tensors unsqueezed at dim.</summary>
public class StackTests
{
    [TestCase(0, new[] { 2, 2 }, new[] { 1.0, 2, 3, 4 })]            // torch.stack([a, b], 0)
    [TestCase(1, new[] { 2, 2 }, new[] { 1.0, 3, 2, 4 })]            // torch.stack([a, b], 1)
    [TestCase(-1, new[] { 2, 2 }, new[] { 1.0, 3, 2, 4 })]
    [TestCase(-2, new[] { 2, 2 }, new[] { 1.0, 2, 3, 4 })]
    public void Forward_Stack_JoinsAlongNewDim(int dim, int[] shape, double[] expected)
    {
        var y = Ops.Stack(new[] { Tensor.FromArray(new[] { 1.0, 2 }), Tensor.FromArray(new[] { 3.0, 4 }) }, dim);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_Stack_ThreeMatricesAlongDim1()
    {
        var parts = new[] { 1, 2, 3 }.Select(s => Tensor.Randn(new[] { 2, 3 }, s, DType.Float64)).ToArray();
        var y = Ops.Stack(parts, 1);                                 // y[i, k, j] = parts[k][i, j]
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 3 }));
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 3; k++)
                for (int j = 0; j < 3; j++)
                    Assert.That(y[i, k, j], Is.EqualTo(parts[k][i, j]));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(-1)]
    [TestCase(-3)]
    public void Backward_Stack_MatchesCentralDifferences_Float64(int dim) =>
        GradCheck.Assert(xs => Ops.Stack(xs, dim), new[] { Leaf(8, 2, 3), Leaf(9, 2, 3) }, "Stack");

    [Test]
    public void Throws_WhenStackShapesDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.Stack(new[] { Tensor.Zeros(2, 3), Tensor.Zeros(3, 2) }), "Stack", "[2, 3]", "[3, 2]");

    [TestCase(3)]
    [TestCase(-4)]
    public void Throws_WhenStackDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Stack(new[] { Tensor.Zeros(2, 3), Tensor.Zeros(2, 3) }, dim), "Stack", "[2, 3]");
}
