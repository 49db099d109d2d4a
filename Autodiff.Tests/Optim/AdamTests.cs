using Autodiff;
using Autodiff.Optim;

namespace Autodiff.Tests.Optim;

public class AdamTests
{
    [Test]
    public void FirstThreeSteps_FollowThePyTorchFormula()
    {
        var w = Tensor.FromArray([1.0, -0.5], 2).RequireGrad();
        var adam = new Adam([w], lr: 0.1f, beta1: 0.9f, beta2: 0.999f, eps: 1e-8f, weightDecay: 0.01f);
        double[] theta = [1.0, -0.5], m = [0, 0], v = [0, 0];
        double b1 = 0.9f, b2 = 0.999f, lr = 0.1f, eps = 1e-8f, wd = 0.01f;
        for (int t = 1; t <= 3; t++)
        {
            adam.ZeroGrad();
            (w * w * w).Sum().Backward();                           // ∇ = 3w²
            for (int i = 0; i < 2; i++)
            {
                double g = 3 * theta[i] * theta[i] + wd * theta[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                theta[i] -= lr * (m[i] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(b2, t))) + eps);
            }
            adam.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(1e-12), $"step {t}");
        }
    }

    [Test]
    public void Float32_FollowsTheFormula_InTheSimdBodyAndTheTail()
    {
        const int n = 37;                                            // several vectors and a tail
        var start = Enumerable.Range(0, n).Select(i => (float)Math.Sin(i + 1)).ToArray();
        var w = Tensor.FromArray(start, n).RequireGrad();
        var adam = new Adam([w], lr: 0.01f, weightDecay: 0.1f);
        double[] theta = start.Select(x => (double)x).ToArray(), m = new double[n], v = new double[n];
        for (int t = 1; t <= 3; t++)
        {
            adam.ZeroGrad();
            (w * w).Sum().Backward();                               // ∇ = 2w
            for (int i = 0; i < n; i++)
            {
                double g = 2 * theta[i] + 0.1f * theta[i];
                m[i] = 0.9f * m[i] + (1 - 0.9f) * g;
                v[i] = 0.999f * v[i] + (1 - 0.999f) * g * g;
                theta[i] -= 0.01f * (m[i] / (1 - Math.Pow(0.9f, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(0.999f, t))) + 1e-8f);
            }
            adam.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(2e-6), $"step {t}");
        }
    }

    [Test]
    public void Float32Kernel_GivesAnElementTheSameBits_InTheSimdBodyOrTheTail()
    {
        // Updating elements [start, n) puts each element at another place relative to the vector width (body or tail)
        // and at another memory alignment; its result must not change.
        const int n = 29;
        float[] Run(int start)
        {
            var (theta, grad, m, v) = (new float[n], new float[n], new float[n], new float[n]);
            for (int i = 0; i < n; i++) (theta[i], grad[i], m[i], v[i]) = (MathF.Sin(i), MathF.Cos(i), 0.1f * i, 0.01f * i);
            OptimizerKernels.Adam<float>(theta.AsSpan(start), grad.AsSpan(start), m.AsSpan(start), v.AsSpan(start), 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.19, 0.002);
            return theta[start..];
        }
        var full = Run(0);
        for (int start = 1; start < 9; start++) Assert.That(Run(start), Is.EqualTo(full[start..]), $"start {start}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Amsgrad_FirstSteps_FollowThePyTorchFormula(bool decoupled)
    {
        // torch.optim.Adam(..., amsgrad=True) / AdamW: v_max = max(v_max, v); θ -= lr·m̂ / (√(v_max/(1 - β₂ᵗ)) + ε).
        // A large first gradient and small ones after make v shrink, so the maximum is what the denominator uses.
        var w = Tensor.FromArray([1.0, -2.0], 2).RequireGrad();
        Adam adam = decoupled ? new AdamW([w], lr: 0.1, beta2: 0.9, weightDecay: 0.1, amsgrad: true)
                              : new Adam([w], lr: 0.1, beta2: 0.9, weightDecay: 0.1, amsgrad: true);
        double[] theta = [1.0, -2.0], m = [0, 0], v = [0, 0], vMax = [0, 0];
        double[][] grads = [[3.0, -4.0], [0.1, 0.2], [0.05, -0.1], [0.0, 0.3]];
        for (int t = 1; t <= grads.Length; t++)
        {
            w.Grad = Tensor.FromArray(grads[t - 1], 2);
            for (int i = 0; i < 2; i++)
            {
                double g = grads[t - 1][i];
                if (decoupled) theta[i] *= 1 - 0.1 * 0.1; else g += 0.1 * theta[i];
                m[i] = 0.9 * m[i] + (1 - 0.9) * g;
                v[i] = 0.9 * v[i] + (1 - 0.9) * g * g;
                vMax[i] = Math.Max(vMax[i], v[i]);
                theta[i] -= 0.1 * (m[i] / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(vMax[i] / (1 - Math.Pow(0.9, t))) + 1e-8);
            }
            adam.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(1e-14), $"step {t}");
            Assert.That(adam.StateDict()["0.max_exp_avg_sq"].ToDoubleArray(), Is.EqualTo(vMax).Within(1e-15), $"v_max, step {t}");
        }
        Assert.That(vMax[0], Is.GreaterThan(v[0]), "the test exercises the maximum");
    }

    [Test]
    public void Amsgrad_Float32_FollowsTheFormula_InTheSimdBodyAndTheTail()
    {
        const int n = 37;
        var start = Enumerable.Range(0, n).Select(i => (float)Math.Sin(i + 1)).ToArray();
        var w = Tensor.FromArray(start, n).RequireGrad();
        var adam = new Adam([w], lr: 0.01f, beta2: 0.9f, amsgrad: true);
        double[] theta = start.Select(x => (double)x).ToArray(), m = new double[n], v = new double[n], vMax = new double[n];
        for (int t = 1; t <= 4; t++)
        {
            double scale = t == 1 ? 10 : 0.5;                           // v shrinks after the first step
            w.Grad = Tensor.FromArray(start.Select((x, i) => (float)(scale * Math.Cos(i + t))).ToArray(), n);
            for (int i = 0; i < n; i++)
            {
                double g = (float)(scale * Math.Cos(i + t));
                m[i] = 0.9f * m[i] + (1 - 0.9f) * g;
                v[i] = 0.9f * v[i] + (1 - 0.9f) * g * g;
                vMax[i] = Math.Max(vMax[i], v[i]);
                theta[i] -= 0.01f * (m[i] / (1 - Math.Pow(0.9f, t))) / (Math.Sqrt(vMax[i] / (1 - Math.Pow(0.9f, t))) + 1e-8f);
            }
            adam.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(2e-6), $"step {t}");
        }
    }

    [Test]
    public void Amsgrad_IsOffByDefault_AndAddsNoState()
    {
        var w = Tensor.FromArray([1.0], 1).RequireGrad();
        var adam = new Adam([w]);
        Assert.That(adam.Amsgrad, Is.False);
        w.Grad = Tensor.FromArray([1.0], 1);
        adam.Step();
        Assert.That(adam.StateDict().Keys, Does.Not.Contain("0.max_exp_avg_sq"));
        Assert.That(adam.StateDict()["param_groups.0.amsgrad"].ItemDouble(), Is.EqualTo(0));
    }

    [TestCase(1.5f, 0.999f)]
    [TestCase(0.9f, 1f)]
    [TestCase(-0.1f, 0.999f)]
    public void Constructor_Throws_ForBetasOutsideUnitInterval(float beta1, float beta2)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Adam([Tensor.Ones(1).RequireGrad()], beta1: beta1, beta2: beta2));
        Assert.That(ex!.Message, Does.StartWith("Adam:").And.Contain("beta"));
    }
}
