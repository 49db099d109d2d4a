using Autodiff;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>LinearLR (Autodiff.NN/Optim/LinearLR.cs), the warm-up, against PyTorch's closed form
/// <c>base·(s + (e - s)·min(epoch, T)/T)</c>.</summary>
public class LinearLRTests
{
    private static SGD Sgd(double lr = 0.1) => new([Tensor.Ones(1).RequireGrad()], lr: lr);

    [Test]
    public void Creating_SetsTheEpoch0Rate_ThenTheFactorRisesLinearly()
    {
        // torch: LinearLR(SGD(params, lr=0.1), start_factor=0.25, end_factor=1.0, total_iters=4)
        // epochs 0..6: 0.1·(0.25 + 0.75·min(e, 4)/4) = 0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1
        var sgd = Sgd();
        var scheduler = new LinearLR(sgd, startFactor: 0.25, endFactor: 1.0, totalIters: 4);
        double[] expected = [0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1, 0.1];
        Assert.That(sgd.Lr, Is.EqualTo(expected[0]).Within(1e-15), "epoch 0, set when created as in PyTorch");
        Assert.That(scheduler.BaseLr, Is.EqualTo(0.1));
        for (int e = 1; e < expected.Length; e++)
        {
            scheduler.Step();
            Assert.That(sgd.Lr, Is.EqualTo(expected[e]).Within(1e-15), $"epoch {e}");
        }
    }

    [Test]
    public void Decay_FromOneToEndFactor()
    {
        // start_factor=1, end_factor=0.5, total_iters=2 on lr 0.2: 0.2, 0.15, 0.1, 0.1
        var sgd = Sgd(0.2);
        var scheduler = new LinearLR(sgd, startFactor: 1, endFactor: 0.5, totalIters: 2);
        var rates = new List<double> { sgd.Lr };
        for (int e = 1; e <= 3; e++) { scheduler.Step(); rates.Add(sgd.Lr); }
        Assert.That(rates, Is.EqualTo(new[] { 0.2, 0.15, 0.1, 0.1 }).Within(1e-15));
    }

    [Test]
    public void Defaults_ArePyTorchs()
    {
        var scheduler = new LinearLR(Sgd());
        Assert.That((scheduler.StartFactor, scheduler.EndFactor, scheduler.TotalIters), Is.EqualTo((1.0 / 3, 1.0, 5)));
    }

    [Test]
    public void StateDict_ResumesTheWarmUp_FromEpoch0AndLater()
    {
        foreach (int steps in new[] { 0, 2 })
        {
            var sgd = Sgd();
            var scheduler = new LinearLR(sgd, startFactor: 0.5, totalIters: 4);
            for (int i = 0; i < steps; i++) scheduler.Step();
            var (optState, state) = (sgd.StateDict(), scheduler.StateDict());
            scheduler.Step();

            var resumed = Sgd();
            var resumedScheduler = new LinearLR(resumed, startFactor: 0.5, totalIters: 4);
            resumed.LoadStateDict(optState);
            resumedScheduler.LoadStateDict(state);
            resumedScheduler.Step();
            Assert.That(resumed.Lr, Is.EqualTo(sgd.Lr), $"after {steps} steps");
        }
    }

    [TestCase(0.0, 1.0, 5, "startFactor must be in (0, 1], got 0")]
    [TestCase(1.5, 1.0, 5, "startFactor must be in (0, 1], got 1.5")]
    [TestCase(0.5, -0.1, 5, "endFactor must be in [0, 1], got -0.1")]
    [TestCase(0.5, double.NaN, 5, "endFactor must be in [0, 1], got NaN")]
    [TestCase(0.5, 1.0, 0, "totalIters must be positive, got 0")]
    public void Throws_ForBadArguments(double start, double end, int total, string message) =>
        AssertThrows<ArgumentException>(() => new LinearLR(Sgd(), start, end, total), "LinearLR", message);
}
