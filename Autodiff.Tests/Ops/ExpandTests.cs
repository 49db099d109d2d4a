using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Expand (Ops/Expand.cs).</summary>
public class ExpandTests
{
    [Test]
    public void Forward_RepeatsVectorAlongNewLeadingDim()
    {
        var y = Ops.Expand(Tensor.FromArray(new[] { 1.0, 2, 3 }), 2, 3);   // torch.tensor([1., 2, 3]).expand(2, 3)
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 1, 2, 3 }));
    }

    [TestCase(new[] { 2, 3 })]
    [TestCase(new[] { -1, 3 })]
    public void Forward_RepeatsSizeOneDim(int[] shape)
    {
        var y = Ops.Expand(Tensor.FromArray(new[] { 1.0, 2 }, 2, 1), shape);   // [[1], [2]] -> [[1, 1, 1], [2, 2, 2]]
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 1, 2, 2, 2 }));
    }

    [Test]
    public void Forward_AddsLeadingDimsAndRepeatsInnerOnes()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3 }, 3, 1);
        var y = Ops.Expand(x, 2, -1, 2);                             // [3, 1] -> [2, 3, 2]
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3 }));
    }

    [Test]
    public void Forward_SameShape_ReturnsRecordedCopyAndLeavesInputALeaf()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2 }, 2).RequireGrad();
        var y = Ops.Expand(x, 2);
        Assert.That(y, Is.Not.SameAs(x));
        Assert.That(x.IsLeaf, Is.True);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2 }));
        y.Backward(Tensor.FromArray(new[] { 3.0, 4 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 4 }));
    }

    [Test]
    public void Backward_SumsGradientsOfRepeatedCopies()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2 }, 2, 1).RequireGrad();
        x.Expand(2, 3).Backward(Tensor.FromArray(new[] { 1.0, 2, 3, 10, 20, 30 }, 2, 3));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 6.0, 60 }).Within(1e-12));
    }

    [TestCase(new[] { 3 }, new[] { 2, 3 })]
    [TestCase(new[] { 2, 1 }, new[] { 2, 4 })]
    [TestCase(new[] { 1, 3, 1 }, new[] { 2, 3, 4 })]
    [TestCase(new[] { 3, 1 }, new[] { 2, -1, 2 })]
    [TestCase(new int[0], new[] { 2, 2 })]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, int[] target) =>
        GradCheck.Assert(xs => Ops.Expand(xs[0], target), new[] { Leaf(1, shape) }, "Expand");

    [Test]
    public void Throws_WhenNonSingletonSizeWouldChange() =>
        AssertThrows<ArgumentException>(() => Ops.Expand(Tensor.Zeros(2, 3), 3, 3), "Expand", "[2, 3]", "[3, 3]");

    [Test]
    public void Throws_WhenTargetHasFewerDims() =>
        AssertThrows<ArgumentException>(() => Ops.Expand(Tensor.Zeros(2, 3), 3), "Expand", "[2, 3]", "[3]");

    [TestCase(new[] { -1, 3 })]
    [TestCase(new[] { 2, -2 })]
    public void Throws_WhenMinusOneIsInANewDimOrSizeIsNegative(int[] target) =>
        AssertThrows<ArgumentException>(() => Ops.Expand(Tensor.Zeros(1, 3).Reshape(3), target), "Expand", "[3]");
}
