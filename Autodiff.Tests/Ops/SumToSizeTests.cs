using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.SumToSize (Ops/SumToSize.cs): torch.Tensor.sum_to_size, the reduction of broadcasting backwards.</summary>
public class SumToSizeTests
{
    [Test]
    public void Forward_SumsOverLeadingAndSizeOneDims()
    {
        var x = Seq(2, 2, 3);                                       // 0..11
        Assert.That(Ops.SumToSize(x, 2, 3).ToDoubleArray(), Is.EqualTo(new[] { 6.0, 8, 10, 12, 14, 16 }));
        Assert.That(Ops.SumToSize(x, 2, 1, 3).ToDoubleArray(), Is.EqualTo(new[] { 3.0, 5, 7, 15, 17, 19 }));
        Assert.That(Ops.SumToSize(x, 1).ToDoubleArray(), Is.EqualTo(new[] { 66.0 }));
    }

    [Test]
    public void Forward_SameShape_IsACopy()
    {
        var x = Seq(2, 3);
        var y = Ops.SumToSize(x, 2, 3);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(x.ToDoubleArray()));
        Assert.That(ReferenceEquals(x, y), Is.False);
    }

    [Test]
    public void Backward_MatchesCentralDifferences() =>
        GradCheck.Assert(t => Ops.SumToSize(t[0], 1, 3), [Leaf(1, 2, 2, 3)], "SumToSize");

    [Test]
    public void SumToSize_ThrowsForAShapeThatDoesNotBroadcast() =>
        AssertThrows<ArgumentException>(() => Ops.SumToSize(Seq(2, 3), 4), "SumToSize", "[2, 3]", "[4]");
}
