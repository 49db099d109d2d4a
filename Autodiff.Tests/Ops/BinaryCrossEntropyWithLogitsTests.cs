using Autodiff;

namespace Autodiff.Tests.Ops;

/// <summary>Autodiff.Ops.BinaryCrossEntropyWithLogits (Autodiff.Core/Ops/BinaryCrossEntropyWithLogits.cs): element-wise, fused with the sigmoid.</summary>
public class BinaryCrossEntropyWithLogitsTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static void AssertThrows<T>(TestDelegate code, params string[] parts) where T : Exception
    {
        var ex = Assert.Throws<T>(code)!;
        Assert.That(ex.Message, Does.StartWith(parts[0] + ":"));
        foreach (var part in parts) Assert.That(ex.Message, Does.Contain(part));
    }

    [Test]
    public void Forward_IsMinusLogLikelihoodOfTargets()
    {
        // F.binary_cross_entropy_with_logits(tensor([0., 2, -1, 3]), tensor([1., 0, 0.25, 1]), reduction='none')
        //   = [ln 2, 2 + ln(1 + e^-2), 0.25 + ln(1 + e^-1), ln(1 + e^-3)] = [0.693147, 2.126928, 0.563262, 0.048587]
        var x = Tensor.FromArray(new[] { 0.0, 2, -1, 3 }, 2, 2);
        var t = Tensor.FromArray(new[] { 1.0, 0, 0.25, 1 }, 2, 2);
        var loss = Autodiff.Ops.BinaryCrossEntropyWithLogits(x, t);
        Assert.That(loss.Shape.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(loss.ToDoubleArray(),
            Is.EqualTo(new[] { Math.Log(2), 2 + Math.Log(1 + Math.Exp(-2)), 0.25 + Math.Log(1 + Math.Exp(-1)), Math.Log(1 + Math.Exp(-3)) }).Within(1e-12));
        Assert.That(loss.ToDoubleArray(), Is.EqualTo(new[] { 0.693147, 2.126928, 0.563262, 0.048587 }).Within(1e-6));
    }

    [Test]
    public void Forward_EqualsNaiveFormula_ForModerateLogits()
    {
        var x = Tensor.Randn(new[] { 7 }, 41, DType.Float64);
        var t = Tensor.Rand(new[] { 7 }, 42, DType.Float64);
        var loss = Autodiff.Ops.BinaryCrossEntropyWithLogits(x, t).ToDoubleArray();
        var xs = x.ToDoubleArray();
        var ts = t.ToDoubleArray();
        for (int i = 0; i < 7; i++)                          // -[t log σ(x) + (1 - t) log(1 - σ(x))]
            Assert.That(loss[i], Is.EqualTo(-(ts[i] * Math.Log(Sigmoid(xs[i])) + (1 - ts[i]) * Math.Log(1 - Sigmoid(xs[i])))).Within(1e-12));
    }

    [TestCase(100.0, 0.0, 100.0)]                            // F.binary_cross_entropy_with_logits(tensor(100.), tensor(0.)) = 100
    [TestCase(-100.0, 1.0, 100.0)]
    [TestCase(100.0, 1.0, 0.0)]                              // ln(1 + e^-100) ≈ 3.7e-44
    [TestCase(-100.0, 0.0, 0.0)]
    public void Forward_LargeLogits_StayFinite(double x, double t, double expected)
    {
        var loss = Autodiff.Ops.BinaryCrossEntropyWithLogits(Tensor.FromArray(new[] { x }), Tensor.FromArray(new[] { t }));
        Assert.That(double.IsFinite(loss.ItemDouble()), Is.True);
        Assert.That(loss.ItemDouble(), Is.EqualTo(expected).Within(1e-12));
        var f32 = Autodiff.Ops.BinaryCrossEntropyWithLogits(Tensor.FromArray(new[] { (float)x }), Tensor.FromArray(new[] { (float)t }));
        Assert.That(f32.ItemDouble(), Is.EqualTo(expected).Within(1e-5));
    }

    [TestCase(100.0, 0.0, 1.0)]                              // σ(100) - 0
    [TestCase(-100.0, 1.0, -1.0)]                            // σ(-100) - 1
    public void Backward_LargeLogits_GradientIsFinite(double x, double t, double expected)
    {
        var logits = Tensor.FromArray(new[] { x }).RequireGrad();
        Autodiff.Ops.BinaryCrossEntropyWithLogits(logits, Tensor.FromArray(new[] { t })).Sum().Backward();
        Assert.That(logits.Grad!.ItemDouble(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Backward_AtZero_IsExactlySigmoidMinusTarget()
    {
        // σ(0) = 0.5, so dx = 0.5 - t exactly: [-0.5, 0.5, 0, 0.25]
        var x = Tensor.Zeros(new[] { 4 }, DType.Float64).RequireGrad();
        var t = Tensor.FromArray(new[] { 1.0, 0, 0.5, 0.25 });
        Autodiff.Ops.BinaryCrossEntropyWithLogits(x, t).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -0.5, 0.5, 0, 0.25 }));
        Assert.That(t.Grad, Is.Null);
    }

    [Test]
    public void Backward_IsUpstreamTimesSigmoidMinusTarget()
    {
        var x = Tensor.FromArray(new[] { 0.5, -2, 1 }).RequireGrad();
        var t = Tensor.FromArray(new[] { 0.0, 1, 0.3 });
        Autodiff.Ops.BinaryCrossEntropyWithLogits(x, t).Backward(Tensor.FromArray(new[] { 2.0, -1, 0.5 }));
        Assert.That(x.Grad!.ToDoubleArray(),
            Is.EqualTo(new[] { 2 * Sigmoid(0.5), -(Sigmoid(-2) - 1), 0.5 * (Sigmoid(1) - 0.3) }).Within(1e-12));
    }

    [Test]
    public void Backward_WithRespectToTargets_IsMinusUpstreamTimesLogits()
    {
        var x = Tensor.FromArray(new[] { 0.5, -2, 0 });
        var t = Tensor.FromArray(new[] { 0.25, 1, 0.5 }).RequireGrad();
        Autodiff.Ops.BinaryCrossEntropyWithLogits(x, t).Backward(Tensor.FromArray(new[] { 1.0, 3, 1 }));
        Assert.That(t.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -0.5, 6, 0 }));   // dt = -g·x
        Assert.That(x.Grad, Is.Null);
    }

    [TestCase(new[] { 2, 3 })]
    [TestCase(new[] { 5 })]
    [TestCase(new int[0])]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape)
    {
        var x = (Tensor.Randn(shape, 43, DType.Float64) * 2.0).Detach().RequireGrad();
        var t = Tensor.Rand(shape, 44, DType.Float64).RequireGrad();
        GradCheck.Assert(xs => Autodiff.Ops.BinaryCrossEntropyWithLogits(xs[0], xs[1]), new[] { x, t }, "BinaryCrossEntropyWithLogits");
    }

    [Test]
    public void Backward_NearZeroLogits_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(xs => Autodiff.Ops.BinaryCrossEntropyWithLogits(xs[0], xs[1]),
            new[] { Tensor.FromArray(new[] { 0.0, 1e-3, -1e-3 }).RequireGrad(), Tensor.FromArray(new[] { 1.0, 0, 0.5 }) }, "BinaryCrossEntropyWithLogits");

    [Test]
    public void Throws_WhenShapesDiffer() =>
        AssertThrows<ArgumentException>(() => Autodiff.Ops.BinaryCrossEntropyWithLogits(Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)),
            "BinaryCrossEntropyWithLogits", "[2, 3]", "[3, 2]");

    [Test]
    public void Throws_WhenTargetsWouldOnlyBroadcast() =>
        AssertThrows<ArgumentException>(() => Autodiff.Ops.BinaryCrossEntropyWithLogits(Tensor.Zeros(2, 3), Tensor.Zeros(3)),
            "BinaryCrossEntropyWithLogits", "[2, 3]", "[3]");
}
