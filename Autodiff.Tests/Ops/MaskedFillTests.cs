using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.MaskedFill (Ops/MaskedFill.cs), with a float 0/1 mask.</summary>
public class MaskedFillTests
{
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);

    [Test]
    public void Forward_FillsWhereTheMaskIsSet()
    {
        var mask = Tensor.FromArray(new[] { 0.0, 1, 0, 1, 0, 0 }, 2, 3);
        Assert.That(Ops.MaskedFill(Small(), mask, -7).ToDoubleArray(), Is.EqualTo(new[] { 1.0, -7, 3, -7, 5, 6 }));
    }

    [Test]
    public void Forward_BroadcastsTheMask_AndAnyNonZeroCounts()
    {
        var row = Tensor.FromArray(new[] { 1.0, 0, 0.5 }, 3);                  // [3] -> [2, 3]; 0.5 counts as set
        Assert.That(Small().MaskedFill(row, 0).ToDoubleArray(), Is.EqualTo(new[] { 0.0, 2, 0, 0, 5, 0 }));
        var column = Tensor.FromArray(new[] { 0.0, 1 }, 2, 1);                 // [2, 1] -> [2, 3]
        Assert.That(Small().MaskedFill(column, 9).ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 9, 9, 9 }));
    }

    [Test]
    public void CausalMask_ThenSoftmax_GivesZeroWeightToTheFuture()
    {
        // scores.masked_fill(torch.triu(torch.ones(T, T), 1) == 1, float('-inf')).softmax(-1)
        var scores = Randn([3, 3], 251);
        var future = Ops.Triu(Tensor.Ones([3, 3], DType.Float64), 1);
        var weights = Ops.Softmax(scores.MaskedFill(future, double.NegativeInfinity), -1).ToDoubleArray();
        Assert.That(weights[0], Is.EqualTo(1.0));
        Assert.That(new[] { weights[1], weights[2], weights[5] }, Is.All.EqualTo(0.0));
        Assert.That(weights[3] + weights[4], Is.EqualTo(1.0).Within(1e-15));
    }

    [Test]
    public void Backward_PassesGWhereTheMaskIsClear()
    {
        var x = Small().RequireGrad();
        var mask = Tensor.FromArray(new[] { 1.0, 0, 1 }, 3);
        BackwardOfSum(Ops.MaskedFill(x, mask, double.NegativeInfinity) * 2.0 - Ops.MaskedFill(x, mask, double.NegativeInfinity));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 1, 0, 0, 1, 0 }));
    }

    [Test]
    public void Backward_MatchesCentralDifferences_Float64_FirstAndSecondOrder()
    {
        var mask = Tensor.FromArray(new[] { 1.0, 0, 0, 1 }, 4, 1);
        GradCheck.Assert(xs => Ops.MaskedFill(xs[0], mask, 3.5), [Randn([4, 3], 252)], "MaskedFill");
        GradCheck.AssertSecondOrder(xs => Ops.MaskedFill(xs[0] * xs[0], mask, 3.5), [Randn([4, 3], 253)], "MaskedFill");
    }

    [Test]
    public void Throws_WhenTheMaskDoesNotBroadcastToTheInput()
    {
        AssertThrows<ArgumentException>(() => Ops.MaskedFill(Small(), Tensor.Zeros([2], DType.Float64), 0), "MaskedFill", "[2]", "[2, 3]");
        // broadcasting both ways is not enough: the result keeps x's shape
        AssertThrows<ArgumentException>(() => Ops.MaskedFill(F64(1, 2, 3), Tensor.Zeros([2, 3], DType.Float64), 0), "MaskedFill", "[2, 3]", "[3]");
    }

    [Test]
    public void Throws_WhenTheMaskRequiresGrad()
    {
        var mask = Tensor.Zeros([2, 3], DType.Float64).RequireGrad();
        AssertThrows<ArgumentException>(() => Ops.MaskedFill(Small(), mask, 0), "MaskedFill", "requires grad", "Detach");
    }

    [Test]
    public void MaskedFill_TakesABoolMask_ACausalMask()
    {
        var scores = Tensor.Zeros(3, 3).RequireGrad();
        var causal = Tensor.Arange(3, DType.Int64).Unsqueeze(0) > Tensor.Arange(3, DType.Int64).Unsqueeze(1);   // j > i
        var y = Ops.MaskedFill(scores, causal, double.NegativeInfinity);
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0f, float.NegativeInfinity, float.NegativeInfinity, 0, 0, float.NegativeInfinity, 0, 0, 0 }));
        Ops.Softmax(y, -1).Sum().Backward();
        Assert.That(scores.Grad, Is.Not.Null);
        var ex = Assert.Throws<ArgumentException>(() => Ops.MaskedFill(Tensor.Zeros(2, 2), Tensor.FromArray(new[] { true, false, true }), 0))!;
        Assert.That(ex.Message, Does.StartWith("MaskedFill:").And.Contain("[3]"));
    }

    [Test]
    public void MaskedFill_WithABoolMask_MatchesTheFloatMask()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var boolMask = Tensor.FromArray(new[] { false, true }, 1, 2);
        var floatMask = Tensor.FromArray(new[] { 0f, 1f }, 1, 2);
        Assert.That(Ops.MaskedFill(x, boolMask, -1).ToArray(), Is.EqualTo(Ops.MaskedFill(x, floatMask, -1).ToArray()));
        Assert.That(Ops.MaskedFill(x, boolMask, -1).ToArray(), Is.EqualTo(new[] { 1f, -1f, 3f, -1f }));
    }
}
