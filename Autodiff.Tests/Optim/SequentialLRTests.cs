using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>SequentialLR and ChainedScheduler (Autodiff.NN/Optim/SequentialLR.cs, ChainedScheduler.cs): the rates
/// PyTorch's chains give, from the closed forms of their members.</summary>
public class SequentialLRTests
{
    private static SGD Sgd(double lr = 0.1) => new([Tensor.Ones(1).RequireGrad()], lr: lr);

    private static List<double> Rates(Optimizer optimizer, LRScheduler scheduler, int steps)
    {
        var rates = new List<double> { optimizer.Lr };
        for (int i = 0; i < steps; i++) { scheduler.Step(); rates.Add(optimizer.Lr); }
        return rates;
    }

    /// <summary>Warm-up then cosine, lr 0.1: LinearLR(start 0.1, 3 epochs) gives 0.1·(0.1 + 0.9·e/3) = 0.01, 0.04, 0.07;
    /// at milestone 3 the cosine starts at its epoch 0 from the base 0.1 (PyTorch's initial_lr, not the 0.01 the warm-up
    /// had set when the cosine was created): 0.1·(1 + cos(π·k/4))/2 for k = 0..4.</summary>
    private static readonly double[] WarmUpThenCosine =
        [0.01, 0.04, 0.07, 0.1, 0.1 * (1 + Math.Cos(Math.PI / 4)) / 2, 0.05, 0.1 * (1 + Math.Cos(3 * Math.PI / 4)) / 2, 0, 0.1 * (1 + Math.Cos(5 * Math.PI / 4)) / 2];

    [Test]
    public void WarmUpThenCosine_GivesPyTorchsRates()
    {
        var sgd = Sgd();
        var warmUp = new LinearLR(sgd, startFactor: 0.1, totalIters: 3);
        var cosine = new CosineAnnealingLR(sgd, tMax: 4);
        var scheduler = new SequentialLR(sgd, [warmUp, cosine], milestones: [3]);
        Assert.That(Rates(sgd, scheduler, 8), Is.EqualTo(WarmUpThenCosine).Within(1e-15));
        Assert.That(scheduler.BaseLrs, Is.EqualTo(new[] { 0.1 }));
        Assert.That(cosine.BaseLrs, Is.EqualTo(new[] { 0.1 }), "rebased to the rate before the warm-up");
    }

    [Test]
    public void TheOrderTheMembersWereCreatedIn_DoesNotMatter()
    {
        var sgd = Sgd();
        var cosine = new CosineAnnealingLR(sgd, tMax: 4);
        var warmUp = new LinearLR(sgd, startFactor: 0.1, totalIters: 3);
        var scheduler = new SequentialLR(sgd, [warmUp, cosine], milestones: [3]);
        Assert.That(Rates(sgd, scheduler, 8), Is.EqualTo(WarmUpThenCosine).Within(1e-15));
    }

    [Test]
    public void ThreeMembers_TwoGroups_EachFromItsOwnBase()
    {
        // ExponentialLR(0.5) for 2 epochs, then StepLR(2, 0.1) until 5, then LinearLR(0.5 → 1 over 2): each restarts at its epoch 0.
        var sgd = new SGD([new ParamGroup([Tensor.Ones(1).RequireGrad()]), new ParamGroup([Tensor.Ones(1).RequireGrad()], lr: 0.01)], lr: 1);
        var scheduler = new SequentialLR(sgd,
            [new ExponentialLR(sgd, 0.5), new StepLR(sgd, stepSize: 2, gamma: 0.1), new LinearLR(sgd, startFactor: 0.5, totalIters: 2)], [2, 5]);
        double[] factors = [1, 0.5, 1, 1, 0.1, 0.5, 0.75, 1, 1];
        for (int e = 0; e < factors.Length; e++)
        {
            if (e > 0) scheduler.Step();
            Assert.That(sgd.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { factors[e], 0.01 * factors[e] }).Within(1e-15), $"epoch {e}");
        }
    }

    [Test]
    public void OneCycleAsAMember_KeepsItsOwnBase_AndCyclesMomentum()
    {
        var sgd = new SGD([Tensor.Ones(1).RequireGrad()], lr: 0.5, momentum: 0.9);
        var scheduler = new SequentialLR(sgd, [new LinearLR(sgd, startFactor: 0.5, totalIters: 2), new OneCycleLR(sgd, maxLr: 1.0, totalSteps: 10)], [2]);
        Assert.That(Rates(sgd, scheduler, 4), Is.EqualTo(new[] { 0.25, 0.375, 0.04, 0.52, 1.0 }).Within(1e-12));
        Assert.That(sgd.ParamGroups[0].Momentum, Is.EqualTo(0.85).Within(1e-12));
    }

    [Test]
    public void Members_AreSteppedThroughTheSequenceOnly()
    {
        var sgd = Sgd();
        var warmUp = new LinearLR(sgd, startFactor: 0.1, totalIters: 3);
        var scheduler = new SequentialLR(sgd, [warmUp, new ExponentialLR(sgd, 0.9)], [3]);
        AssertThrows<InvalidOperationException>(warmUp.Step, "LinearLR", "part of a SequentialLR", "call Step on the SequentialLR");
        AssertThrows<ArgumentException>(() => new SequentialLR(sgd, [warmUp], []), "SequentialLR", "already part of a SequentialLR");
        scheduler.Step();
        sgd.Lr = 0.5;
        AssertThrows<InvalidOperationException>(scheduler.Step, "SequentialLR", "lr is 0.5");
    }

    [Test]
    public void StateDict_ResumesTheSequence()
    {
        SGD optimizer = Sgd();
        SequentialLR Make(SGD o) => new(o, [new LinearLR(o, startFactor: 0.1, totalIters: 3), new CosineAnnealingLR(o, tMax: 4)], [3]);
        var scheduler = Make(optimizer);
        for (int i = 0; i < 4; i++) scheduler.Step();
        var (optState, state) = (optimizer.StateDict(), scheduler.StateDict());
        scheduler.Step();

        var resumed = Sgd();
        var resumedScheduler = Make(resumed);
        resumed.LoadStateDict(optState);
        resumedScheduler.LoadStateDict(state);
        resumedScheduler.Step();
        Assert.That(resumed.Lr, Is.EqualTo(optimizer.Lr));
        Assert.That(resumed.Lr, Is.EqualTo(WarmUpThenCosine[5]).Within(1e-15));
    }

    [Test]
    public void SequentialLR_Throws_ForBadArguments()
    {
        var sgd = Sgd();
        AssertThrows<ArgumentException>(() => new SequentialLR(sgd, [], []), "SequentialLR", "at least one scheduler");
        AssertThrows<ArgumentException>(() => new SequentialLR(sgd, [new StepLR(sgd, 1), new StepLR(sgd, 2)], []),
            "SequentialLR", "2 schedulers and 0 milestones");
        AssertThrows<ArgumentException>(() => new SequentialLR(sgd, [new StepLR(sgd, 1), new StepLR(sgd, 2), new StepLR(sgd, 3)], [4, 4]),
            "SequentialLR", "positive and increasing", "[4, 4]");
        AssertThrows<ArgumentException>(() => new SequentialLR(sgd, [new StepLR(Sgd(), 1)], []), "SequentialLR", "scheduler 0 (StepLR)", "another optimizer");
        AssertThrows<ArgumentException>(() => new SequentialLR(sgd, [new ReduceLROnPlateau(sgd)], []), "SequentialLR", "ReduceLROnPlateau", "needs a metric");
        var step = new StepLR(sgd, 1);
        AssertThrows<ArgumentException>(() => new SequentialLR(sgd, [step, step], [2]), "SequentialLR", "scheduler 1", "same scheduler as scheduler 0");
    }

    [Test]
    public void Chained_MultipliesTheFactors()
    {
        // LinearLR(0.5 → 1 over 2) and ExponentialLR(0.9) on lr 1: (0.5 + 0.5·min(e, 2)/2)·0.9^e = 0.5, 0.675, 0.81, 0.729, 0.6561
        var sgd = Sgd(1);
        var scheduler = new ChainedScheduler([new LinearLR(sgd, startFactor: 0.5, totalIters: 2), new ExponentialLR(sgd, 0.9)]);
        Assert.That(Rates(sgd, scheduler, 4), Is.EqualTo(new[] { 0.5, 0.675, 0.81, 0.729, 0.6561 }).Within(1e-15));
    }

    [Test]
    public void Chained_TwoWarmUpsCompound_AsPyTorchsConstructorsDo_AndCosineToZeroIsAFactor()
    {
        // PyTorch: each LinearLR multiplies the rate by its start factor when created: 0.5·0.5 at epoch 0.
        var sgd = Sgd(1);
        var a = new LinearLR(sgd, startFactor: 0.5, totalIters: 2);
        var b = new LinearLR(sgd, startFactor: 0.5, totalIters: 4);
        var scheduler = new ChainedScheduler([a, b, new CosineAnnealingLR(sgd, tMax: 4)]);
        double Factor(int e) => (0.5 + 0.5 * Math.Min(e, 2) / 2) * (0.5 + 0.5 * Math.Min(e, 4) / 4) * (1 + Math.Cos(Math.PI * e / 4)) / 2;
        Assert.That(Rates(sgd, scheduler, 4), Is.EqualTo(Enumerable.Range(0, 5).Select(Factor)).Within(1e-15));
    }

    [Test]
    public void Chained_RefusesWhatIsNotAFactor()
    {
        var sgd = Sgd();
        AssertThrows<ArgumentException>(() => new ChainedScheduler([new ExponentialLR(sgd, 0.9), new CosineAnnealingLR(sgd, 10, etaMin: 0.001)]),
            "ChainedScheduler", "scheduler 1 (CosineAnnealingLR)", "does not scale its base rate by a factor", "SequentialLR");
        AssertThrows<ArgumentException>(() => new ChainedScheduler([new OneCycleLR(sgd, 1.0, 10)]), "ChainedScheduler", "OneCycleLR");
        AssertThrows<ArgumentException>(() => new ChainedScheduler([new ReduceLROnPlateau(sgd)]), "ChainedScheduler", "needs a metric");
        AssertThrows<ArgumentException>(() => new ChainedScheduler([]), "ChainedScheduler", "at least one scheduler");
        AssertThrows<ArgumentException>(() => new ChainedScheduler([new StepLR(sgd, 1), new StepLR(Sgd(), 1)]), "ChainedScheduler", "another optimizer");
    }

    [Test]
    public void Chained_SavesThroughACheckpoint()
    {
        string path = Path.Combine(Path.GetTempPath(), $"chain-{Guid.NewGuid():N}.ckpt");
        try
        {
            ChainedScheduler Make(SGD o) => new([new LinearLR(o, startFactor: 0.5, totalIters: 2), new ExponentialLR(o, 0.9)]);
            var model = new Linear(2, 1, generator: new Generator(1));
            var sgd = new SGD(model.Parameters(), lr: 1);
            var scheduler = Make(sgd);
            scheduler.Step();
            Checkpoint.SaveTraining(path, model, sgd, scheduler);
            scheduler.Step();

            var model2 = new Linear(2, 1, generator: new Generator(2));
            var sgd2 = new SGD(model2.Parameters(), lr: 1);
            var scheduler2 = Make(sgd2);
            Checkpoint.LoadTraining(path, model2, sgd2, scheduler2);
            scheduler2.Step();
            Assert.That(sgd2.Lr, Is.EqualTo(sgd.Lr));
            Assert.That(sgd2.Lr, Is.EqualTo(0.81).Within(1e-15));
        }
        finally { File.Delete(path); }
    }
}
