using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

/// <summary>PyTorch's <c>x[0, 1:3]</c> written <c>x[0, 1..3]</c>: selects and slices as recorded ops.</summary>
public class TensorIndexingTests
{
    // x = torch.arange(24.).reshape(2, 3, 4)
    private static Tensor Arange234() => Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (double)i).ToArray(), 2, 3, 4);

    [Test]
    public void IntegerAndRange_SelectAndSlice_AsPyTorch()
    {
        var y = Arange234()[1, 1..3];                                   // x[1, 1:3] -> [[16..19], [20..23]]
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 4)));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Enumerable.Range(16, 8).Select(i => (double)i)));
    }

    [Test]
    public void FromEndAndFullRange_TakeTheLastPositionOfEveryRow()
    {
        var y = Arange234()[.., ^1];                                    // x[:, -1] -> [[8, 9, 10, 11], [20, 21, 22, 23]]
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 4)));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new double[] { 8, 9, 10, 11, 20, 21, 22, 23 }));
        Assert.That(Arange234()[^1, ^1, ^1].Item(), Is.EqualTo(23));   // x[-1, -1, -1] as a tensor of shape []
    }

    [Test]
    public void StepAndClampedBounds_FollowPythonSlices()
    {
        var y = Arange234()[0, 0, TensorIndex.Slice(1..100, 2)];        // x[0, 0, 1:100:2] -> [1, 3]
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new double[] { 1, 3 }));
        Assert.That(Arange234()[0, 2..1].Shape, Is.EqualTo(new Shape(0, 4)));   // an empty slice, as x[0, 2:1]
    }

    [Test]
    public void FullSlice_ReturnsTheTensorItself()
    {
        var x = Arange234();
        Assert.That(x[..], Is.SameAs(x));
    }

    [Test]
    public void Backward_SendsTheGradientToTheIndexedPositions_Float64()
    {
        var x = Tensor.Randn([3, 4], seed: 5, DType.Float64).RequireGrad();
        GradCheck.Assert(xs => xs[0][1.., TensorIndex.Slice(.., 2)] * xs[0][^1, 1..3].Sum(), [x], "Tensor[]");
        (x[0, ..] * 2.0).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray().Take(4), Is.All.EqualTo(2.0));
        Assert.That(x.Grad!.ToDoubleArray().Skip(4), Is.All.EqualTo(0.0));
    }

    [Test]
    public void Throws_WhenThereAreMoreIndicesThanDims() =>
        AssertThrows<ArgumentException>(() => _ = Tensor.Zeros(2, 3)[0, .., 1..2], "Tensor[]", "3 indices", "rank 2");

    [Test]
    public void Throws_WhenAPositionIsOutOfRange()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => _ = Tensor.Zeros(2, 3)[.., 3], "Tensor[]", "index 3", "dim 1", "size 3");
        AssertThrows<ArgumentOutOfRangeException>(() => _ = Tensor.Zeros(2, 3)[^0, ..], "Tensor[]", "dim 0", "size 2");
        AssertThrows<ArgumentOutOfRangeException>(() => _ = Tensor.Zeros(2, 3)[-3, ..], "Tensor[]", "index -3");
    }

    [Test]
    public void Slice_ThrowsForANonPositiveStep() =>
        AssertThrows<ArgumentException>(() => TensorIndex.Slice(.., 0), "TensorIndex.Slice", "step must be positive, got 0");
}
