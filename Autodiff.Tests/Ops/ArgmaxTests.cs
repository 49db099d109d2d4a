using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Argmax (Ops/Argmax.cs): Int64 indices, as PyTorch's, never recorded.</summary>
public class ArgmaxTests
{
    [TestCase(1, false, new[] { 1.0, 0 }, new[] { 2 })]               // torch.argmax(torch.tensor([[1.,3,3],[5,0,5]]), 1)
    [TestCase(-1, true, new[] { 1.0, 0 }, new[] { 2, 1 })]
    [TestCase(0, false, new[] { 1.0, 0, 1 }, new[] { 3 })]
    public void Forward_Argmax_ReturnsFirstIndexOfMaximum(int dim, bool keepDim, double[] expected, int[] shape)
    {
        var x = Tensor.FromArray(new[] { 1.0, 3, 3, 5, 0, 5 }, 2, 3);
        var y = Ops.Argmax(x, dim, keepDim);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.DType, Is.EqualTo(DType.Int64));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Forward_Argmax_Float32_ReturnsInt64Indices()
    {
        var y = Ops.Argmax(Tensor.FromArray(new[] { 1f, 3, 3, 5, 0, 5 }, 2, 3), 0);
        Assert.That(y.DType, Is.EqualTo(DType.Int64));
        Assert.That(y.ToInt64Array(), Is.EqualTo(new long[] { 1, 0, 1 }));
    }

    [Test]
    public void Forward_Argmax_IsNotRecorded()
    {
        var x = MaxTests.Small().RequireGrad();
        var y = Ops.Argmax(x, 1);
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(y.IsLeaf, Is.True);
    }

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Argmax(MaxTests.Small(), dim), "Argmax", "[2, 3]");

    [Test]
    public void Throws_WhenReducedDimIsEmpty() =>
        AssertThrows<ArgumentException>(() => Ops.Argmax(Tensor.Zeros(new[] { 2, 0 }, DType.Float64), 1), "Argmax", "[2, 0]");
}
