using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.ArgmaxIndices (Ops/ArgmaxIndices.cs): the argmax of each row as integers.</summary>
public class ArgmaxIndicesTests
{
    [Test]
    public void Forward_ArgmaxIndices_DefaultsToLastDim()
    {
        var x = Tensor.FromArray(new[] { 1f, 3, 3, 5, 0, 5 }, 2, 3);
        Assert.That(Ops.ArgmaxIndices(x), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(Ops.ArgmaxIndices(x, 0), Is.EqualTo(new[] { 1, 0, 1 }));
        Assert.That(Ops.ArgmaxIndices(x, -2), Is.EqualTo(new[] { 1, 0, 1 }));
    }

    [Test]
    public void Forward_ArgmaxIndices_MatchesMaxAlongMiddleDim()
    {
        var x = Tensor.Randn(new[] { 3, 5, 2 }, 7, DType.Float64);
        var indices = Ops.ArgmaxIndices(x, 1);
        var max = x.Max(1);
        Assert.That(indices, Has.Length.EqualTo(6));
        for (int o = 0; o < 3; o++)
            for (int i = 0; i < 2; i++)
                Assert.That(x[o, indices[o * 2 + i], i], Is.EqualTo(max[o, i]));
    }

    [Test]
    public void Forward_ArgmaxIndices_DoesNotRecordOrChangeTheInput()
    {
        var x = MaxTests.Small().RequireGrad();
        Assert.That(Ops.ArgmaxIndices(x), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(x.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 5, 3, 4, 2, 6 }));
        Assert.That(x.IsLeaf, Is.True);
    }

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.ArgmaxIndices(MaxTests.Small(), dim), "ArgmaxIndices", "[2, 3]");

    [Test]
    public void Throws_WhenReducedDimIsEmpty() =>
        AssertThrows<ArgumentException>(() => Ops.ArgmaxIndices(Tensor.Zeros(new[] { 2, 0 }, DType.Float64), 1), "ArgmaxIndices", "[2, 0]");
}
