using Autodiff;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>OneCycleLR (Autodiff.NN/Optim/OneCycleLR.cs): rates and momenta against PyTorch's phase formulas.</summary>
public class OneCycleLRTests
{
    private static SGD Sgd(double lr = 0.5, double momentum = 0.9) => new([Tensor.Ones(1).RequireGrad()], lr: lr, momentum: momentum);

    /// <summary>PyTorch's <c>_annealing_cos(start, end, pct)</c>.</summary>
    private static double Cos(double start, double end, double pct) => end + (start - end) / 2 * (Math.Cos(Math.PI * pct) + 1);

    /// <summary>PyTorch's <c>_annealing_linear(start, end, pct)</c>.</summary>
    private static double Linear(double start, double end, double pct) => (end - start) * pct + start;

    private static (List<double> Lr, List<double> Momentum) Run(Optimizer optimizer, LRScheduler scheduler, int steps, Func<ParamGroup, double> momentum)
    {
        var (lrs, momenta) = (new List<double> { optimizer.Lr }, new List<double> { momentum(optimizer.ParamGroups[0]) });
        for (int i = 0; i < steps; i++)
        {
            scheduler.Step();
            lrs.Add(optimizer.Lr);
            momenta.Add(momentum(optimizer.ParamGroups[0]));
        }
        return (lrs, momenta);
    }

    [Test]
    public void Cos_RatesAndMomenta_FollowThePhases()
    {
        // torch: OneCycleLR(SGD(params, lr=0.5, momentum=0.9), max_lr=1.0, total_steps=10) (pct_start 0.3, div 25, final 1e4):
        // initial 1/25 = 0.04, min 0.04/1e4 = 4e-6; phase 1 ends at step 0.3·10 - 1 = 2, phase 2 at 9.
        var sgd = Sgd();
        var scheduler = new OneCycleLR(sgd, maxLr: 1.0, totalSteps: 10);
        double[] lr =
        [
            0.04, 0.52, 1.0,                                                 // cos(0.04 → 1) at pct 0, 1/2, 1
            0.9504846320134737, 0.8117456539497631, 0.6112620219362893,      // cos(1 → 4e-6) at pct 1/7 ... 6/7
            0.38874197806371075, 0.18825834605023697, 0.049519367986526286,
            4e-6,
            0.04951936798652623,                                             // step 10 = totalSteps: pct 8/7, as PyTorch
        ];
        for (int k = 1; k <= 6; k++) Assert.That(lr[2 + k], Is.EqualTo(Cos(1, 4e-6, k / 7.0)).Within(1e-15), "the literals are the formula");
        double[] momentum = [0.95, 0.9, 0.85, .. Enumerable.Range(1, 6).Select(k => Cos(0.85, 0.95, k / 7.0)), 0.95, Cos(0.85, 0.95, 8 / 7.0)];
        var (lrs, momenta) = Run(sgd, scheduler, 10, g => g.Momentum);
        Assert.That(lrs, Is.EqualTo(lr).Within(1e-12));
        Assert.That(momenta, Is.EqualTo(momentum).Within(1e-12));
        AssertThrows<InvalidOperationException>(scheduler.Step, "OneCycleLR", "tried to step 11 times", "totalSteps is 10");
        Assert.That((scheduler.LastEpoch, sgd.Lr), Is.EqualTo((10, lr[10])), "the failed step changed nothing");
    }

    [Test]
    public void Linear_RatesFollowThePhases_AndStopAtZeroOnePastTheEnd()
    {
        // anneal_strategy="linear": 0.04, 0.52, 1, then 1 + (4e-6 - 1)·k/7 down to 4e-6 at step 9. At step 10 PyTorch's
        // extrapolation gives 1 + (4e-6 - 1)·8/7 = -0.1428..., a negative rate; here it stops at 0.
        var sgd = Sgd();
        var scheduler = new OneCycleLR(sgd, maxLr: 1.0, totalSteps: 10, annealStrategy: "linear");
        double[] expected = [0.04, 0.52, 1.0, 0.8571434285714286, 0.7142868571428571, 0.5714302857142857, 0.42857371428571434,
            0.2857171428571429, 0.14286057142857145, 4e-6, 0];
        var (lrs, momenta) = Run(sgd, scheduler, 10, g => g.Momentum);
        Assert.That(lrs, Is.EqualTo(expected).Within(1e-12));
        Assert.That(momenta.Take(4), Is.EqualTo(new[] { 0.95, 0.9, 0.85, Linear(0.85, 0.95, 1 / 7.0) }).Within(1e-12));
    }

    [Test]
    public void ThreePhase_RisesFallsBackThenAnnihilates()
    {
        // three_phase=True, linear: phases end at 2, 2·0.3·10 - 2 = 4 and 9: 0.04 → 1 → 0.04 → 4e-6; momentum 0.95 → 0.85 → 0.95, then stays.
        var sgd = Sgd();
        var scheduler = new OneCycleLR(sgd, maxLr: 1.0, totalSteps: 10, annealStrategy: "linear", threePhase: true);
        double[] expected = [0.04, 0.52, 1.0, 0.52, 0.04, 0.0320008, 0.0240016, 0.0160024, 0.0080032, 4e-6, 0];
        var (lrs, momenta) = Run(sgd, scheduler, 10, g => g.Momentum);
        Assert.That(lrs, Is.EqualTo(expected).Within(1e-12));
        Assert.That(momenta, Is.EqualTo(new[] { 0.95, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95 }).Within(1e-12));
    }

    [Test]
    public void Adam_CyclesBeta1_AndKeepsBeta2()
    {
        var adam = new Adam([Tensor.Ones(1).RequireGrad()], lr: 0.1, beta2: 0.99);
        var scheduler = new OneCycleLR(adam, maxLr: 0.01, totalSteps: 4, pctStart: 0.5, baseMomentum: 0.8, maxMomentum: 0.9);
        // Phase 1 ends at 0.5·4 - 1 = 1: step 0 at the start, step 1 at the peak.
        Assert.That((adam.Lr, adam.ParamGroups[0].Beta1), Is.EqualTo((0.01 / 25, 0.9)).Within(1e-15));
        scheduler.Step();
        Assert.That((adam.Lr, adam.ParamGroups[0].Beta1, adam.ParamGroups[0].Beta2), Is.EqualTo((0.01, 0.8, 0.99)).Within(1e-15));
    }

    [Test]
    public void SGDWithoutMomentum_GetsTheCycledMomentum_AsInPyTorch_UnlessCycleMomentumIsOff()
    {
        var plain = Sgd(momentum: 0);
        _ = new OneCycleLR(plain, maxLr: 0.1, totalSteps: 10);
        Assert.That(plain.ParamGroups[0].Momentum, Is.EqualTo(0.95));
        var off = Sgd(momentum: 0);
        _ = new OneCycleLR(off, maxLr: 0.1, totalSteps: 10, cycleMomentum: false);
        Assert.That(off.ParamGroups[0].Momentum, Is.EqualTo(0));
    }

    [Test]
    public void EachGroup_CyclesItsOwnPeakRate()
    {
        var sgd = new SGD([new ParamGroup([Tensor.Ones(1).RequireGrad()]), new ParamGroup([Tensor.Ones(1).RequireGrad()], lr: 3)], lr: 0.5);
        var scheduler = new OneCycleLR(sgd, maxLrs: [1.0, 0.1], totalSteps: 10, cycleMomentum: false);
        Assert.That(sgd.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { 0.04, 0.004 }).Within(1e-15));
        Assert.That(scheduler.BaseLrs, Is.EqualTo(new[] { 0.04, 0.004 }).Within(1e-15));
        scheduler.Step();
        scheduler.Step();
        Assert.That(sgd.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { 1.0, 0.1 }).Within(1e-15));
        AssertThrows<ArgumentException>(() => new OneCycleLR(sgd, maxLrs: [1.0], totalSteps: 10), "OneCycleLR", "1 maxLrs for 2 parameter groups");
    }

    [Test]
    public void StateDict_ResumesMidCycle()
    {
        var sgd = Sgd();
        var scheduler = new OneCycleLR(sgd, maxLr: 1.0, totalSteps: 10);
        for (int i = 0; i < 4; i++) scheduler.Step();
        var (optState, state) = (sgd.StateDict(), scheduler.StateDict());
        scheduler.Step();

        var resumed = Sgd();
        var resumedScheduler = new OneCycleLR(resumed, maxLr: 1.0, totalSteps: 10);
        resumed.LoadStateDict(optState);                                  // the rate and the cycled momentum
        resumedScheduler.LoadStateDict(state);
        resumedScheduler.Step();
        Assert.That((resumed.Lr, resumed.ParamGroups[0].Momentum), Is.EqualTo((sgd.Lr, sgd.ParamGroups[0].Momentum)));
        state["last_epoch"] = Tensor.Scalar(11, DType.Float64);
        AssertThrows<ArgumentException>(() => resumedScheduler.LoadStateDict(state), "OneCycleLR", "last_epoch 11", "totalSteps is 10");
        Assert.That(resumedScheduler.LastEpoch, Is.EqualTo(5), "nothing changed");
    }

    /// <summary>An optimizer with a learning rate and nothing else, as a user's own subclass.</summary>
    private sealed class PlainOptimizer(IEnumerable<Tensor> parameters) : Optimizer("Plain", parameters, 0.1)
    {
        protected override void Update(int index, Tensor parameter, Tensor grad) { }
    }

    [Test]
    public void Throws_ForBadArguments()
    {
        AssertThrows<ArgumentException>(() => new OneCycleLR(Sgd(), 1.0, totalSteps: 0), "OneCycleLR", "totalSteps must be positive, got 0");
        AssertThrows<ArgumentException>(() => new OneCycleLR(Sgd(), 1.0, 10, pctStart: 1.5), "OneCycleLR", "pctStart must be in [0, 1], got 1.5");
        AssertThrows<ArgumentException>(() => new OneCycleLR(Sgd(), 1.0, 10, annealStrategy: "cosine"), "OneCycleLR", "\"cos\" or \"linear\"", "\"cosine\"");
        AssertThrows<ArgumentException>(() => new OneCycleLR(Sgd(), -1.0, 10), "OneCycleLR", "maxLr must be non-negative");
        AssertThrows<ArgumentException>(() => new OneCycleLR(Sgd(), 1.0, 10, divFactor: 0), "OneCycleLR", "divFactor must be positive");
        AssertThrows<ArgumentException>(() => new OneCycleLR(Sgd(), 1.0, 10, pctStart: 0.1), "OneCycleLR", "phase 1 of 2 with no steps");
        AssertThrows<ArgumentException>(() => new OneCycleLR(Sgd(), 1.0, 10, pctStart: 1.0), "OneCycleLR", "phase 2 of 2 with no steps");
        AssertThrows<ArgumentException>(() => new OneCycleLR(new Adam([Tensor.Ones(1).RequireGrad()]), 1.0, 10, maxMomentum: 1.0),
            "OneCycleLR", "maxMomentum must be in [0, 1)");
        AssertThrows<ArgumentException>(() => new OneCycleLR(new PlainOptimizer([Tensor.Ones(1).RequireGrad()]), 1.0, 10),
            "OneCycleLR", "momentum or beta1", "Plain has neither", "cycleMomentum: false");
        Assert.DoesNotThrow(() => new OneCycleLR(new PlainOptimizer([Tensor.Ones(1).RequireGrad()]), 1.0, 10, cycleMomentum: false));
    }
}
