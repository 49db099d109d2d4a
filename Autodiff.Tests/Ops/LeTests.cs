using Autodiff;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Forward values of <see cref="Ops.Le(Tensor, Tensor)"/> (hand-derived: element-wise <c>x <= y</c>, as
/// <c>torch.le</c>), broadcasting, dtype promotion, and that nothing is recorded.</summary>
public class LeTests
{
    [Test]
    public void Le_ComparesElementwise_IntoABoolTensor()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 5, 4 });
        var y = Tensor.FromArray(new float[] { 1, 3, 4, 4 });
        var r = Ops.Le(x, y);
        Assert.That(r.DType, Is.EqualTo(DType.Bool));
        Assert.That(r.ToBoolArray(), Is.EqualTo(new[] { true, true, false, true }));
        Assert.That((x <= y).ToBoolArray(), Is.EqualTo(r.ToBoolArray()), "x <= y");
    }

    [Test]
    public void Le_WithANumber_ComparesEachElementAsADouble()
    {
        var x = Tensor.FromArray(new long[] { 1, 2, 3 });
        Assert.That(Ops.Le(x, 2.0).ToBoolArray(), Is.EqualTo(new[] { true, true, false }));
        Assert.That(x.Le(2).ToBoolArray(), Is.EqualTo(new[] { true, true, false }));
        Assert.That(Ops.Le(x.To(DType.Float64), 2.0).ToBoolArray(), Is.EqualTo(new[] { true, true, false }), "Float64");
    }

    [Test]
    public void Le_Broadcasts_AndPromotesMixedDTypes()
    {
        var ints = Tensor.FromArray(new long[] { 1, 2, 5, 4 }, 4, 1);                        // [4, 1]
        var floats = Tensor.FromArray(new double[] { 1, 3, 4, 4 }, 1, 4);                   // [1, 4]
        var r = Ops.Le(ints, floats);                                                     // compared as Float64
        Assert.That(r.Shape, Is.EqualTo(new Shape(4, 4)));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.That(r[i, j], Is.EqualTo(ints[i, 0] <= floats[0, j] ? 1 : 0), $"[{i}, {j}]");
    }

    [Test]
    public void Le_IsNotRecorded_EvenOnATensorThatRequiresGrad()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).RequireGrad();
        var r = Ops.Le(x, 1.5);
        Assert.That((r.RequiresGrad, r.IsLeaf, r.DType), Is.EqualTo((false, true, DType.Bool)));
    }

    [Test]
    public void Le_Throws_WhenShapesCannotBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Le(Tensor.Zeros(2), Tensor.Zeros(3)))!;
        Assert.That(ex.Message, Does.StartWith("Le:").And.Contain("[2]").And.Contain("[3]"));
    }
}
