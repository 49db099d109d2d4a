using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

/// <summary>PyTorch's mask algebra: <c>(x &gt; 0) &amp; (x &lt; 2)</c>, <c>|</c>, <c>~</c> on Bool tensors.</summary>
public class MaskOperatorTests
{
    [Test]
    public void AndOrNot_CombineBoolMasks_WithBroadcasting()
    {
        var x = Tensor.FromArray([-1.0, 0.5, 1.5, 3.0]);
        Assert.That(((x > 0) & (x < 2)).ToBoolArray(), Is.EqualTo(new[] { false, true, true, false }));
        Assert.That(((x < 0) | (x > 2)).ToBoolArray(), Is.EqualTo(new[] { true, false, false, true }));
        Assert.That((~(x > 1)).ToBoolArray(), Is.EqualTo(new[] { true, true, false, false }));
        var row = Tensor.FromArray([true, false]);
        var column = Tensor.FromArray([true, false, true], 3, 1);
        var both = row & column;                                          // [3, 1] & [2] -> [3, 2]
        Assert.That(both.Shape, Is.EqualTo(new Shape(3, 2)));
        Assert.That(both.ToBoolArray(), Is.EqualTo(new[] { true, false, false, false, true, false }));
    }

    [Test]
    public void Throws_ForAFloatOperand_NamingTheOperator()
    {
        var mask = Tensor.FromArray([true, false]);
        AssertThrows<ArgumentException>(() => _ = mask & Tensor.FromArray([1f, 0f]), "&", "Float32", "Bool masks");
        AssertThrows<ArgumentException>(() => _ = Tensor.FromArray([1.0, 0.0]) | mask, "|", "Float64");
        AssertThrows<ArgumentException>(() => _ = ~Tensor.FromArray(new long[] { 1, 0 }), "~", "Int64");
        Assert.Throws<ArgumentNullException>(() => _ = mask & null!);
    }
}
