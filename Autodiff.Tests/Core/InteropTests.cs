using Autodiff;
using Autodiff.Memory;
using static Autodiff.Tests.TestHelpers;
using NumericsTensor = System.Numerics.Tensors.Tensor;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>Tensor.Interop.cs: zero-copy Memory/ReadOnlySpan views, wrapping a caller's array, and conversion to and
/// from System.Numerics.Tensors.Tensor&lt;T&gt;; and that no buffer seen outside the library goes to the pool.</summary>
public class InteropTests
{
    private const int Big = BufferPool.MinimumLength * 4;     // pooled size

    // ---- Memory and ReadOnlySpan ----------------------------------------------------------------------------------

    [Test]
    public void AsMemory_SharesTheBufferBothWays()
    {
        var t = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var memory = t.AsMemory();
        Assert.That(memory.Length, Is.EqualTo(4));
        memory.Span[3] = 40f;
        Assert.That(t[1, 1], Is.EqualTo(40.0));
        t.AsSpan()[0] = 10f;
        Assert.That(memory.Span[0], Is.EqualTo(10f));
    }

    [Test]
    public void AsMemory_CountsAsAModification()
    {
        var t = Tensor.Ones(3);
        int before = t.Version;
        _ = t.AsMemory();
        Assert.That(t.Version, Is.EqualTo(before + 1));
    }

    [Test]
    public void AsMemory_KeepsTheBufferOutOfThePool_AfterDispose()
    {
        var t = Ops.Exp(Tensor.Zeros(Big));                     // a pooled buffer of ones
        var memory = t.AsMemory();
        long before = BufferPool.HeldBytes;
        t.Dispose();
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(before), "a buffer someone holds as Memory is not pooled");
        using (Tensor.NewDisposeScope()) _ = Ops.Neg(Tensor.Ones(Big));   // would take a pooled buffer of this size
        Assert.That(memory.ToArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void AsMemory_OfAView_KeepsTheSharedBufferOutOfThePool()
    {
        var t = Ops.Exp(Tensor.Zeros(Big));
        var view = t.Reshape(32, Big / 32);
        _ = view.AsMemory();
        long before = BufferPool.HeldBytes;
        view.Dispose();
        t.Dispose();
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(before));
    }

    [Test]
    public void AsReadOnlySpan_ReadsWithoutCountingAModification()
    {
        var t = Tensor.FromArray([1f, 2f, 3f]);
        int before = t.Version;
        Assert.That(t.AsReadOnlySpan().ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f }));
        Assert.That(t.Version, Is.EqualTo(before));
    }

    [Test]
    public void AsReadOnlySpan_DoesNotBreakBackward()
    {
        var x = Tensor.FromArray([1f, 2f, 3f]).RequireGrad();
        var y = Ops.Mul(x, x).Sum();
        float first = x.AsReadOnlySpan()[0];                     // AsSpan here would make Backward refuse
        y.Backward();
        Assert.That(first, Is.EqualTo(1f));
        Assert.That(x.Grad!.ToArray(), Is.EqualTo(new[] { 2f, 4f, 6f }));
    }

    [Test]
    public void DoubleViews_ShareTheFloat64Buffer()
    {
        var t = Tensor.FromArray([1.0, 2.0]);
        t.AsDoubleMemory().Span[1] = 5.0;
        Assert.That(t.AsReadOnlyDoubleSpan().ToArray(), Is.EqualTo(new[] { 1.0, 5.0 }));
    }

    [Test]
    public void Views_ThrowForTheOtherDType()
    {
        var f32 = Tensor.Ones(2);
        var f64 = Tensor.Ones([2], DType.Float64);
        AssertThrows<InvalidOperationException>(() => f64.AsMemory(), "Tensor", "Float64", "not Float32");
        AssertThrows<InvalidOperationException>(() => f64.AsReadOnlySpan(), "Tensor", "Float64");
        AssertThrows<InvalidOperationException>(() => f32.AsDoubleMemory(), "Tensor", "Float32", "not Float64");
        AssertThrows<InvalidOperationException>(() => f32.AsReadOnlyDoubleSpan(), "Tensor", "Float32");
    }

    [Test]
    public void Views_ThrowAfterDispose()
    {
        var t = Tensor.Ones(2);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.AsMemory());
        Assert.Throws<ObjectDisposedException>(() => t.AsReadOnlySpan());
        Assert.Throws<ObjectDisposedException>(() => t.ToNumericsTensor());
    }

    // ---- FromMemory ---------------------------------------------------------------------------------------------

    [Test]
    public void FromMemory_SharesTheCallersArray()
    {
        var data = new[] { 1f, 2f, 3f, 4f, 5f, 6f };
        var t = Tensor.FromMemory(data, 2, 3);
        Assert.That((t.Shape.ToString(), t.DType), Is.EqualTo(("[2, 3]", DType.Float32)));
        data[5] = 60f;
        Assert.That(t[1, 2], Is.EqualTo(60.0));
        t.AsSpan()[0] = 10f;
        Assert.That(data[0], Is.EqualTo(10f));
    }

    [Test]
    public void FromMemory_WithoutShape_IsOneDimensional()
    {
        Assert.That(Tensor.FromMemory(new double[5]).Shape.ToString(), Is.EqualTo("[5]"));
    }

    [Test]
    public void FromMemory_AcceptsAPrefixOfALongerArray()
    {
        var data = new[] { 1f, 2f, 3f, 4f };
        var t = Tensor.FromMemory(data.AsMemory(0, 2));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void FromMemory_Dispose_NeverGivesTheCallersArrayToThePool()
    {
        var data = new float[Big];
        var t = Tensor.FromMemory(data);
        var view = t.Reshape(Big / 4, 4);
        long before = BufferPool.HeldBytes;
        view.Dispose();
        t.Dispose();
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(before));
        using (Tensor.NewDisposeScope()) _ = Ops.Exp(Tensor.Zeros(Big));   // a pooled buffer would be written with ones
        Assert.That(data, Is.All.EqualTo(0f));
    }

    [Test]
    public void FromMemory_TrainsLikeAnyLeaf()
    {
        var w = Tensor.FromMemory(new[] { 3.0 }).RequireGrad();
        Ops.Mul(w, w).Sum().Backward();
        Assert.That(w.Grad!.ItemDouble(), Is.EqualTo(6.0));
    }

    [Test]
    public void FromMemory_Throws_WhenLengthDoesNotMatchShape()
    {
        AssertThrows<ArgumentException>(() => Tensor.FromMemory(new float[5], 2, 3), "FromMemory", "5", "[2, 3]");
        AssertThrows<ArgumentException>(() => Tensor.FromMemory(new float[6], 2, -3), "FromMemory", "negative");
    }

    [Test]
    public void FromMemory_Throws_WhenMemoryDoesNotStartAtTheArraysFirstElement()
    {
        var data = new float[6];
        AssertThrows<ArgumentException>(() => Tensor.FromMemory(data.AsMemory(2, 4), 2, 2), "FromMemory", "index 2", "Tensor.FromArray(memory.ToArray(), shape)");
    }

    [Test]
    public void FromMemory_OfEmptyMemory_IsAnEmptyTensor()
    {
        Assert.That(Tensor.FromMemory(Memory<float>.Empty, 0, 3).Shape.ToString(), Is.EqualTo("[0, 3]"));
    }

    // ---- System.Numerics.Tensors --------------------------------------------------------------------------------

    [Test]
    public void ToNumericsTensor_HasTheShapeAndSharesTheBuffer()
    {
        var t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        var n = t.ToNumericsTensor();
        Assert.That(n.Lengths.ToArray(), Is.EqualTo(new nint[] { 2, 3 }));
        Assert.That(n.Strides.ToArray(), Is.EqualTo(new nint[] { 3, 1 }));
        Assert.That(n.IsDense, Is.True);
        Assert.That(n[1, 2], Is.EqualTo(6f));
        n[0, 1] = 20f;
        Assert.That(t[0, 1], Is.EqualTo(20.0));
    }

    [Test]
    public void ToNumericsTensor_OfAScalar_HasShapeOne()
    {
        var n = Tensor.Scalar(2.5).ToNumericsTensor();
        Assert.That(n.Lengths.ToArray(), Is.EqualTo(new nint[] { 1 }));
        Assert.That(n[0], Is.EqualTo(2.5f));
    }

    [Test]
    public void ToNumericsTensor_OfAnEmptyTensor_IsEmpty()
    {
        var n = Tensor.Zeros(2, 0).ToNumericsTensor();
        Assert.That((n.IsEmpty, n.Lengths.ToArray()), Is.EqualTo((true, new nint[] { 2, 0 })));
    }

    [Test]
    public void ToNumericsTensor_KeepsTheBufferOutOfThePool()
    {
        var t = Ops.Exp(Tensor.Zeros(Big));
        var n = t.ToNumericsTensor();
        long before = BufferPool.HeldBytes;
        t.Dispose();
        Assert.That(BufferPool.HeldBytes, Is.EqualTo(before));
        Assert.That(n[Big - 1], Is.EqualTo(1f));
    }

    [Test]
    public void ToNumericsDoubleTensor_ConvertsFloat64()
    {
        var n = Seq(2, 2).ToNumericsDoubleTensor();
        Assert.That(n[1, 0], Is.EqualTo(2.0));
        AssertThrows<InvalidOperationException>(() => Seq(2).ToNumericsTensor(), "Tensor", "Float64", "not Float32");
        AssertThrows<InvalidOperationException>(() => Tensor.Ones(2).ToNumericsDoubleTensor(), "Tensor", "Float32", "not Float64");
    }

    [Test]
    public void FromNumericsTensor_CopiesADenseTensor()
    {
        var data = new[] { 1f, 2f, 3f, 4f, 5f, 6f };
        var t = Tensor.FromNumericsTensor(NumericsTensor.Create(data, [3, 2]));
        Assert.That((t.Shape.ToString(), t.DType), Is.EqualTo(("[3, 2]", DType.Float32)));
        Assert.That(t.ToArray(), Is.EqualTo(data));
        data[0] = 99f;
        Assert.That(t[0, 0], Is.EqualTo(1.0), "a copy");
    }

    [Test]
    public void FromNumericsTensor_FollowsStrides_ForATranspose()
    {
        var data = new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 };              // [2, 3] row-major
        var transposed = NumericsTensor.Create(data, 0, [3, 2], [1, 3]);
        var t = Tensor.FromNumericsTensor(transposed);
        Assert.That(t.DType, Is.EqualTo(DType.Float64));
        Assert.That(t.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 4.0, 2.0, 5.0, 3.0, 6.0 }));
    }

    [Test]
    public void FromNumericsTensor_FollowsStrides_ForASliceAndABroadcast()
    {
        var dense = NumericsTensor.Create(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, [2, 3]);
        var slice = dense.Slice([0..2, 1..3]);                             // columns 1 and 2
        Assert.That(Tensor.FromNumericsTensor(slice).ToArray(), Is.EqualTo(new[] { 2f, 3f, 5f, 6f }));
        var broadcast = NumericsTensor.Create(new[] { 7f, 8f }, 0, [3, 2], [0, 1]);
        Assert.That(Tensor.FromNumericsTensor(broadcast).ToArray(), Is.EqualTo(new[] { 7f, 8f, 7f, 8f, 7f, 8f }));
    }

    [Test]
    public void NumericsTensor_RoundTrip_KeepsValuesAndShape()
    {
        var t = Tensor.Randn([2, 3, 4], seed: 1);
        var back = Tensor.FromNumericsTensor(t.ToNumericsTensor());
        Assert.That((back.Shape, back.ToArray()), Is.EqualTo((t.Shape, t.ToArray())));
        Assert.That(back.SharesBufferWith(t), Is.False);
    }

    [Test]
    public void FromNumericsTensor_Throws_WhenADimensionIsTooLargeForAnArray()
    {
        var huge = NumericsTensor.Create(new[] { 1f }, 0, [unchecked((nint)int.MaxValue + 1)], [0]);
        AssertThrows<ArgumentException>(() => Tensor.FromNumericsTensor(huge), "FromNumericsTensor", "2147483648");
        var tooMany = NumericsTensor.Create(new[] { 1f }, 0, [70_000, 70_000], [0, 0]);
        AssertThrows<ArgumentException>(() => Tensor.FromNumericsTensor(tooMany), "FromNumericsTensor", "[70000, 70000]");
        Assert.Throws<ArgumentNullException>(() => Tensor.FromNumericsTensor((System.Numerics.Tensors.Tensor<float>)null!));
    }
}
