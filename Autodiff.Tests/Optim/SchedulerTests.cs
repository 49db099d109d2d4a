using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>StepLR and CosineAnnealingLR (Autodiff.NN/Optim/LRScheduler.cs) against their closed forms.</summary>
public class SchedulerTests
{
    private static SGD Optimizer(float lr) => new([Tensor.Ones(1).RequireGrad()], lr);

    [Test]
    public void StepLR_HalvesEveryTwoEpochs()
    {
        // torch: StepLR(SGD(params, lr=0.8), step_size=2, gamma=0.5): epochs 1..7 -> 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1
        var optimizer = Optimizer(0.8f);
        var scheduler = new StepLR(optimizer, stepSize: 2, gamma: 0.5);
        double[] expected = [0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1];
        for (int e = 1; e <= 7; e++)
        {
            scheduler.Step();
            Assert.That(scheduler.LastEpoch, Is.EqualTo(e));
            Assert.That(optimizer.Lr, Is.EqualTo(expected[e - 1]).Within(1e-7), $"epoch {e}");
        }
    }

    [TestCase(0.1f, 3, 0.1)]
    [TestCase(0.01f, 1, 0.9)]
    [TestCase(1f, 5, 0.0)]
    public void StepLR_MatchesClosedForm(float baseLr, int stepSize, double gamma)
    {
        var optimizer = Optimizer(baseLr);
        var scheduler = new StepLR(optimizer, stepSize, gamma);
        Assert.That(scheduler.BaseLr, Is.EqualTo(baseLr));
        for (int e = 1; e <= 12; e++)
        {
            scheduler.Step();
            double closedForm = baseLr * Math.Pow(gamma, Math.Floor((double)e / stepSize));   // base·γ^⌊e/s⌋
            Assert.That(optimizer.Lr, Is.EqualTo(closedForm).Within(1e-7 * baseLr), $"epoch {e}");
        }
    }

    [TestCase(0.1f, 10, 0.0)]
    [TestCase(0.5f, 4, 0.01)]
    [TestCase(0.01f, 1, 0.001)]
    public void CosineAnnealingLR_MatchesClosedForm(float baseLr, int tMax, double etaMin)
    {
        var optimizer = Optimizer(baseLr);
        var scheduler = new CosineAnnealingLR(optimizer, tMax, etaMin);
        for (int e = 1; e <= 2 * tMax; e++)
        {
            scheduler.Step();
            double closedForm = etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * e / tMax)) / 2;
            Assert.That(optimizer.Lr, Is.EqualTo(closedForm).Within(1e-7 * baseLr), $"epoch {e}");
        }
    }

    [Test]
    public void CosineAnnealingLR_HitsMidpointAndMinimumAndReturns()
    {
        var optimizer = Optimizer(0.1f);
        var scheduler = new CosineAnnealingLR(optimizer, tMax: 4, etaMin: 0.02);
        var rates = new List<double>();
        for (int e = 1; e <= 8; e++) { scheduler.Step(); rates.Add(optimizer.Lr); }
        Assert.That(rates[1], Is.EqualTo((0.1 + 0.02) / 2).Within(1e-8));       // epoch tMax/2: halfway
        Assert.That(rates[3], Is.EqualTo(0.02).Within(1e-8));                    // epoch tMax: ηmin
        Assert.That(rates[7], Is.EqualTo(0.1).Within(1e-8));                     // epoch 2·tMax: back to base
        Assert.That(rates.Take(4), Is.Ordered.Descending);
    }

    [Test]
    public void Scheduler_ChangesTheRateUsedByTheNextStep()
    {
        var w = Tensor.FromArray([1.0], 1).RequireGrad();
        var sgd = new SGD([w], lr: 1f);
        var scheduler = new StepLR(sgd, stepSize: 1, gamma: 0.5);
        scheduler.Step();                                            // lr = 0.5
        w.Grad = Tensor.FromArray([2.0], 1);
        sgd.Step();
        Assert.That(w.ItemDouble(), Is.EqualTo(0.0));               // 1 - 0.5·2
    }

    [Test]
    public void Schedulers_KeepTheExactDoubleRate()
    {
        // lr: 0.1 is a double all the way: BaseLr and the scheduled rates are not rounded to float.
        var sgd = new SGD([Tensor.Ones(1).RequireGrad()], lr: 0.1);
        var stepLr = new StepLR(sgd, stepSize: 1, gamma: 0.5);
        Assert.That(stepLr.BaseLr, Is.EqualTo(0.1));
        stepLr.Step();
        Assert.That(sgd.Lr, Is.EqualTo(0.1 * 0.5));
        var adam = new Adam([Tensor.Ones(1).RequireGrad()], lr: 3e-4);
        var cosine = new CosineAnnealingLR(adam, tMax: 4, etaMin: 1e-5);
        cosine.Step();
        Assert.That(adam.Lr, Is.EqualTo(1e-5 + (3e-4 - 1e-5) * (1 + Math.Cos(Math.PI / 4)) / 2));
    }

    [TestCase(0, 0.1)]
    [TestCase(-3, 0.1)]
    [TestCase(2, -0.5)]
    [TestCase(2, double.NaN)]
    public void StepLR_Throws_ForBadArguments(int stepSize, double gamma)
    {
        var ex = Assert.Throws<ArgumentException>(() => new StepLR(Optimizer(0.1f), stepSize, gamma))!;
        Assert.That(ex.Message, Does.StartWith("StepLR:"));
    }

    [TestCase(0, 0.0)]
    [TestCase(10, -0.1)]
    [TestCase(10, double.NaN)]
    public void CosineAnnealingLR_Throws_ForBadArguments(int tMax, double etaMin)
    {
        var ex = Assert.Throws<ArgumentException>(() => new CosineAnnealingLR(Optimizer(0.1f), tMax, etaMin))!;
        Assert.That(ex.Message, Does.StartWith("CosineAnnealingLR:"));
    }

    [Test]
    public void Constructor_Throws_ForNullOptimizer() =>
        Assert.Throws<ArgumentNullException>(() => new StepLR(null!, 1));

    private static SGD Sgd() => new([Tensor.Zeros(2).RequireGrad()], lr: 0.1);

    [Test]
    public void Step_RefusesARateChangedBehindItsBack()
    {
        // PyTorch's chainable schedulers would continue from 0.05; a closed form would silently overwrite it.
        var optimizer = Sgd();
        var scheduler = new StepLR(optimizer, stepSize: 3, gamma: 0.1);
        scheduler.Step();
        optimizer.Lr = 0.05;
        AssertThrows<InvalidOperationException>(scheduler.Step, "StepLR", "lr is 0.05", "set 0.1", "overwrite");
    }

    [Test]
    public void TwoSchedulersOnOneOptimizer_Fail_InsteadOfTheLastOneWinning()
    {
        var optimizer = Sgd();
        var step = new StepLR(optimizer, stepSize: 1, gamma: 0.5);
        var cosine = new CosineAnnealingLR(optimizer, tMax: 10);
        step.Step();
        Assert.Throws<InvalidOperationException>(cosine.Step);
    }

    [Test]
    public void StateDict_ResumesTheScheduleExactly()
    {
        var optimizer = Sgd();
        var scheduler = new StepLR(optimizer, stepSize: 2, gamma: 0.5);
        for (int i = 0; i < 3; i++) scheduler.Step();                    // lr 0.1 -> 0.05 at epoch 2
        var (optimizerState, schedulerState) = (optimizer.StateDict(), scheduler.StateDict());
        scheduler.Step();                                                // the uninterrupted run: epoch 4, lr 0.025

        var resumed = Sgd();
        resumed.LoadStateDict(optimizerState);
        var resumedScheduler = new StepLR(resumed, stepSize: 2, gamma: 0.5);
        resumedScheduler.LoadStateDict(schedulerState);
        resumedScheduler.Step();
        Assert.That((resumed.Lr, resumedScheduler.LastEpoch), Is.EqualTo((optimizer.Lr, 4)));
        Assert.That(resumed.Lr, Is.EqualTo(0.025).Within(1e-15));
    }

    [Test]
    public void LoadStateDict_ThrowsForAMissingEntry()
    {
        var scheduler = new StepLR(Sgd(), stepSize: 2);
        AssertThrows<ArgumentException>(() => scheduler.LoadStateDict(new Dictionary<string, Tensor> { ["base_lr"] = Tensor.Scalar(0.1) }),
            "StepLR", "'last_epoch'");
        AssertThrows<ArgumentException>(() => scheduler.LoadStateDict(new Dictionary<string, Tensor>
            { ["base_lr"] = Tensor.Scalar(0.1), ["last_epoch"] = Tensor.Scalar(-1.5) }), "StepLR", "last_epoch", "-1.5");
    }

    [Test]
    public void Checkpoint_SavesAndRestoresTheScheduler_AndRefusesToDropIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sched-{Guid.NewGuid():N}.ckpt");
        try
        {
            var model = new Linear(2, 1, generator: new Generator(1));
            var optimizer = new SGD(model.Parameters(), lr: 0.1);
            var scheduler = new StepLR(optimizer, stepSize: 1, gamma: 0.5);
            scheduler.Step();
            Checkpoint.SaveTraining(path, model, optimizer, scheduler);

            var model2 = new Linear(2, 1, generator: new Generator(2));
            var optimizer2 = new SGD(model2.Parameters(), lr: 0.1);
            var scheduler2 = new StepLR(optimizer2, stepSize: 1, gamma: 0.5);
            Checkpoint.LoadTraining(path, model2, optimizer2, scheduler2);
            scheduler2.Step();
            Assert.That(optimizer2.Lr, Is.EqualTo(0.025).Within(1e-15));

            var ex = Assert.Throws<ArgumentException>(() => Checkpoint.LoadTraining(path, new Linear(2, 1), new SGD(new Linear(2, 1).Parameters(), lr: 0.1)))!;
            Assert.That(ex.Message, Does.StartWith("LoadTraining:").And.Contain("scheduler"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Step_AcceptsAWarmUpThatEndsOnTheBaseRate_ToTheLastBit()
    {
        var optimizer = Sgd();
        var scheduler = new CosineAnnealingLR(optimizer, tMax: 10);
        for (int i = 1; i <= 3; i++) optimizer.Lr = 0.1 * i / 3;         // ends at 0.10000000000000002
        Assert.DoesNotThrow(scheduler.Step);
    }
}
