using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Linear (Ops/Linear.cs): y = x·Wᵀ + b in one op, checked against MatMul + Transpose + Add.</summary>
public class LinearTests
{
    [Test]
    public void Forward_IsXTimesWTransposedPlusBias()
    {
        // x [1, 2] = [1, 2]; W [3, 2] = [[1, 0], [0, 1], [1, 1]]; b = [10, 20, 30] -> [1 + 10, 2 + 20, 3 + 30]
        var x = Tensor.FromArray(new[] { 1.0, 2 }, 1, 2);
        var w = Tensor.FromArray(new[] { 1.0, 0, 0, 1, 1, 1 }, 3, 2);
        var b = Tensor.FromArray(new[] { 10.0, 20, 30 });
        var y = Ops.Linear(x, w, b);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 1, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 11.0, 22, 33 }));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_MatchesTheComposition(DType dtype)
    {
        var x = Tensor.Randn([5, 7], 1, dtype);
        var w = Tensor.Randn([4, 7], 2, dtype);
        var b = Tensor.Randn([4], 3, dtype);
        var expected = Ops.Add(Ops.MatMul(x, Ops.Transpose(w, 0, 1)), b).ToDoubleArray();
        Assert.That(Ops.Linear(x, w, b).ToDoubleArray(), Is.EqualTo(expected).Within(dtype == DType.Float32 ? 1e-5 : 1e-12));
        Assert.That(Ops.Linear(x, w).ToDoubleArray(),
            Is.EqualTo(Ops.MatMul(x, Ops.Transpose(w, 0, 1)).ToDoubleArray()).Within(dtype == DType.Float32 ? 1e-5 : 1e-12));
    }

    [Test]
    public void Forward_TreatsLeadingDimsAsRows()
    {
        var x = Tensor.Randn([2, 3, 5], 4, DType.Float64);
        var w = Tensor.Randn([6, 5], 5, DType.Float64);
        var y = Ops.Linear(x, w);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 6 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Ops.Linear(x.Reshape(6, 5), w).ToDoubleArray()));
    }

    [Test]
    public void Forward_ZeroRows_GivesEmptyResult()
    {
        var y = Ops.Linear(Tensor.Zeros(0, 3), Tensor.Ones(2, 3), Tensor.Ones(2));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 0, 2 }));
    }

    [Test]
    public void Forward_ZeroInFeatures_GivesTheBias()
    {
        var y = Ops.Linear(Tensor.Zeros(2, 0), Tensor.Zeros(3, 0), Tensor.FromArray(new[] { 1f, 2, 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 2, 3, 1, 2, 3 }));
    }

    [Test]
    public void Backward_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.Linear(t[0], t[1], t[2]).Tanh().Sum(), [Leaf(1, 4, 3), Leaf(2, 5, 3), Leaf(3, 5)], "Linear");
        GradCheck.Assert(t => Ops.Linear(t[0], t[1]).Sum(), [Leaf(4, 2, 2, 3), Leaf(5, 2, 3)], "Linear (3-D input, no bias)");
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferencesOfTheFirstDerivative()
    {
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Linear(t[0], t[1], t[2])), [Leaf(13, 2, 2, 3), Leaf(14, 4, 3), Leaf(15, 4)], "Linear (3-D input)");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Linear(t[0], t[1])), [Leaf(16, 3), Leaf(17, 2, 3)], "Linear (1-D input, no bias)");
    }

    [Test]
    public void ThirdOrder_TheBackwardProductsOwnDerivatives_MatchCentralDifferences() =>
        // A gradient built with createGraph, differentiated twice more: through dx = g·W and dW = gᵀ·x and their own rules.
        GradCheck.AssertSecondOrder(t =>
        {
            var y = Ops.Linear(t[0], t[1], t[2]);
            var g = Autograd.Grad([(Ops.Tanh(y) * y).Sum()], [t[0], t[1], t[2]], createGraph: true);
            return Ops.Cat([g[0]!.Reshape(g[0]!.Numel), g[1]!.Reshape(g[1]!.Numel), g[2]!], 0);
        }, [Leaf(18, 2, 2, 3), Leaf(19, 4, 3), Leaf(20, 4)], "Linear (third order)");

    [Test]
    public void Backward_MatchesTheComposition()
    {
        var (x1, w1, b1) = (Leaf(6, 8, 5), Leaf(7, 3, 5), Leaf(8, 3));
        var (x2, w2, b2) = (x1.Detach().RequireGrad(), w1.Detach().RequireGrad(), b1.Detach().RequireGrad());
        var g = Tensor.Randn([8, 3], 9, DType.Float64);
        Ops.Linear(x1, w1, b1).Backward(g);
        Ops.Add(Ops.MatMul(x2, Ops.Transpose(w2, 0, 1)), b2).Backward(g);
        Assert.That(x1.Grad!.ToDoubleArray(), Is.EqualTo(x2.Grad!.ToDoubleArray()).Within(1e-12));
        Assert.That(w1.Grad!.ToDoubleArray(), Is.EqualTo(w2.Grad!.ToDoubleArray()).Within(1e-12));
        Assert.That(b1.Grad!.ToDoubleArray(), Is.EqualTo(b2.Grad!.ToDoubleArray()).Within(1e-12));
    }

    [Test]
    public void Backward_AccumulatesIntoExistingGradients()
    {
        var (x, w, b) = (Leaf(10, 2, 3), Leaf(11, 4, 3), Leaf(12, 4));
        Ops.Linear(x, w, b).Sum().Backward();
        var once = (x.Grad!.ToDoubleArray(), w.Grad!.ToDoubleArray(), b.Grad!.ToDoubleArray());
        Ops.Linear(x, w, b).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(once.Item1.Select(v => 2 * v)).Within(1e-12));
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(once.Item2.Select(v => 2 * v)).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(once.Item3.Select(v => 2 * v)).Within(1e-12));
    }

    [Test]
    public void Linear_ThrowsForWrongInFeatures() =>
        AssertThrows<ArgumentException>(() => Ops.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(3, 5)), "Linear", "[2, 4]", "[3, 5]", "inFeatures 5");

    [Test]
    public void Linear_ThrowsForScalarInput() =>
        AssertThrows<ArgumentException>(() => Ops.Linear(Tensor.Scalar(1f), Tensor.Zeros(3, 5)), "Linear", "missing");

    [Test]
    public void Linear_ThrowsForWeightNotMatrix() =>
        AssertThrows<ArgumentException>(() => Ops.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(4)), "Linear", "weight");

    [Test]
    public void Linear_ThrowsForWrongBiasShape() =>
        AssertThrows<ArgumentException>(() => Ops.Linear(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(4)), "Linear", "bias", "[4]", "[3]");
}
