using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

public class TensorTests
{
    [Test]
    public void FromArray_KeepsValuesAndShape()
    {
        var t = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.That(t.Shape.ToString(), Is.EqualTo("[2, 3]"));
        Assert.That(t.Rank, Is.EqualTo(2));
        Assert.That(t.Numel, Is.EqualTo(6));
        Assert.That(t.DType, Is.EqualTo(DType.Float32));
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
        Assert.That(t[1, 2], Is.EqualTo(6.0));
    }

    [Test]
    public void FromArray_CopiesTheCallersArray()
    {
        var data = new[] { 1f, 2f };
        var t = Tensor.FromArray(data, 2);
        data[0] = 99f;
        Assert.That(t.ToArray()[0], Is.EqualTo(1f));
    }

    [Test]
    public void FromArray_WithoutShape_IsOneDimensional()
    {
        Assert.That(Tensor.FromArray([1.0, 2.0, 3.0]).Shape.ToString(), Is.EqualTo("[3]"));
    }

    [Test]
    public void FromArray_Throws_WhenLengthDoesNotMatchShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f, 3f], 2, 2));
        Assert.That(ex!.Message, Does.Contain("FromArray").And.Contain("[2, 2]").And.Contain("3 elements"));
    }

    [Test]
    public void FromArray_Throws_WhenDimIsNegative()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray([1f, 2f], -1, -2));
        Assert.That(ex!.Message, Does.Contain("FromArray").And.Contain("[-1, -2]"));
        Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -3));
    }

    [Test]
    public void Item_ReturnsTheOnlyValue_AndThrowsOtherwise()
    {
        Assert.That(Tensor.Scalar(2.5).Item(), Is.EqualTo(2.5f));
        Assert.That(Tensor.FromArray([7.0], 1, 1).ItemDouble(), Is.EqualTo(7.0));
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3).Item());
        Assert.That(ex!.Message, Does.Contain("Item").And.Contain("[2, 3]"));
    }

    [Test]
    public void Indexer_Throws_WhenOutOfRange()
    {
        var t = Tensor.Zeros(2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = t[2, 0]);
        Assert.Throws<ArgumentException>(() => _ = t[1]);
    }

    [Test]
    public void Factories_FillAsPyTorch()
    {
        Assert.That(Tensor.Zeros(2, 2).ToArray(), Is.All.EqualTo(0f));
        Assert.That(Tensor.Ones([3], DType.Float64).ToDoubleArray(), Is.All.EqualTo(1.0));
        Assert.That(Tensor.Full([2], 4.5).ToArray(), Is.EqualTo(new[] { 4.5f, 4.5f }));
        Assert.That(Tensor.Arange(4).ToArray(), Is.EqualTo(new[] { 0f, 1f, 2f, 3f }));             // torch.arange(4)
        Assert.That(Tensor.Arange(1, 2, 0.25).ToArray(), Is.EqualTo(new[] { 1f, 1.25f, 1.5f, 1.75f })); // torch.arange(1, 2, 0.25)
        Assert.That(Tensor.Arange(3, 0, -1).ToArray(), Is.EqualTo(new[] { 3f, 2f, 1f }));
    }

    [Test]
    public void Arange_Throws_WhenStepIsZeroOrPointsAway()
    {
        Assert.That(() => Tensor.Arange(0, 1, 0), Throws.ArgumentException.With.Message.Contains("Arange"));
        Assert.That(() => Tensor.Arange(0, 1, -1), Throws.ArgumentException.With.Message.Contains("Arange"));
    }

    [Test]
    public void Rand_IsReproducibleFromASeed_AndInUnitInterval()
    {
        var a = Tensor.Rand([1000], seed: 7).ToArray();
        var b = Tensor.Rand([1000], seed: 7).ToArray();
        var c = Tensor.Rand([1000], seed: 8).ToArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        Assert.That(a, Is.All.GreaterThanOrEqualTo(0f).And.All.LessThan(1f));
    }

    [Test]
    public void Randn_HasUnitVarianceAndZeroMean()
    {
        var x = Tensor.Randn([20000], seed: 3, DType.Float64).ToDoubleArray();
        double mean = x.Average();
        double variance = x.Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.03));
        Assert.That(variance, Is.EqualTo(1).Within(0.05));
    }

    [Test]
    public void ToString_ShowsValuesShapeAndOp()
    {
        var x = Tensor.FromArray([1f, 2f], 2).RequireGrad();
        Assert.That(x.ToString(), Is.EqualTo("tensor([1, 2], shape=[2], requiresGrad=true)"));
        Assert.That((x * x).ToString(), Does.Contain("op=Mul"));
        Assert.That(Tensor.Arange(10).ToString(), Does.Contain("..."));
    }

    [Test]
    public void Grad_Throws_WhenAssignedAnotherShape()
    {
        var x = Tensor.Zeros(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => x.Grad = Tensor.Zeros(3, 2));
        Assert.That(ex!.Message, Does.Contain("[3, 2]").And.Contain("[2, 3]"));
    }

    [Test]
    public void Detach_SharesValuesButIsCutFromTheTape()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = (x * 3.0).Detach();
        Assert.That(y.RequiresGrad, Is.False);
        Assert.That(y.IsLeaf, Is.True);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 6.0 }));
        var z = (y * x).Sum();
        z.Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 6.0 }));   // y treated as a constant
    }

    [Test]
    public void RequiresGrad_CannotBeTurnedOffOnANonLeaf()
    {
        var x = Tensor.FromArray([1.0]).RequireGrad();
        var y = x * 2.0;
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
    }

    [Test]
    public void Shape_EqualityAndBroadcast()
    {
        Assert.That(new Shape(2, 3), Is.EqualTo(new Shape(2, 3)));
        Assert.That(new Shape(2, 3) == new Shape(3, 2), Is.False);
        Assert.That(Shape.TryBroadcast(new Shape(4, 1, 3), new Shape(2, 3))!.ToString(), Is.EqualTo("[4, 2, 3]"));
        Assert.That(Shape.TryBroadcast(new Shape(2, 3), new Shape(4)), Is.Null);
        Assert.That(Shape.Scalar.ToString(), Is.EqualTo("[]"));
        Assert.That(Shape.Scalar.Numel, Is.EqualTo(1));
    }
}

public class ShapeTests
{
    [Test]
    public void Indexer_CountsNegativeFromTheEnd_AndThrowsOutOfRange()
    {
        var s = new Shape(2, 3, 4);
        Assert.That(s[-1], Is.EqualTo(4));
        Assert.That(s[0], Is.EqualTo(2));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = Shape.Scalar[-1]);
        Assert.That(ex!.Message, Does.Contain("Shape").And.Contain("[]"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = s[3]);
    }

    [Test]
    public void ShapeIndexer_TakesCSharpIndices()
    {
        var shape = new Shape(4, 5, 6);
        Assert.That((shape[^1], shape[^3], shape[0], shape[-1]), Is.EqualTo((6, 4, 4, 6)));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _ = shape[^0])!;
        Assert.That(ex.Message, Does.StartWith("Shape:").And.Contain("^0").And.Contain("[4, 5, 6]"));
    }

    [Test]
    public void Copy_OverwritesInPlace_ConvertingTheDType_AndCountsAsAModification()
    {
        var w = Tensor.Zeros(2, 2).RequireGrad();
        int version = w.Version;
        Assert.That(w.Copy_(Tensor.FromArray([1.0, 2.0, 3.0, 4.0], 2, 2)), Is.SameAs(w));
        Assert.That(w.ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f, 4f }));
        Assert.That((w.Version, w.RequiresGrad, w.IsLeaf), Is.EqualTo((version + 1, true, true)));
    }

    [Test]
    public void Copy_Throws_ForAnotherShape_OrANonLeaf()
    {
        var w = Tensor.Zeros(2, 2).RequireGrad();
        w.Name = "w";
        AssertThrows<ArgumentException>(() => w.Copy_(Tensor.Zeros(4)), "Copy_", "[4]", "w[2, 2]");
        var h = w * 2f;
        AssertThrows<InvalidOperationException>(() => h.Copy_(Tensor.Zeros(2, 2)), "Copy_", "Mul", "not a leaf");
    }
}
