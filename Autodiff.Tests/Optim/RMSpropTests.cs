using Autodiff;
using Autodiff.Optim;

namespace Autodiff.Tests.Optim;

/// <summary>RMSprop (Autodiff.NN/Optim/RMSprop.cs) against the update of torch.optim.RMSprop, computed by hand.</summary>
public class RMSpropTests
{
    [TestCase(0f, false, 0f, TestName = "FirstThreeSteps_FollowThePyTorchFormula_Plain")]
    [TestCase(0.9f, false, 0f, TestName = "FirstThreeSteps_FollowThePyTorchFormula_Momentum")]
    [TestCase(0f, true, 0f, TestName = "FirstThreeSteps_FollowThePyTorchFormula_Centered")]
    [TestCase(0f, false, 0.1f, TestName = "FirstThreeSteps_FollowThePyTorchFormula_WeightDecay")]
    [TestCase(0.5f, true, 0.1f, TestName = "FirstThreeSteps_FollowThePyTorchFormula_All")]
    public void FirstThreeSteps_FollowThePyTorchFormula(float momentum, bool centered, float weightDecay)
    {
        var w = Tensor.FromArray([1.0, -0.5, 2.0], 3).RequireGrad();
        var rms = new RMSprop([w], lr: 0.01f, alpha: 0.9f, eps: 1e-8f, weightDecay: weightDecay, momentum: momentum, centered: centered);
        double lr = 0.01f, alpha = 0.9f, eps = 1e-8f, wd = weightDecay, mu = momentum;
        double[] theta = [1.0, -0.5, 2.0], v = new double[3], gAvg = new double[3], buf = new double[3];
        for (int t = 1; t <= 3; t++)
        {
            rms.ZeroGrad();
            (w * w * w).Sum().Backward();                                        // ∇ = 3w²
            for (int i = 0; i < 3; i++)
            {
                double g = 3 * theta[i] * theta[i] + wd * theta[i];              // g = ∇ + λθ
                v[i] = alpha * v[i] + (1 - alpha) * g * g;                       // square_avg
                double avg;
                if (centered)
                {
                    gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g;                 // grad_avg
                    avg = Math.Sqrt(v[i] - gAvg[i] * gAvg[i]) + eps;
                }
                else avg = Math.Sqrt(v[i]) + eps;
                if (mu > 0)
                {
                    buf[i] = mu * buf[i] + g / avg;                              // buf = μ·buf + g/avg
                    theta[i] -= lr * buf[i];
                }
                else theta[i] -= lr * g / avg;
            }
            rms.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(1e-12), $"step {t}");
        }
    }

    [Test]
    public void FirstStep_Plain_MovesEachParameterByLrOverSqrtOneMinusAlpha()
    {
        // v = (1 - α)g², so the step is lr·g/(|g|√(1 - α)) = lr·sign(g)/√(1 - α), whatever the size of g
        var w = Tensor.FromArray([3.0, -0.25], 2).RequireGrad();
        var rms = new RMSprop([w], lr: 0.01f, alpha: 0.99f, eps: 0);
        (w * w).Sum().Backward();
        rms.Step();
        double step = (double)0.01f / Math.Sqrt(1 - (double)0.99f);
        Assert.That(w.ToDoubleArray(), Is.EqualTo(new[] { 3.0 - step, -0.25 + step }).Within(1e-12));
    }

    [Test]
    public void State_HoldsOnlyTheBuffersTheOptionsNeed()
    {
        var a = Tensor.Ones(new[] { 2 }, DType.Float64).RequireGrad();
        var plain = new RMSprop([a]);
        a.Grad = Tensor.Ones(new[] { 2 }, DType.Float64);
        plain.Step();
        // The group's hyper-parameters (param_groups.0.*) are saved whatever the options; the buffers depend on them.
        static IEnumerable<string> Buffers(Optimizer o) => o.StateDict().Keys.Where(k => !k.StartsWith("param_groups.", StringComparison.Ordinal));
        Assert.That(Buffers(plain), Is.EquivalentTo(new[] { "lr", "0.square_avg" }));
        var full = new RMSprop([a], momentum: 0.9f, centered: true);
        full.Step();
        Assert.That(Buffers(full), Is.EquivalentTo(new[] { "lr", "0.square_avg", "0.grad_avg", "0.momentum_buffer" }));
    }

    [TestCase(-0.01f, 0.99f, 1e-8f, 0f, 0f, "lr")]
    [TestCase(0.01f, 1.5f, 1e-8f, 0f, 0f, "alpha")]
    [TestCase(0.01f, -0.1f, 1e-8f, 0f, 0f, "alpha")]
    [TestCase(0.01f, float.NaN, 1e-8f, 0f, 0f, "alpha")]
    [TestCase(0.01f, 0.99f, -1e-8f, 0f, 0f, "eps")]
    [TestCase(0.01f, 0.99f, 1e-8f, -0.1f, 0f, "weightDecay")]
    [TestCase(0.01f, 0.99f, 1e-8f, 0f, -0.9f, "momentum")]
    public void Constructor_Throws_ForBadHyperparameters(float lr, float alpha, float eps, float weightDecay, float momentum, string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new RMSprop([Tensor.Ones(1).RequireGrad()], lr, alpha, eps, weightDecay, momentum))!;
        Assert.That(ex.Message, Does.StartWith("RMSprop:").And.Contain(name));
    }
}
