using Autodiff;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Forward values of <see cref="Ops.LogicalOr"/> (hand-derived truth table, as <c>torch.logical_or</c>).</summary>
public class LogicalOrTests
{
    [Test]
    public void LogicalOr_IsTheTruthTable_WithBroadcasting()
    {
        var a = Tensor.FromArray(new[] { true, false }, 2, 1);
        var b = Tensor.FromArray(new[] { true, false }, 1, 2);
        var r = Ops.LogicalOr(a, b);
        Assert.That((r.DType, r.Shape), Is.EqualTo((DType.Bool, new Shape(2, 2))));
        Assert.That(r.ToBoolArray(), Is.EqualTo(new[] { true, true, true, false }));
        Assert.That(a.LogicalOr(b).ToBoolArray(), Is.EqualTo(r.ToBoolArray()));
    }

    [Test]
    public void LogicalOr_CombinesComparisonMasks()
    {
        var x = Tensor.FromArray(new[] { -2f, 0f, 3f });
        Assert.That(Ops.LogicalOr(x < -1, x > 1).ToBoolArray(), Is.EqualTo(new[] { true, false, true }));
    }

    [Test]
    public void LogicalOr_Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.LogicalOr(Tensor.Zeros([2], DType.Bool), Tensor.Zeros([3], DType.Bool)))!;
        Assert.That(ex.Message, Does.StartWith("LogicalOr:").And.Contain("[2]").And.Contain("[3]"));
    }
}
