using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.LayerNorm (Ops/LayerNorm.cs, Kernels/Normalization.cs): torch.nn.functional.layer_norm.</summary>
public class LayerNormTests
{
    [Test]
    public void Forward_NormalizesEachRow()
    {
        // Row [1, 2, 3]: mean 2, biased var 2/3; row [2, 4, 6]: mean 4, var 8/3. Both give [-1, 0, 1]·√(3/2). eps 0.
        var y = Ops.LayerNorm(Tensor.FromArray(new[] { 1.0, 2, 3, 2, 4, 6 }, 2, 3), [3], eps: 0);
        double r = Math.Sqrt(1.5);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -r, 0, r, -r, 0, r }).Within(1e-12));
    }

    [TestCase(DType.Float64, 1e-12)]
    [TestCase(DType.Float32, 1e-5)]
    public void Forward_MatchesTheDefinition_OverTwoTrailingDims(DType dtype, double tolerance)
    {
        var x = Tensor.Randn([3, 2, 4], 1, dtype);
        var (w, b) = (Tensor.Randn([2, 4], 2, dtype), Tensor.Randn([2, 4], 3, dtype));
        var y = Ops.LayerNorm(x, [2, 4], w, b).ToDoubleArray();
        var (xs, ws, bs) = (x.ToDoubleArray(), w.ToDoubleArray(), b.ToDoubleArray());
        for (int row = 0; row < 3; row++)
        {
            var v = xs.Skip(row * 8).Take(8).ToArray();
            double mean = v.Average(), variance = v.Average(a => (a - mean) * (a - mean));
            for (int i = 0; i < 8; i++)
                Assert.That(y[row * 8 + i], Is.EqualTo((v[i] - mean) / Math.Sqrt(variance + 1e-5) * ws[i] + bs[i]).Within(tolerance));
        }
    }

    [Test]
    public void Backward_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.LayerNorm(t[0], [4], t[1], t[2]).Tanh(), [Leaf(1, 3, 4), Leaf(2, 4), Leaf(3, 4)], "LayerNorm");
        GradCheck.Assert(t => Ops.LayerNorm(t[0], [2, 3], t[1], t[2]).Tanh(), [Leaf(4, 2, 2, 3), Leaf(5, 2, 3), Leaf(6, 2, 3)], "LayerNorm (2 dims)");
        GradCheck.Assert(t => Ops.LayerNorm(t[0], [5]).Tanh(), [Leaf(7, 2, 5)], "LayerNorm (no affine)");
    }

    [Test]
    public void Backward_CreateGraph_MatchesCentralDifferences()
    {
        GradCheck.AssertSecondOrder(t => Ops.LayerNorm(t[0], [4], t[1], t[2]), [Leaf(8, 2, 4), Leaf(9, 4), Leaf(10, 4)], "LayerNorm");
        GradCheck.AssertSecondOrder(t => Ops.LayerNorm(t[0], [2, 2]), [Leaf(11, 2, 2, 2)], "LayerNorm (no affine)");
    }

    [Test]
    public void Backward_CreateGraph_ThroughANonlinearLoss_MatchesCentralDifferences() =>
        // The loss's gradient dy depends on x here, so every rule of the recorded LayerNormBackward(Weight) ops is exercised.
        GradCheck.AssertSecondOrder(t => (Ops.Tanh(Ops.LayerNorm(t[0], [3], t[1], t[2])) * t[0]).Sum(),
            [Leaf(12, 2, 3), Leaf(13, 3), Leaf(14, 3)], "LayerNorm (nonlinear loss)");

    [Test]
    public void ThirdOrder_TheBackwardOpsOwnDerivatives_MatchCentralDifferences()
    {
        // The function checked is itself a gradient built with createGraph, so its second derivative is a third derivative
        // of LayerNorm: LayerNormBackward and LayerNormBackwardWeight are differentiated twice.
        GradCheck.AssertSecondOrder(t =>
        {
            var y = Ops.LayerNorm(t[0], [3], t[1], t[2]);
            var g = Autograd.Grad([(Ops.Tanh(y) * y).Sum()], [t[0], t[1], t[2]], createGraph: true);
            return Ops.Cat([g[0]!.Reshape(g[0]!.Numel), g[1]!, g[2]!], 0);
        }, [Leaf(15, 2, 3), Leaf(16, 3), Leaf(17, 3)], "LayerNorm (third order)");
        GradCheck.AssertSecondOrder(t =>
        {
            var y = Ops.LayerNorm(t[0], [2, 2]);
            return Autograd.Grad([(y * y * y).Sum()], [t[0]], createGraph: true)[0]!;
        }, [Leaf(18, 2, 2, 2)], "LayerNorm (no affine, third order)");
    }

    [Test]
    public void Backward_RowsWithATail_MatchCentralDifferences()
    {
        // M = 19: vectors of 4 doubles and a tail of 3, in the sums and in the fused dx/dw/db pass.
        GradCheck.Assert(t => Ops.LayerNorm(t[0], [19], t[1], t[2]).Tanh(), [Leaf(40, 3, 19), Leaf(41, 19), Leaf(42, 19)], "LayerNorm (M = 19)");
        GradCheck.Assert(t => Ops.LayerNorm(t[0], [19], t[1]).Tanh(), [Leaf(43, 2, 19), Leaf(44, 19)], "LayerNorm (weight only)");
    }

    [TestCase(DType.Float64)]
    [TestCase(DType.Float32)]
    public void Backward_FusedPlainPass_GivesTheGradientsOfTheRecordedOps(DType dtype)
    {
        // A plain Backward computes dx, dw and db in one kernel; createGraph records LayerNormBackward, LayerNormBackwardWeight
        // and g summed by the pass. Same kernel for dx and dw, and db summed in the same order: the same numbers.
        var x = Tensor.Randn([5, 37], 45, dtype).RequireGrad();
        var (w, b) = (Tensor.Randn([37], 46, dtype).RequireGrad(), Tensor.Randn([37], 47, dtype).RequireGrad());
        var g = Tensor.Randn([5, 37], 48, dtype);
        Ops.LayerNorm(x, [37], w, b).Backward(g);
        var recorded = Autograd.Grad([Ops.LayerNorm(x, [37], w, b)], [x, w, b], createGraph: true, gradOutputs: [g]);
        double tolerance = dtype == DType.Float64 ? 1e-12 : 1e-5;
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(recorded[0]!.ToDoubleArray()).Within(tolerance));
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(recorded[1]!.ToDoubleArray()).Within(tolerance));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(recorded[2]!.ToDoubleArray()).Within(tolerance));
    }

    [Test]
    public void LayerNorm_ThrowsWhenNormalizedShapeIsNotTheTrailingDims() =>
        AssertThrows<ArgumentException>(() => Ops.LayerNorm(Tensor.Zeros(2, 3, 4), [3]), "LayerNorm", "[3]", "[2, 3, 4]");

    [Test]
    public void LayerNorm_ThrowsForEmptyNormalizedShape() =>
        AssertThrows<ArgumentException>(() => Ops.LayerNorm(Tensor.Zeros(2, 3), []), "LayerNorm", "[]", "[2, 3]");

    [Test]
    public void LayerNorm_ThrowsForWrongWeightShape() =>
        AssertThrows<ArgumentException>(() => Ops.LayerNorm(Tensor.Zeros(2, 3), [3], Tensor.Ones(2)), "LayerNorm", "weight", "[2]", "[3]");
}
