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

    [TestCase(1.5f, 0.999f)]
    [TestCase(0.9f, 1f)]
    [TestCase(-0.1f, 0.999f)]
    public void Constructor_Throws_ForBetasOutsideUnitInterval(float beta1, float beta2)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Adam([Tensor.Ones(1).RequireGrad()], beta1: beta1, beta2: beta2));
        Assert.That(ex!.Message, Does.StartWith("Adam:").And.Contain("beta"));
    }
}
