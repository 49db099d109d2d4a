using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Arithmetic on Int64 and Bool tensors and PyTorch's type promotion (Compute.Promotion.cs): Add, Sub, Mul, Div,
/// Neg, Sum, the operators with constants, and Max, Min, Argmax of Int64 tensors. Expected values are hand-derived; the
/// torch one-liner that agrees is in each comment.</summary>
public class TypePromotionTests
{
    private static Tensor I64(params long[] values) => Tensor.FromArray(values);
    private static Tensor B8(params bool[] values) => Tensor.FromArray(values);

    // ---- Int64 with Int64 -------------------------------------------------------------------------------------------

    [Test]
    public void AddSubMul_OfInt64_AreInt64_WithBroadcasting()
    {
        // a = torch.tensor([1, 2, 3]); b = torch.tensor([[10], [20]]): a + b, a - b, a * b are int64 [2, 3]
        var a = I64(1, 2, 3);
        var b = Tensor.FromArray(new long[] { 10, 20 }, 2, 1);
        var sum = a + b;
        Assert.That((sum.DType, sum.Shape), Is.EqualTo((DType.Int64, new Shape(2, 3))));
        Assert.That(sum.ToInt64Array(), Is.EqualTo(new long[] { 11, 12, 13, 21, 22, 23 }));
        Assert.That((a - b).ToInt64Array(), Is.EqualTo(new long[] { -9, -8, -7, -19, -18, -17 }));
        Assert.That((a * b).ToInt64Array(), Is.EqualTo(new long[] { 10, 20, 30, 20, 40, 60 }));
        Assert.That((a * b).DType, Is.EqualTo(DType.Int64));
        Assert.That((-a).ToInt64Array(), Is.EqualTo(new long[] { -1, -2, -3 }));
        Assert.That((-a).DType, Is.EqualTo(DType.Int64));
    }

    [Test]
    public void Int64Arithmetic_IsExactBeyond2To53_AndWrapsOnOverflow_AsPyTorch()
    {
        // torch.tensor([2**53]) + 1 == 2**53 + 1 (no rounding through a double);
        // torch.tensor([2**63 - 1]) + 1 == -2**63 (int64 wraps)
        Assert.That((I64(1L << 53) + I64(1)).ToInt64Array(), Is.EqualTo(new[] { (1L << 53) + 1 }));
        Assert.That((I64(long.MaxValue) + I64(1)).ToInt64Array(), Is.EqualTo(new[] { long.MinValue }));
        Assert.That((I64(long.MinValue) * I64(-1)).ToInt64Array(), Is.EqualTo(new[] { long.MinValue }));
    }

    [Test]
    public void Div_OfInt64_IsTrueDivisionInFloat32_AsTorchDiv()
    {
        // torch.tensor([7, -7, 1]) / torch.tensor([2, 2, 0]) -> tensor([3.5, -3.5, inf]) (float32)
        var y = I64(7, -7, 1) / I64(2, 2, 0);
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 3.5f, -3.5f, float.PositiveInfinity }));
        Assert.That((I64(3) / 2).ToArray(), Is.EqualTo(new[] { 1.5f }));
        Assert.That((3 / I64(2)).ToArray(), Is.EqualTo(new[] { 1.5f }));
    }

    [Test]
    public void IntegerResults_AreNotRecorded_AndDoNotRequireGrad()
    {
        var y = Ops.Sum(I64(1, 2) * I64(3, 4) + I64(1, 1) - I64(0, 2));
        Assert.That(y.DType, Is.EqualTo(DType.Int64));
        Assert.That(y.ItemInt64(), Is.EqualTo(3 + 8 + 2 - 2));
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(y.Creator, Is.Null);
    }

    [Test]
    public void IntegerResults_InADisposeScope_AreOwnedByIt()
    {
        Tensor y;
        using (Tensor.NewDisposeScope()) y = I64(1, 2) + I64(3, 4);
        Assert.That(y.IsDisposed, Is.True);
    }

    // ---- Int64 or Bool with a floating-point tensor ------------------------------------------------------------------

    [Test]
    public void Int64WithFloat_GivesTheFloatDType()
    {
        // torch.tensor([1, 2]) * torch.tensor([0.5, 0.25]) -> float32 [0.5, 0.5]; with float64 -> float64
        var ids = I64(1, 2);
        var f32 = ids * Tensor.FromArray(new[] { 0.5f, 0.25f });
        Assert.That(f32.DType, Is.EqualTo(DType.Float32));
        Assert.That(f32.ToArray(), Is.EqualTo(new[] { 0.5f, 0.5f }));
        var f64 = Tensor.FromArray(new[] { 0.5, 0.25 }) - ids;
        Assert.That(f64.DType, Is.EqualTo(DType.Float64));
        Assert.That(f64.ToDoubleArray(), Is.EqualTo(new[] { -0.5, -1.75 }));
        Assert.That((ids / Tensor.FromArray(new[] { 4.0 })).ToDoubleArray(), Is.EqualTo(new[] { 0.25, 0.5 }));
    }

    [Test]
    public void BoolMask_TimesAFloatTensor_GivesTheFloatDType()
    {
        // torch.tensor([True, False]) * torch.tensor([3., 4.]) -> tensor([3., 0.])
        var y = B8(true, false) * Tensor.FromArray(new[] { 3f, 4f });
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 3f, 0f }));
    }

    [Test]
    public void AFloatOperandThatRequiresGrad_GetsItsGradientThroughThePromotedOp()
    {
        // w.grad of sum(ids * w + ids - w / ids) is ids + 0 - 1/ids: [2 - 1/2, 3 - 1/3]
        var ids = I64(2, 3);
        var w = Tensor.FromArray(new[] { 0.5, -1.5 }).RequireGrad();
        var loss = Ops.Sum(ids * w + ids - w / ids);
        loss.Backward();
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2 - 0.5, 3 - 1 / 3.0 }).Within(1e-15));
        Assert.That(ids.RequiresGrad, Is.False);
    }

    [Test]
    public void Backward_ThroughPromotedOps_MatchesCentralDifferences_Float64()
    {
        var ids = Tensor.FromArray(new long[] { 2, -3, 5, 1, 4, 7 }, 2, 3);
        var mask = Tensor.FromArray(new[] { true, false, true });
        GradCheck.Assert(t => (ids * t[0] - ids + t[0] / ids) * mask + (ids - t[1]) / (mask + t[1]),
            [Leaf(31, 2, 3), Tensor.FromArray(new[] { 1.5, 2.5, 3.5 }).RequireGrad()], "promoted Add/Sub/Mul/Div");
        GradCheck.AssertSecondOrder(t => ids * t[0] * t[0] / ids.Sum(), [Leaf(32, 2, 3)], "promoted Mul/Div");
    }

    [Test]
    public void Float32WithFloat64_IsStillRefused_NamingBothDTypes()
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = Tensor.Zeros(2) + Tensor.Zeros([2], DType.Float64))!;
        Assert.That(ex.Message, Does.StartWith("Add:").And.Contain("Float32").And.Contain("Float64"));
    }

    // ---- constants --------------------------------------------------------------------------------------------------

    [Test]
    public void IntegerConstants_KeepInt64_AndDoubleConstants_GiveFloat32_AsPythonNumbersInPyTorch()
    {
        // torch: x = torch.tensor([1, 2]); (x + 1, x * 2, 1 - x) are int64; (x * 0.5, x + 1.0) are float32
        var x = I64(1, 2);
        Assert.That(((x + 1).DType, (x * 2).DType, (1 - x).DType, (2 * x).DType), Is.EqualTo((DType.Int64, DType.Int64, DType.Int64, DType.Int64)));
        Assert.That((x + 1).ToInt64Array(), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That((1 - x).ToInt64Array(), Is.EqualTo(new long[] { 0, -1 }));
        Assert.That((x - long.MaxValue).ToInt64Array(), Is.EqualTo(new[] { 1 - long.MaxValue, 2 - long.MaxValue }));   // exact
        Assert.That((x * 0.5).DType, Is.EqualTo(DType.Float32));
        Assert.That((x * 0.5).ToArray(), Is.EqualTo(new[] { 0.5f, 1f }));
        Assert.That((x + 1.0).DType, Is.EqualTo(DType.Float32));
        Assert.That((x / 2).DType, Is.EqualTo(DType.Float32));
        // torch: torch.tensor([True, False]) + 1 -> int64 [2, 1]; * 1.5 -> float32 [1.5, 0]
        Assert.That((B8(true, false) + 1).ToInt64Array(), Is.EqualTo(new long[] { 2, 1 }));
        Assert.That((B8(true, false) * 1.5).ToArray(), Is.EqualTo(new[] { 1.5f, 0f }));
    }

    [Test]
    public void Constants_KeepAFloatTensorsDType()
    {
        var f32 = Tensor.FromArray(new[] { 1f, 2f });
        var f64 = Tensor.FromArray(new[] { 1.0, 2.0 });
        Assert.That(((f32 + 1).DType, (f32 * 0.5).DType, (2 - f32).DType), Is.EqualTo((DType.Float32, DType.Float32, DType.Float32)));
        Assert.That(((f64 + 1).DType, (f64 * 0.5).DType, (1 / f64).DType), Is.EqualTo((DType.Float64, DType.Float64, DType.Float64)));
        Assert.That((f32 / 2).ToArray(), Is.EqualTo(new[] { 0.5f, 1f }));
    }

    // ---- Bool with Bool ---------------------------------------------------------------------------------------------

    [Test]
    public void Bool_AddIsOr_MulIsAnd_DivIsFloat32_AsPyTorch()
    {
        // torch: a = torch.tensor([True, True, False, False]); b = torch.tensor([True, False, True, False])
        // a + b -> [T, T, T, F] (bool); a * b -> [T, F, F, F] (bool); a / b -> [1, inf, 0, nan] (float32); a + 1 -> int64
        var a = B8(true, true, false, false);
        var b = B8(true, false, true, false);
        Assert.That((a + b).DType, Is.EqualTo(DType.Bool));
        Assert.That((a + b).ToBoolArray(), Is.EqualTo(new[] { true, true, true, false }));
        Assert.That((a * b).ToBoolArray(), Is.EqualTo(new[] { true, false, false, false }));
        var q = a / b;
        Assert.That(q.DType, Is.EqualTo(DType.Float32));
        Assert.That(q.ToArray(), Is.EqualTo(new[] { 1f, float.PositiveInfinity, 0f, float.NaN }));
        Assert.That((a + I64(1, 1, 1, 1)).ToInt64Array(), Is.EqualTo(new long[] { 2, 2, 1, 1 }));
        Assert.That((a + I64(1, 1, 1, 1)).DType, Is.EqualTo(DType.Int64));
    }

    [Test]
    public void Sub_OfTwoBoolTensors_Throws_AsPyTorch()
    {
        // torch: "Subtraction, the `-` operator, with two bool tensors is not supported."
        AssertThrows<ArgumentException>(() => _ = B8(true) - B8(false), "Sub", "Bool", "Ne(a, b)");
    }

    [Test]
    public void Neg_OfABoolTensor_Throws_AsPyTorch()
    {
        AssertThrows<ArgumentException>(() => _ = -B8(true), "Neg", "Bool", "LogicalNot");
    }

    [Test]
    public void IntegerArithmetic_Throws_WhenShapesCannotBeBroadcast()
    {
        AssertThrows<ArgumentException>(() => _ = I64(1, 2) + I64(1, 2, 3), "Add", "[2]", "[3]");
        AssertThrows<ArgumentException>(() => _ = B8(true, false) * B8(true, false, true), "Mul", "[2]", "[3]");
    }

    // ---- reductions -------------------------------------------------------------------------------------------------

    [Test]
    public void Sum_OfInt64_IsInt64_Exactly()
    {
        // torch.tensor([2**53, 1, 1]).sum() -> 2**53 + 2 (int64); over a dim, keepdim
        Assert.That(Ops.Sum(I64(1L << 53, 1, 1)).ItemInt64(), Is.EqualTo((1L << 53) + 2));
        Assert.That(Ops.Sum(I64(1L << 53, 1, 1)).DType, Is.EqualTo(DType.Int64));
        var x = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.That(Ops.Sum(x, 0).ToInt64Array(), Is.EqualTo(new long[] { 5, 7, 9 }));
        var rows = Ops.Sum(x, -1, keepDim: true);
        Assert.That((rows.DType, rows.Shape), Is.EqualTo((DType.Int64, new Shape(2, 1))));
        Assert.That(rows.ToInt64Array(), Is.EqualTo(new long[] { 6, 15 }));
        Assert.That(Ops.Sum(Tensor.Zeros([0], DType.Int64)).ItemInt64(), Is.EqualTo(0));
    }

    [Test]
    public void Sum_OfBool_CountsTheTrueElements_AsInt64()
    {
        // (torch.tensor([1., -2., 3.]) > 0).sum() -> tensor(2) (int64)
        var count = (Tensor.FromArray(new[] { 1f, -2f, 3f }) > 0).Sum();
        Assert.That((count.DType, count.ItemInt64()), Is.EqualTo((DType.Int64, 2L)));
        var mask = Tensor.FromArray(new[] { true, false, true, true }, 2, 2);
        Assert.That(Ops.Sum(mask, 1).ToInt64Array(), Is.EqualTo(new long[] { 1, 2 }));
    }

    [Test]
    public void Sum_OfInt64_Throws_ForABadDim_NamingTheOp() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Sum(I64(1, 2), 1), "Sum", "dim 1");

    [Test]
    public void Mean_OfInt64_IsRefused_AsPyTorch()
    {
        // torch.tensor([1, 2]).mean() -> RuntimeError: mean(): could not infer output dtype ... Got: Long
        AssertThrows<ArgumentException>(() => Ops.Mean(I64(1, 2)), "Mean", "Int64", "floating-point");
    }

    [Test]
    public void MaxMinArgmax_OfInt64_AreExact_AndNotRecorded()
    {
        // torch.tensor([[2**53, 2**53 + 1], [-5, 7]]): max() = 2**53 + 1, min() = -5, max(dim=0).values = [2**53, 2**53 + 1],
        // argmax(dim=1) = [1, 1]; a path through double would tie 2**53 + 1 with 2**53.
        long big = 1L << 53;
        var x = Tensor.FromArray(new[] { big, big + 1, -5, 7 }, 2, 2);
        var max = Ops.Max(x);
        Assert.That((max.DType, max.ItemInt64(), max.RequiresGrad), Is.EqualTo((DType.Int64, big + 1, false)));
        Assert.That(Ops.Min(x).ItemInt64(), Is.EqualTo(-5));
        Assert.That(Ops.Max(x, 0).ToInt64Array(), Is.EqualTo(new[] { big, big + 1 }));
        Assert.That(Ops.Min(x, 1, keepDim: true).ToInt64Array(), Is.EqualTo(new[] { big, -5 }));
        Assert.That(Ops.Argmax(x, 1).ToInt64Array(), Is.EqualTo(new long[] { 1, 1 }));
        Assert.That(Ops.Argmax(I64(3, 9, 9), 0).ItemInt64(), Is.EqualTo(1));                // the first on ties
        Assert.That(Ops.ArgmaxIndices(x, 0), Is.EqualTo(new[] { 0, 0 }));
    }

    [Test]
    public void MaxMinArgmax_OfBool_Throw_NamingTheOpAndTheDType()
    {
        var mask = B8(true, false);
        AssertThrows<ArgumentException>(() => Ops.Max(mask), "Max", "Bool", "To(DType.Int64)");
        AssertThrows<ArgumentException>(() => Ops.Min(mask, 0), "Min", "Bool");
        AssertThrows<ArgumentException>(() => Ops.Argmax(mask, 0), "Argmax", "Bool");
        AssertThrows<ArgumentException>(() => Ops.Max(Tensor.Zeros([0], DType.Int64)), "Max", "empty");
    }
}
