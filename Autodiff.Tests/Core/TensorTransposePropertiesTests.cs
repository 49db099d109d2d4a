using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

/// <summary>Tensor.T and Tensor.MT (Tensor.Ops.cs), PyTorch's <c>x.T</c> and <c>x.mT</c>.</summary>
public class TensorTransposePropertiesTests
{
    [Test]
    public void T_TransposesAMatrix_AndRecords()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3).RequireGrad();
        var y = x.T;
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 4, 2, 5, 3, 6 }));
        Assert.That(y.Creator!.Op, Is.EqualTo("Transpose"));
        (y * Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 3, 2)).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 3, 5, 2, 4, 6 }));
    }

    [TestCase(new int[0])]
    [TestCase(new[] { 3 })]
    [TestCase(new[] { 2, 3, 4 })]
    public void T_Throws_ForAnyRankButTwo_NamingTheShape(int[] shape)
    {
        var x = Tensor.Zeros(shape, DType.Float64);
        AssertThrows<InvalidOperationException>(() => _ = x.T, "T", "2-D", Shape.Format(shape), "MT");
    }

    [Test]
    public void MT_SwapsTheLastTwoDims_OfABatch()
    {
        var x = Tensor.Arange(12, DType.Float64).Reshape(2, 2, 3);
        var y = x.MT;
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11 }));
        Assert.That(Tensor.Arange(6, DType.Float64).Reshape(2, 3).MT.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 3, 1, 4, 2, 5 }));
    }

    [Test]
    public void MT_Throws_ForFewerThanTwoDims() =>
        AssertThrows<InvalidOperationException>(() => _ = Tensor.Zeros([4], DType.Float64).MT, "MT", "at least 2 dims", "[4]");
}
