using Autodiff;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>Int64 and Bool tensors: factories, accessors, printing, conversions (PyTorch's rules, hand-derived values),
/// the refusal to require grad, and comparison operators. Bool masks in Where and MaskedFill are tested in WhereTests and MaskedFillTests.</summary>
public class Int64AndBoolTensorTests
{
    [Test]
    public void DType_KeepsTheFloatValues_AndAppendsTheNewOnes()
    {
        Assert.That(((int)DType.Float32, (int)DType.Float64, (int)DType.Int64, (int)DType.Bool), Is.EqualTo((0, 1, 2, 3)));
    }

    [Test]
    public void FromArray_OfLongsAndBools_CopiesValuesAndShape()
    {
        long[] ids = [3, -1, long.MaxValue, 0, 7, 8];
        var t = Tensor.FromArray(ids, 2, 3);
        ids[0] = 99;                                                                      // a copy
        Assert.That((t.DType, t.Shape, t.IsFloatingPoint), Is.EqualTo((DType.Int64, new Shape(2, 3), false)));
        Assert.That(t.ToInt64Array(), Is.EqualTo(new[] { 3, -1, long.MaxValue, 0, 7, 8 }));
        Assert.That((t[0, 1], t[1, 2]), Is.EqualTo((-1.0, 8.0)));

        var m = Tensor.FromArray(new[] { true, false, true });
        Assert.That((m.DType, m.Shape), Is.EqualTo((DType.Bool, new Shape(3))));
        Assert.That(m.ToBoolArray(), Is.EqualTo(new[] { true, false, true }));
        Assert.That((m[0], m[1]), Is.EqualTo((1.0, 0.0)));
        Assert.That(m.ToArray(), Is.EqualTo(new[] { 1f, 0f, 1f }));
    }

    [Test]
    public void FromArray_Throws_WhenTheShapeDoesNotFit()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2, 3 }, 2, 2))!;
        Assert.That(ex.Message, Does.StartWith("FromArray:").And.Contain("[2, 2]"));
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new bool[] { true }, 2));
    }

    [Test]
    public void ZerosOnesFull_MakeInt64AndBoolTensors()
    {
        Assert.That(Tensor.Zeros([2], DType.Int64).ToInt64Array(), Is.EqualTo(new long[] { 0, 0 }));
        Assert.That(Tensor.Ones([2], DType.Int64).ToInt64Array(), Is.EqualTo(new long[] { 1, 1 }));
        Assert.That(Tensor.Full([2], -2.7, DType.Int64).ToInt64Array(), Is.EqualTo(new long[] { -2, -2 }), "truncated toward zero");
        Assert.That(Tensor.Zeros([2], DType.Bool).ToBoolArray(), Is.EqualTo(new[] { false, false }));
        Assert.That(Tensor.Ones([2], DType.Bool).ToBoolArray(), Is.EqualTo(new[] { true, true }));
        Assert.That(Tensor.ZerosLike(Tensor.FromArray(new long[] { 5 })).DType, Is.EqualTo(DType.Int64));
        Assert.That(Tensor.Scalar(4, DType.Int64).ItemInt64(), Is.EqualTo(4));
    }

    [Test]
    public void Arange_AndRandInt_GiveInt64OnRequest()
    {
        var r = Tensor.Arange(5, DType.Int64);
        Assert.That((r.DType, r.ToInt64Array()), Is.EqualTo((DType.Int64, new long[] { 0, 1, 2, 3, 4 })));
        Assert.That(Tensor.Arange(2, 9, 3, DType.Int64).ToInt64Array(), Is.EqualTo(new long[] { 2, 5, 8 }));
        Assert.That(Tensor.Arange(5).DType, Is.EqualTo(DType.Float32), "the default stays Float32");
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Arange(0.5, 3, 1, DType.Int64))!;
        Assert.That(ex.Message, Does.StartWith("Arange:").And.Contain("whole"));

        var ints = Tensor.RandInt(-3, 4, [200], new Generator(1), DType.Int64);
        Assert.That(ints.DType, Is.EqualTo(DType.Int64));
        Assert.That(ints.ToInt64Array(), Is.All.InRange(-3L, 3L));
        Assert.That(ints.ToInt64Array().Distinct().Count(), Is.EqualTo(7));
        var big = Tensor.RandInt(1L << 60, [4], new Generator(2), DType.Int64);                    // beyond ±2⁵³: fine for Int64
        Assert.That(big.ToInt64Array(), Is.All.InRange(0L, (1L << 60) - 1));
    }

    [Test]
    public void RealSamplers_RefuseIntegerDTypes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Randn([2], seed: 0, DType.Int64))!;
        Assert.That(ex.Message, Does.StartWith("Randn:").And.Contain("Int64"));
        Assert.That(Assert.Throws<ArgumentException>(() => Tensor.Rand([2], seed: 0, DType.Bool))!.Message, Does.StartWith("Rand:").And.Contain("Bool"));
    }

    [Test]
    public void ItemInt64_ReadsOneElement_TruncatingFloats()
    {
        Assert.That(Tensor.FromArray(new long[] { -9 }).ItemInt64(), Is.EqualTo(-9));
        Assert.That(Tensor.Scalar(-2.9).ItemInt64(), Is.EqualTo(-2));
        Assert.That(Tensor.FromArray(new[] { true }).ItemInt64(), Is.EqualTo(1));
        Assert.That(Tensor.FromArray(new long[] { 1L << 40 }).ItemDouble(), Is.EqualTo(Math.Pow(2, 40)));
        Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }).ItemInt64());
    }

    [Test]
    public void ToString_PrintsIntsAndTrueFalse_WithTheDType()
    {
        Assert.That(Tensor.FromArray(new long[] { 1, -2, 3, 4 }, 2, 2).ToString(),
            Is.EqualTo("tensor([[1, -2], [3, 4]], shape=[2, 2], dtype=Int64)"));
        Assert.That(Tensor.FromArray(new[] { true, false }).ToString(), Is.EqualTo("tensor([True, False], shape=[2], dtype=Bool)"));
        Assert.That(Tensor.FromArray(new[] { 1f }).ToString(), Does.Not.Contain("dtype"), "Float32 stays unmarked");
    }

    [Test]
    public void RequiresGrad_Throws_ForInt64AndBool()
    {
        var ids = Tensor.FromArray(new long[] { 1, 2 });
        var ex = Assert.Throws<InvalidOperationException>(() => ids.RequiresGrad = true)!;
        Assert.That(ex.Message, Does.StartWith("RequiresGrad:").And.Contain("only floating-point tensors can require gradients").And.Contain("Int64"));
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new[] { true }).RequireGrad());
        ids.RequiresGrad = false;                                                          // allowed: nothing changes
        Assert.That(ids.RequiresGrad, Is.False);
    }

    [Test]
    public void To_ConvertsBetweenAllFourDTypes_AsPyTorch()
    {
        var x = Tensor.FromArray(new[] { -2.7f, -0.5f, 0f, 0.5f, 2.7f, float.NaN });
        Assert.That(x.To(DType.Int64).ToInt64Array(), Is.EqualTo(new long[] { -2, 0, 0, 0, 2, 0 }), "truncated toward zero");
        Assert.That(x.To(DType.Bool).ToBoolArray(), Is.EqualTo(new[] { true, true, false, true, true, true }), "non-zero (and NaN) is true");
        var ids = Tensor.FromArray(new long[] { -3, 0, 5 });
        Assert.That(ids.To(DType.Float32).ToArray(), Is.EqualTo(new[] { -3f, 0f, 5f }));
        Assert.That(ids.To(DType.Float64).ToDoubleArray(), Is.EqualTo(new[] { -3.0, 0, 5 }));
        Assert.That(ids.To(DType.Bool).ToBoolArray(), Is.EqualTo(new[] { true, false, true }));
        var mask = Tensor.FromArray(new[] { true, false });
        Assert.That(mask.To(DType.Int64).ToInt64Array(), Is.EqualTo(new long[] { 1, 0 }));
        Assert.That(mask.To(DType.Float64).ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0 }));
        var copy = ids.To(DType.Int64);
        Assert.That(copy, Is.Not.SameAs(ids), "a copy, even to the same dtype");
    }

    [Test]
    public void To_AnIntegerDType_IsNotRecorded_AndFloatToFloatStillIs()
    {
        var x = Tensor.FromArray(new[] { 1.5f, 2.5f }).RequireGrad();
        var ids = x.To(DType.Int64);
        Assert.That((ids.RequiresGrad, ids.IsLeaf), Is.EqualTo((false, true)));
        var back = ids.To(DType.Float32);
        Assert.That(back.RequiresGrad, Is.False);
        var d = x.To(DType.Float64);
        Assert.That(d.Creator?.Op, Is.EqualTo("To"));
        d.Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 1f, 1f }));
    }

    [Test]
    public void Copy_ConvertsIntoAnyDType()
    {
        var f = Tensor.Zeros(3);
        f.Copy_(Tensor.FromArray(new long[] { 1, -2, 3 }));
        Assert.That(f.ToArray(), Is.EqualTo(new[] { 1f, -2f, 3f }));
        var ids = Tensor.Zeros([2], DType.Int64);
        ids.Copy_(Tensor.FromArray(new[] { 2.9, -2.9 }));
        Assert.That(ids.ToInt64Array(), Is.EqualTo(new long[] { 2, -2 }));
    }

    [Test]
    public void Views_AndDetach_WorkOnInt64AndBool()
    {
        var ids = Tensor.Arange(6, DType.Int64);
        var m = ids.Reshape(2, 3).Unsqueeze(0).Squeeze(0).Flatten();
        Assert.That((m.DType, m.ToInt64Array()), Is.EqualTo((DType.Int64, new long[] { 0, 1, 2, 3, 4, 5 })));
        Assert.That(Tensor.FromArray(new[] { true, false }).Detach().ToBoolArray(), Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public void StridedViews_CopyInt64AndBool()
    {
        var ids = Tensor.Arange(6, DType.Int64).Reshape(2, 3);                             // [[0, 1, 2], [3, 4, 5]]
        Assert.That(ids.Transpose(0, 1).ToInt64Array(), Is.EqualTo(new long[] { 0, 3, 1, 4, 2, 5 }));
        Assert.That(ids.Permute(1, 0).ToInt64Array(), Is.EqualTo(new long[] { 0, 3, 1, 4, 2, 5 }));
        Assert.That(ids.Slice(1, 1, 3).ToInt64Array(), Is.EqualTo(new long[] { 1, 2, 4, 5 }));
        Assert.That(ids.Select(0, 1).ToInt64Array(), Is.EqualTo(new long[] { 3, 4, 5 }));
        Assert.That(ids.Select(1, 0).Unsqueeze(1).Expand(2, 2).ToInt64Array(), Is.EqualTo(new long[] { 0, 0, 3, 3 }));
        var mask = Tensor.FromArray(new[] { true, false, false, true }, 2, 2);
        Assert.That((mask.Transpose(0, 1).DType, mask.Transpose(0, 1).ToBoolArray()), Is.EqualTo((DType.Bool, new[] { true, false, false, true })));
        Assert.That(mask.Slice(1, 1, 2).ToBoolArray(), Is.EqualTo(new[] { false, true }));
    }

    [Test]
    public void Cat_OfInt64_IsNotSupportedYet_AndSaysSo()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.Cat([Tensor.Arange(2, DType.Int64), Tensor.Arange(2, DType.Int64)]))!;
        Assert.That(ex.Message, Does.StartWith("Cat:").And.Contain("Int64"));
    }

    [Test]
    public void FloatOps_RefuseIntegerTensors_NamingTheOpAndTheDType()
    {
        var ids = Tensor.FromArray(new long[] { 1, 2 });
        ids.Name = "ids";
        var ex = Assert.Throws<ArgumentException>(() => Ops.Exp(ids))!;
        Assert.That(ex.Message, Is.EqualTo("Exp: x (ids[2]) is Int64, but Exp needs a floating-point tensor (Float32 or Float64); " +
            "convert it with To(DType.Float32). (Parameter 'x')"));
        ex = Assert.Throws<ArgumentException>(() => _ = Ops.MatMul(Tensor.Ones(2, 2), ids))!;   // (Add promotes: TypePromotionTests)
        Assert.That(ex.Message, Does.StartWith("MatMul:").And.Contain("ids[2]").And.Contain("Int64"));
        Assert.That(Ops.Exp(ids.To(DType.Float32)).ToArray()[0], Is.EqualTo(MathF.E).Within(1e-6));
    }

    [Test]
    public void Comparisons_InADisposeScope_AreOwnedByIt()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f });
        Tensor mask;
        using (Tensor.NewDisposeScope()) mask = x > 1.5;
        Assert.That(mask.IsDisposed, Is.True);
        using var scope = Tensor.NewDisposeScope();
        var kept = (x > 1.5).MoveToOuterScope();
        scope.Dispose();
        Assert.That(kept.ToBoolArray(), Is.EqualTo(new[] { false, true }));
    }

    [Test]
    public void Operators_ComparingAgainstANumber_OnEitherSide()
    {
        var x = Tensor.FromArray(new[] { -1f, 0f, 1f });
        Assert.That((x > 0).ToBoolArray(), Is.EqualTo(new[] { false, false, true }));
        Assert.That((0 < x).ToBoolArray(), Is.EqualTo(new[] { false, false, true }));
        Assert.That((x <= 0).ToBoolArray(), Is.EqualTo(new[] { true, true, false }));
        Assert.That((0 >= x).ToBoolArray(), Is.EqualTo(new[] { true, true, false }));
        var same = x;
        Assert.That((x >= same).ToBoolArray(), Is.EqualTo(new[] { true, true, true }));
        Assert.That(x == same, Is.True, "== stays reference equality");
        Assert.That(x == x.Detach(), Is.False);
    }
}
