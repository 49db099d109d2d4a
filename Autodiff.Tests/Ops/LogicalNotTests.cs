using Autodiff;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Forward values of <see cref="Ops.LogicalNot"/> (hand-derived, as <c>torch.logical_not</c>).</summary>
public class LogicalNotTests
{
    [Test]
    public void LogicalNot_FlipsABoolMask()
    {
        var m = Tensor.FromArray(new[] { true, false, true }, 3);
        var r = Ops.LogicalNot(m);
        Assert.That((r.DType, r.ToBoolArray()), Is.EqualTo((DType.Bool, new[] { false, true, false })));
        Assert.That(m.LogicalNot().ToBoolArray(), Is.EqualTo(r.ToBoolArray()));
        Assert.That(m.ToBoolArray(), Is.EqualTo(new[] { true, false, true }), "the input is unchanged");
    }

    [Test]
    public void LogicalNot_IsTrueWhereOtherDTypesAreZero()
    {
        Assert.That(Ops.LogicalNot(Tensor.FromArray(new[] { 0.0, -0.0, 1.5, double.NaN })).ToBoolArray(),
            Is.EqualTo(new[] { true, true, false, false }));
        Assert.That(Ops.LogicalNot(Tensor.FromArray(new long[] { 0, 7 })).ToBoolArray(), Is.EqualTo(new[] { true, false }));
    }
}
