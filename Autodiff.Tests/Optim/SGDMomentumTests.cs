using Autodiff;
using Autodiff.Optim;

namespace Autodiff.Tests.Optim;

/// <summary>SGD (Autodiff.NN/Optim/SGD.cs) with dampening and Nesterov momentum, against torch.optim.SGD computed by hand.</summary>
public class SGDMomentumTests
{
    [TestCase(0.9f, 0f, 0f, false, TestName = "FirstThreeSteps_FollowThePyTorchFormula_Momentum")]
    [TestCase(0.9f, 0.3f, 0f, false, TestName = "FirstThreeSteps_FollowThePyTorchFormula_Dampening")]
    [TestCase(0.9f, 0.1f, 0.05f, false, TestName = "FirstThreeSteps_FollowThePyTorchFormula_DampeningAndWeightDecay")]
    [TestCase(0.9f, 0f, 0f, true, TestName = "FirstThreeSteps_FollowThePyTorchFormula_Nesterov")]
    [TestCase(0.5f, 0f, 0.05f, true, TestName = "FirstThreeSteps_FollowThePyTorchFormula_NesterovAndWeightDecay")]
    public void FirstThreeSteps_FollowThePyTorchFormula(float momentum, float dampening, float weightDecay, bool nesterov)
    {
        var w = Tensor.FromArray([1.0, -0.5, 2.0], 3).RequireGrad();
        var sgd = new SGD([w], lr: 0.05f, momentum: momentum, dampening: dampening, weightDecay: weightDecay, nesterov: nesterov);
        double lr = 0.05f, mu = momentum, tau = dampening, wd = weightDecay;
        double[] theta = [1.0, -0.5, 2.0], buf = new double[3];
        for (int t = 1; t <= 3; t++)
        {
            sgd.ZeroGrad();
            (w * w * w).Sum().Backward();                                   // ∇ = 3w²
            for (int i = 0; i < 3; i++)
            {
                double g = 3 * theta[i] * theta[i] + wd * theta[i];         // g = ∇ + λθ
                buf[i] = t == 1 ? g : mu * buf[i] + (1 - tau) * g;          // b = g, then μb + (1 - τ)g
                theta[i] -= lr * (nesterov ? g + mu * buf[i] : buf[i]);
            }
            sgd.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(1e-12), $"step {t}");
        }
    }

    [TestCase(0f, 0f)]
    [TestCase(0.9f, 0.1f)]
    public void Constructor_Throws_ForNesterovWithoutMomentumOrWithDampening(float momentum, float dampening)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SGD([Tensor.Ones(1).RequireGrad()], 0.1f, momentum, dampening, nesterov: true))!;
        Assert.That(ex.Message, Does.StartWith("SGD:").And.Contain("nesterov"));
    }

    [Test]
    public void Constructor_Throws_ForNegativeWeightDecayOrNaNDampening()
    {
        var w = Tensor.Ones(1).RequireGrad();
        Assert.That(Assert.Throws<ArgumentException>(() => new SGD([w], 0.1f, weightDecay: -1))!.Message, Does.StartWith("SGD:").And.Contain("weightDecay"));
        Assert.That(Assert.Throws<ArgumentException>(() => new SGD([w], 0.1f, 0.9f, float.NaN))!.Message, Does.StartWith("SGD:").And.Contain("dampening"));
    }

    [Test]
    public void Lr_SetToNegative_Throws_AndKeepsTheOldRate()
    {
        var sgd = new SGD([Tensor.Ones(1).RequireGrad()], 0.1f);
        var ex = Assert.Throws<ArgumentException>(() => sgd.Lr = -1)!;
        Assert.That(ex.Message, Does.StartWith("SGD:").And.Contain("lr"));
        Assert.That(sgd.Lr, Is.EqualTo(0.1f));
    }
}
