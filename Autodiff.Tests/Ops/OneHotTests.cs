using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.OneHot (Ops/OneHot.cs).</summary>
public class OneHotTests
{
    [Test]
    public void Forward_PutsAOneInEachIndexColumn()
    {
        // torch.nn.functional.one_hot(torch.tensor([2, 0, 1]), 4).float()
        var y = Ops.OneHot([2, 0, 1], 4);
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3, 4 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0 }));
        Assert.That(y.RequiresGrad, Is.False);
    }

    [Test]
    public void Forward_InfersNumClassesFromTheLargestIndex()
    {
        Assert.That(Ops.OneHot([1, 3]).Shape.ToArray(), Is.EqualTo(new[] { 2, 4 }));      // one_hot(tensor([1, 3])) is [2, 4]
        Assert.That(Ops.OneHot([], 3).Shape.ToArray(), Is.EqualTo(new[] { 0, 3 }));
    }

    [Test]
    public void Throws_ForBadIndicesOrNumClasses()
    {
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.OneHot([0, 3], 3), "OneHot", "index 3", "position 1", "numClasses 3");
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.OneHot([0, -1]), "OneHot", "index -1", "negative");
        AssertThrows<ArgumentException>(() => Ops.OneHot([0], -2), "OneHot", "numClasses", "-2");
        AssertThrows<ArgumentException>(() => Ops.OneHot([]), "OneHot", "infer numClasses");
        AssertThrows<ArgumentNullException>(() => Ops.OneHot(null!, 2), "OneHot", "indices");
    }
}
