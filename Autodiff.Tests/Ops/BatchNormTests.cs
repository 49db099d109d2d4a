using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.BatchNorm (Ops/BatchNorm.cs, Kernels/Normalization.cs): torch.nn.functional.batch_norm.</summary>
public class BatchNormTests
{
    private static Tensor Vec(params double[] values) => Tensor.FromArray(values, values.Length);

    [Test]
    public void Forward_Training_UsesBatchStatistics_AndUpdatesRunningOnes()
    {
        // Channel 0 holds {1, 3}: mean 2, biased var 1; channel 1 holds {10, 20}: mean 15, biased var 25. eps 0.
        var x = Tensor.FromArray(new[] { 1.0, 10, 3, 20 }, 2, 2);
        var (runningMean, runningVar) = (Vec(0, 0), Vec(1, 1));
        var y = Ops.BatchNorm(x, runningMean, runningVar, Vec(2, 3), Vec(0.5, -1), training: true, momentum: 0.1, eps: 0);
        // x̂ = [[-1, -1], [1, 1]]; y = x̂·w + b
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -1.5, -4, 2.5, 2 }).Within(1e-12));
        // running = 0.9·running + 0.1·batch, with the unbiased variance (M = 2: var·2/1)
        Assert.That(runningMean.ToDoubleArray(), Is.EqualTo(new[] { 0.2, 1.5 }).Within(1e-12));
        Assert.That(runningVar.ToDoubleArray(), Is.EqualTo(new[] { 0.9 + 0.1 * 2, 0.9 + 0.1 * 50 }).Within(1e-12));
    }

    [Test]
    public void Forward_Eval_UsesRunningStatistics()
    {
        var x = Tensor.FromArray(new[] { 1.0, 10, 3, 20 }, 2, 2);
        var y = Ops.BatchNorm(x, Vec(1, 2), Vec(4, 9), eps: 0);
        // (x - [1, 2]) / [2, 3]
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0, 8 / 3.0, 1, 6 }).Within(1e-12));
    }

    [TestCase(DType.Float64, 1e-12)]
    [TestCase(DType.Float32, 1e-5)]
    public void Forward_Training4D_MatchesTheDefinition(DType dtype, double tolerance)
    {
        var x = Tensor.Randn([3, 2, 4, 5], 1, dtype);
        var (w, b) = (Tensor.Randn([2], 2, dtype), Tensor.Randn([2], 3, dtype));
        var y = Ops.BatchNorm(x, null, null, w, b, training: true, eps: 1e-5).ToDoubleArray();
        var (xs, ws, bs) = (x.ToDoubleArray(), w.ToDoubleArray(), b.ToDoubleArray());
        for (int c = 0; c < 2; c++)
        {
            var at = Enumerable.Range(0, 3).SelectMany(n => Enumerable.Range((n * 2 + c) * 20, 20)).ToArray();
            double mean = at.Average(i => xs[i]), variance = at.Average(i => (xs[i] - mean) * (xs[i] - mean));
            foreach (int i in at) Assert.That(y[i], Is.EqualTo((xs[i] - mean) / Math.Sqrt(variance + 1e-5) * ws[c] + bs[c]).Within(tolerance));
        }
    }

    [Test]
    public void Backward_Training_MatchesCentralDifferences()
    {
        GradCheck.Assert(t => Ops.BatchNorm(t[0], null, null, t[1], t[2], training: true).Tanh(),
            [Leaf(1, 4, 3), Leaf(2, 3), Leaf(3, 3)], "BatchNorm [N, C]");
        GradCheck.Assert(t => Ops.BatchNorm(t[0], null, null, t[1], t[2], training: true).Tanh(),
            [Leaf(4, 2, 3, 2, 3), Leaf(5, 3), Leaf(6, 3)], "BatchNorm [N, C, H, W]");
        GradCheck.Assert(t => Ops.BatchNorm(t[0], null, null, training: true).Tanh(), [Leaf(7, 3, 2, 4)], "BatchNorm (no affine)");
    }

    [Test]
    public void Backward_Eval_MatchesCentralDifferences()
    {
        var (mean, variance) = (Tensor.Randn([3], 8, DType.Float64), Tensor.Rand([3], 9, DType.Float64) + 0.5);
        GradCheck.Assert(t => Ops.BatchNorm(t[0], mean, variance, t[1], t[2]).Tanh(),
            [Leaf(10, 2, 3, 2, 2), Leaf(11, 3), Leaf(12, 3)], "BatchNorm (eval)");
    }

    [Test]
    public void Backward_CreateGraph_MatchesCentralDifferences()
    {
        GradCheck.AssertSecondOrder(t => Ops.BatchNorm(t[0], null, null, t[1], t[2], training: true),
            [Leaf(14, 3, 2, 2), Leaf(15, 2), Leaf(16, 2)], "BatchNorm (training)");
        var (mean, variance) = (Tensor.Randn([2], 17, DType.Float64), Tensor.Rand([2], 18, DType.Float64) + 0.5);
        GradCheck.AssertSecondOrder(t => Ops.BatchNorm(t[0] * t[0], mean, variance, t[1], t[2]),
            [Leaf(19, 3, 2, 2), Leaf(20, 2), Leaf(21, 2)], "BatchNorm (eval)");
    }

    [Test]
    public void Backward_CreateGraph_ThroughANonlinearLoss_MatchesCentralDifferences()
    {
        // The loss's gradient dy depends on x here, so every rule of the recorded BatchNormBackward(Weight) ops is exercised.
        GradCheck.AssertSecondOrder(t => (Ops.Tanh(Ops.BatchNorm(t[0], null, null, t[1], t[2], training: true)) * t[0]).Sum(),
            [Leaf(22, 3, 2, 2), Leaf(23, 2), Leaf(24, 2)], "BatchNorm (training, nonlinear loss)");
        var (mean, variance) = (Tensor.Randn([2], 25, DType.Float64), Tensor.Rand([2], 26, DType.Float64) + 0.5);
        GradCheck.AssertSecondOrder(t => (Ops.Tanh(Ops.BatchNorm(t[0], mean, variance, t[1], t[2])) * t[0]).Sum(),
            [Leaf(27, 3, 2, 2), Leaf(28, 2), Leaf(29, 2)], "BatchNorm (eval, nonlinear loss)");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void ThirdOrder_TheBackwardOpsOwnDerivatives_MatchCentralDifferences(bool training)
    {
        // The function checked is itself a gradient built with createGraph, so its second derivative is a third derivative
        // of BatchNorm: BatchNormBackward and BatchNormBackwardWeight are differentiated twice.
        var (mean, variance) = (Tensor.Randn([2], 30, DType.Float64), Tensor.Rand([2], 31, DType.Float64) + 0.5);
        GradCheck.AssertSecondOrder(t =>
        {
            var y = training ? Ops.BatchNorm(t[0], null, null, t[1], t[2], training: true) : Ops.BatchNorm(t[0], mean, variance, t[1], t[2]);
            var g = Autograd.Grad([(Ops.Tanh(y) * y).Sum()], [t[0], t[1], t[2]], createGraph: true);
            return Ops.Cat([g[0]!.Reshape(g[0]!.Numel), g[1]!, g[2]!], 0);
        }, [Leaf(32, 3, 2, 2), Leaf(33, 2), Leaf(34, 2)], training ? "BatchNorm (training, third order)" : "BatchNorm (eval, third order)");
    }

    [Test]
    public void Backward_BlocksWithATail_MatchCentralDifferences()
    {
        // S = 9: vectors of 4 doubles and a tail of 1 per block; S = 2: blocks shorter than a vector.
        GradCheck.Assert(t => Ops.BatchNorm(t[0], null, null, t[1], t[2], training: true).Tanh(),
            [Leaf(50, 2, 3, 9), Leaf(51, 3), Leaf(52, 3)], "BatchNorm (S = 9)");
        GradCheck.Assert(t => Ops.BatchNorm(t[0], null, null, t[1], t[2], training: true).Tanh(),
            [Leaf(53, 3, 2, 2), Leaf(54, 2), Leaf(55, 2)], "BatchNorm (S = 2)");
        var (mean, variance) = (Tensor.Randn([3], 56, DType.Float64), Tensor.Rand([3], 57, DType.Float64) + 0.5);
        GradCheck.Assert(t => Ops.BatchNorm(t[0], mean, variance, t[1], t[2]).Tanh(),
            [Leaf(58, 2, 3, 9), Leaf(59, 3), Leaf(60, 3)], "BatchNorm (eval, S = 9)");
    }

    [TestCase(true, DType.Float64)]
    [TestCase(false, DType.Float64)]
    [TestCase(true, DType.Float32)]
    public void Backward_FusedPlainPass_GivesTheGradientsOfTheRecordedOps(bool training, DType dtype)
    {
        var x = Tensor.Randn([4, 3, 5, 5], 61, dtype).RequireGrad();
        var (w, b) = (Tensor.Randn([3], 62, dtype).RequireGrad(), Tensor.Randn([3], 63, dtype).RequireGrad());
        var (mean, variance) = (Tensor.Randn([3], 64, dtype), Tensor.Rand([3], 65, dtype) + 0.5);
        var g = Tensor.Randn([4, 3, 5, 5], 66, dtype);
        Tensor Forward() => training ? Ops.BatchNorm(x, null, null, w, b, training: true) : Ops.BatchNorm(x, mean, variance, w, b);
        Forward().Backward(g);
        var recorded = Autograd.Grad([Forward()], [x, w, b], createGraph: true, gradOutputs: [g]);
        double tolerance = dtype == DType.Float64 ? 1e-12 : 1e-4;
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(recorded[0]!.ToDoubleArray()).Within(tolerance));
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(recorded[1]!.ToDoubleArray()).Within(tolerance));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(recorded[2]!.ToDoubleArray()).Within(tolerance));
    }

    [Test]
    public void RunningStatistics_AreNotRecorded()
    {
        var (runningMean, runningVar) = (Vec(0, 0), Vec(1, 1));
        var x = Leaf(13, 4, 2);
        Ops.BatchNorm(x, runningMean, runningVar, training: true).Sum().Backward();
        Assert.That(runningMean.RequiresGrad || runningVar.RequiresGrad, Is.False);
        Assert.That(runningMean.Grad, Is.Null);
    }

    [Test]
    public void BatchNorm_ThrowsForRankBelowTwo() =>
        AssertThrows<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(4), null, null, training: true), "BatchNorm", "[4]");

    [Test]
    public void BatchNorm_ThrowsForWrongWeightShape() =>
        AssertThrows<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(2, 3, 4, 4), null, null, Tensor.Ones(4), training: true),
            "BatchNorm", "weight", "[4]", "[3]", "[2, 3, 4, 4]");

    [Test]
    public void BatchNorm_ThrowsWithoutRunningStatisticsInEval() =>
        AssertThrows<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(2, 3), null, null), "BatchNorm", "eval", "[2, 3]");

    [Test]
    public void BatchNorm_ThrowsForOneValuePerChannelInTraining() =>
        AssertThrows<ArgumentException>(() => Ops.BatchNorm(Tensor.Zeros(1, 3), null, null, training: true), "BatchNorm", "more than 1 value", "[1, 3]");
}
