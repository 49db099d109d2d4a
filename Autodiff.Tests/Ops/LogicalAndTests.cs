using Autodiff;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Forward values of <see cref="Ops.LogicalAnd"/> (hand-derived truth table, as <c>torch.logical_and</c>).</summary>
public class LogicalAndTests
{
    [Test]
    public void LogicalAnd_IsTheTruthTable_WithBroadcasting()
    {
        var a = Tensor.FromArray(new[] { true, false }, 2, 1);
        var b = Tensor.FromArray(new[] { true, false }, 1, 2);
        var r = Ops.LogicalAnd(a, b);
        Assert.That((r.DType, r.Shape), Is.EqualTo((DType.Bool, new Shape(2, 2))));
        Assert.That(r.ToBoolArray(), Is.EqualTo(new[] { true, false, false, false }));
        Assert.That(a.LogicalAnd(b).ToBoolArray(), Is.EqualTo(r.ToBoolArray()));
    }

    [Test]
    public void LogicalAnd_TreatsNonZeroAsTrue_ForOtherDTypes()
    {
        var x = Tensor.FromArray(new[] { 0f, 2f, float.NaN, -1f });
        var n = Tensor.FromArray(new long[] { 1, 1, 1, 0 });
        Assert.That(Ops.LogicalAnd(x, n).ToBoolArray(), Is.EqualTo(new[] { false, true, true, false }));
    }

    [Test]
    public void LogicalAnd_Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.LogicalAnd(Tensor.Zeros([2], DType.Bool), Tensor.Zeros([3], DType.Bool)))!;
        Assert.That(ex.Message, Does.StartWith("LogicalAnd:").And.Contain("[2]").And.Contain("[3]"));
    }
}
