using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>ReduceLROnPlateau (Autodiff.NN/Optim/ReduceLROnPlateau.cs), traced by hand through PyTorch's step().</summary>
public class ReduceLROnPlateauTests
{
    private static SGD Sgd(double lr = 1.0) => new([Tensor.Ones(1).RequireGrad()], lr: lr);

    private static List<double> Feed(ReduceLROnPlateau scheduler, double[] metrics)
    {
        var rates = new List<double>();
        foreach (double m in metrics) { scheduler.Step(m); rates.Add(scheduler.Optimizer.Lr); }
        return rates;
    }

    [Test]
    public void Min_Rel_WithPatienceAndCooldown()
    {
        // mode "min", factor 0.5, patience 2, threshold 0.1 ("rel": better means < best·0.9), cooldown 1; lr 1:
        // e1 10 (best 10) | e2 9.5, e3 9.2 (not < 9: bad 1, 2) | e4 9.1 (bad 3 > 2: lr 0.5, cooldown 1) | e5 8.0 (best 8;
        // cooldown 1 -> 0) | e6, e7 8.0 (bad 1, 2) | e8 8.0 (bad 3: lr 0.25, cooldown 1) | e9 8.0 (cooldown: bad reset) | e10 (bad 1)
        var scheduler = new ReduceLROnPlateau(Sgd(), mode: "min", factor: 0.5, patience: 2, threshold: 0.1, cooldown: 1);
        var rates = Feed(scheduler, [10, 9.5, 9.2, 9.1, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0]);
        Assert.That(rates, Is.EqualTo(new[] { 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25 }));
        Assert.That((scheduler.Best, scheduler.NumBadEpochs, scheduler.CooldownCounter, scheduler.LastEpoch), Is.EqualTo((8.0, 1, 0, 10)));
        Assert.That(scheduler.LastLr, Is.EqualTo(new[] { 0.25 }));
    }

    [Test]
    public void Max_Abs_WithZeroPatience()
    {
        // mode "max", threshold 0.5 "abs" (better means > best + 0.5), patience 0, factor 0.1:
        // e1 1 (best 1) | e2 2 (> 1.5: best 2) | e3 2.4 (not > 2.5: bad 1 > 0, lr 0.1) | e4 3 (> 2.5: best 3)
        var scheduler = new ReduceLROnPlateau(Sgd(), mode: "max", patience: 0, threshold: 0.5, thresholdMode: "abs");
        Assert.That(Feed(scheduler, [1, 2, 2.4, 3]), Is.EqualTo(new[] { 1, 1, 0.1, 0.1 }).Within(1e-15));
        Assert.That(scheduler.Best, Is.EqualTo(3));
    }

    [Test]
    public void MinLr_BoundsTheRate_AndAChangeBelowEpsIsSkipped()
    {
        // patience 0: every non-improving epoch reduces; lr 1 -> 0.5 -> max(0.25, 0.3) = 0.3 -> max(0.15, 0.3) = 0.3 (no change)
        var scheduler = new ReduceLROnPlateau(Sgd(), factor: 0.5, patience: 0, minLr: 0.3);
        Assert.That(Feed(scheduler, [1, 1, 1, 1]), Is.EqualTo(new[] { 1, 0.5, 0.3, 0.3 }));
        // eps 0.2: 1 -> 0.5 (a change of 0.5 > 0.2), 0.5 -> 0.25 (0.25 > 0.2), then 0.25 -> 0.125 is skipped (0.125 < 0.2)
        var coarse = new ReduceLROnPlateau(Sgd(), factor: 0.5, patience: 0, eps: 0.2);
        Assert.That(Feed(coarse, [1, 1, 1, 1]), Is.EqualTo(new[] { 1, 0.5, 0.25, 0.25 }));
    }

    [Test]
    public void NaN_NeverImproves()
    {
        var scheduler = new ReduceLROnPlateau(Sgd(), patience: 1);
        Assert.That(Feed(scheduler, [1, double.NaN, double.NaN]), Is.EqualTo(new[] { 1, 1, 0.1 }).Within(1e-15));
    }

    [Test]
    public void Groups_AreEachReducedFromTheirOwnRate_DownToTheirOwnMinimum()
    {
        var sgd = new SGD([new ParamGroup([Tensor.Ones(1).RequireGrad()]), new ParamGroup([Tensor.Ones(1).RequireGrad()], lr: 0.1)], lr: 1);
        var scheduler = new ReduceLROnPlateau(sgd, "min", 0.5, 0, 1e-4, "rel", 0, minLrs: [0, 0.08]);
        scheduler.Step(1);
        scheduler.Step(1);
        Assert.That(sgd.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { 0.5, 0.08 }));
    }

    [Test]
    public void KeepsARateSetByHand_AndStepWithoutAMetricFails()
    {
        var sgd = Sgd();
        var scheduler = new ReduceLROnPlateau(sgd, patience: 0);
        scheduler.Step(1);
        sgd.Lr = 0.3;                                                    // PyTorch's ReduceLROnPlateau reads the current rate
        scheduler.Step(2);
        Assert.That(sgd.Lr, Is.EqualTo(0.03).Within(1e-15));
        AssertThrows<InvalidOperationException>(scheduler.Step, "ReduceLROnPlateau", "Step(metric)");
    }

    [Test]
    public void StateDict_ResumesTheCounters()
    {
        var sgd = Sgd();
        var scheduler = new ReduceLROnPlateau(sgd, factor: 0.5, patience: 2, cooldown: 2);
        Feed(scheduler, [5, 6, 6, 6, 4]);                                 // reduced at e4, cooldown 2 -> 1 at e5
        var (optState, state) = (sgd.StateDict(), scheduler.StateDict());
        var path = Path.Combine(Path.GetTempPath(), $"plateau-{Guid.NewGuid():N}.ckpt");
        try
        {
            var model = new Linear(1, 1);
            Checkpoint.SaveTraining(path, model, new SGD(model.Parameters(), lr: 0.1), scheduler);
            Assert.That(Checkpoint.Load(path).Select(e => e.Key), Does.Contain("scheduler.best").And.Contain("scheduler.cooldown_counter"));
        }
        finally { File.Delete(path); }
        var expected = Feed(scheduler, [4, 4, 4, 4, 4]);

        var resumed = Sgd();
        var resumedScheduler = new ReduceLROnPlateau(resumed, factor: 0.5, patience: 2, cooldown: 2);
        resumed.LoadStateDict(optState);
        resumedScheduler.LoadStateDict(state);
        Assert.That((resumedScheduler.Best, resumedScheduler.NumBadEpochs, resumedScheduler.CooldownCounter), Is.EqualTo((4.0, 0, 1)));
        Assert.That(Feed(resumedScheduler, [4, 4, 4, 4, 4]), Is.EqualTo(expected));
        state["num_bad_epochs"] = Tensor.Scalar(-1, DType.Float64);
        AssertThrows<ArgumentException>(() => resumedScheduler.LoadStateDict(state), "ReduceLROnPlateau", "num_bad_epochs", "-1");
    }

    [Test]
    public void Throws_ForBadArguments()
    {
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), mode: "minimum"), "ReduceLROnPlateau", "\"min\" or \"max\"", "\"minimum\"");
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), thresholdMode: "relative"), "ReduceLROnPlateau", "\"rel\" or \"abs\"");
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), factor: 1.0), "ReduceLROnPlateau", "factor must be in [0, 1), got 1");
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), patience: -1), "ReduceLROnPlateau", "patience");
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), cooldown: -1), "ReduceLROnPlateau", "cooldown");
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), threshold: double.NaN), "ReduceLROnPlateau", "threshold");
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), minLr: -0.1), "ReduceLROnPlateau", "minLr");
        AssertThrows<ArgumentException>(() => new ReduceLROnPlateau(Sgd(), "min", 0.1, 10, 1e-4, "rel", 0, minLrs: [0, 0]),
            "ReduceLROnPlateau", "2 minLrs for 1 parameter groups");
    }
}
