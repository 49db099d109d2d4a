using Autodiff;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>ExponentialLR (Autodiff.NN/Optim/ExponentialLR.cs) against PyTorch's closed form <c>base·γ^epoch</c>.</summary>
public class ExponentialLRTests
{
    [Test]
    public void Rates_AreBaseTimesGammaToTheEpoch()
    {
        // torch: ExponentialLR(SGD(params, lr=0.1), gamma=0.5); get_last_lr() after each step: 0.05, 0.025, 0.0125, 0.00625
        var sgd = new SGD([Tensor.Ones(1).RequireGrad()], lr: 0.1);
        var scheduler = new ExponentialLR(sgd, gamma: 0.5);
        Assert.That(sgd.Lr, Is.EqualTo(0.1), "creating it keeps epoch 0 at the base");
        double[] expected = [0.05, 0.025, 0.0125, 0.00625];
        foreach (double lr in expected)
        {
            scheduler.Step();
            Assert.That(sgd.Lr, Is.EqualTo(lr).Within(1e-15));
        }
        Assert.That(scheduler.LastEpoch, Is.EqualTo(4));
    }

    [TestCase(-0.5)]
    [TestCase(double.NaN)]
    public void Throws_ForABadGamma(double gamma) =>
        AssertThrows<ArgumentException>(() => new ExponentialLR(new SGD([Tensor.Ones(1).RequireGrad()], lr: 0.1), gamma), "ExponentialLR", "gamma");
}
