using Autodiff;
using Autodiff.Optim;

namespace Autodiff.Tests.Optim;

/// <summary>AdamW (Autodiff.NN/Optim/Adam.cs): Adam with decoupled weight decay, as torch.optim.AdamW.</summary>
public class AdamWTests
{
    [Test]
    public void FirstThreeSteps_FollowThePyTorchFormula()
    {
        var w = Tensor.FromArray([1.0, -0.5, 2.0], 3).RequireGrad();
        var adamW = new AdamW([w], lr: 0.1f, beta1: 0.9f, beta2: 0.999f, eps: 1e-8f, weightDecay: 0.1f);
        double[] theta = [1.0, -0.5, 2.0], m = [0, 0, 0], v = [0, 0, 0];
        double b1 = 0.9f, b2 = 0.999f, lr = 0.1f, eps = 1e-8f, wd = 0.1f;
        for (int t = 1; t <= 3; t++)
        {
            adamW.ZeroGrad();
            (w * w * w).Sum().Backward();                           // ∇ = 3w², taken before the decay
            for (int i = 0; i < 3; i++)
            {
                double g = 3 * theta[i] * theta[i];                 // no λθ in the gradient
                theta[i] *= 1 - lr * wd;                            // θ ← θ(1 - lr·λ)
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                theta[i] -= lr * (m[i] / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(b2, t))) + eps);
            }
            adamW.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(1e-12), $"step {t}");
        }
    }

    [Test]
    public void WithZeroWeightDecay_EqualsAdamBitExactly()
    {
        var a = Tensor.FromArray([0.3, -1.2], 2).RequireGrad();
        var b = Tensor.FromArray([0.3, -1.2], 2).RequireGrad();
        var adamW = new AdamW([a], lr: 0.05f, weightDecay: 0);
        var adam = new Adam([b], lr: 0.05f);
        for (int t = 0; t < 3; t++)
        {
            adamW.ZeroGrad(); adam.ZeroGrad();
            (a * a * a).Sum().Backward();
            (b * b * b).Sum().Backward();
            adamW.Step(); adam.Step();
        }
        Assert.That(a.ToDoubleArray(), Is.EqualTo(b.ToDoubleArray()));
    }

    [Test]
    public void WeightDecay_IsDecoupled_NotAddedToTheGradient()
    {
        // With a zero gradient, Adam's L2 term still moves θ by about lr (m̂/√v̂ = ±1), while AdamW only shrinks it by lr·λ.
        var a = Tensor.FromArray([2.0], 1).RequireGrad();
        var b = Tensor.FromArray([2.0], 1).RequireGrad();
        var adamW = new AdamW([a], lr: 0.1f, weightDecay: 0.5f);
        var adam = new Adam([b], lr: 0.1f, weightDecay: 0.5f);
        a.Grad = Tensor.Zeros(new[] { 1 }, DType.Float64);
        b.Grad = Tensor.Zeros(new[] { 1 }, DType.Float64);
        adamW.Step();
        adam.Step();
        Assert.That(a.ItemDouble(), Is.EqualTo(2.0 * (1 - (double)0.1f * 0.5f)).Within(1e-12));       // 1.9
        Assert.That(b.ItemDouble(), Is.EqualTo(2.0 - 0.1f).Within(1e-6));                               // 2 - lr·1
    }

    [Test]
    public void DefaultWeightDecay_IsPyTorchs()
    {
        // The defaults are PyTorch's Python floats exactly (they were float-rounded, 0.01f = 0.009999999776, before
        // hyper-parameters became doubles); a float32 parameter still rounds them to float when it updates.
        var adamW = new AdamW([Tensor.Ones(1).RequireGrad()]);
        Assert.That(adamW.WeightDecay, Is.EqualTo(0.01));
        Assert.That(adamW.Lr, Is.EqualTo(1e-3));
        Assert.That((adamW.Beta1, adamW.Beta2, adamW.Eps), Is.EqualTo((0.9, 0.999, 1e-8)));
        Assert.That(adamW.Name, Is.EqualTo("AdamW"));
    }

    [TestCase(-0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, "lr")]
    [TestCase(float.NaN, 0.9f, 0.999f, 1e-8f, 0.01f, "lr")]
    [TestCase(1e-3f, 1f, 0.999f, 1e-8f, 0.01f, "beta1")]
    [TestCase(1e-3f, 0.9f, -0.5f, 1e-8f, 0.01f, "beta2")]
    [TestCase(1e-3f, 0.9f, 0.999f, -1e-8f, 0.01f, "eps")]
    [TestCase(1e-3f, 0.9f, 0.999f, 1e-8f, -0.01f, "weightDecay")]
    [TestCase(1e-3f, 0.9f, 0.999f, 1e-8f, float.NaN, "weightDecay")]
    public void Constructor_Throws_ForBadHyperparameters(float lr, float beta1, float beta2, float eps, float weightDecay, string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new AdamW([Tensor.Ones(1).RequireGrad()], lr, beta1, beta2, eps, weightDecay))!;
        Assert.That(ex.Message, Does.StartWith("AdamW:").And.Contain(name));
    }
}
