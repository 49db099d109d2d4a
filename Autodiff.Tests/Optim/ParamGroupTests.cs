using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.Optim.SmallClassifier;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>Parameter groups (Autodiff.NN/Optim/ParamGroup.cs, Optimizer.cs): per-group hyper-parameters as PyTorch's
/// <c>param_groups</c>, checked against hand-computed PyTorch update formulas.</summary>
public class ParamGroupTests
{
    private static Tensor Param(params double[] values) => Tensor.FromArray(values, values.Length).RequireGrad();

    [Test]
    public void AdamW_TwoGroups_FollowThePyTorchFormula_EachWithItsOwnLrAndDecay()
    {
        // torch.optim.AdamW([{"params": [w], "weight_decay": 0.1}, {"params": [b], "lr": 0.05, "weight_decay": 0.0}], lr=0.1)
        var w = Param(1.0, -0.5);
        var b = Param(0.25);
        var adamW = new AdamW([new ParamGroup([w], weightDecay: 0.1), new ParamGroup([b], lr: 0.05, weightDecay: 0)], lr: 0.1);
        double[][] theta = [[1.0, -0.5], [0.25]], m = [[0, 0], [0]], v = [[0, 0], [0]];
        double[] lr = [0.1, 0.05], wd = [0.1, 0.0];
        for (int t = 1; t <= 4; t++)
        {
            adamW.ZeroGrad();
            ((w * w * w).Sum() + (b * b).Sum() * 3.0).Backward();          // ∇w = 3w², ∇b = 6b
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < theta[k].Length; i++)
                {
                    double g = k == 0 ? 3 * theta[k][i] * theta[k][i] : 6 * theta[k][i];
                    theta[k][i] *= 1 - lr[k] * wd[k];                       // θ ← θ(1 - lr·λ), per group
                    m[k][i] = 0.9 * m[k][i] + (1 - 0.9) * g;
                    v[k][i] = 0.999 * v[k][i] + (1 - 0.999) * g * g;
                    theta[k][i] -= lr[k] * (m[k][i] / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(v[k][i] / (1 - Math.Pow(0.999, t))) + 1e-8);
                }
            adamW.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta[0]).Within(1e-14), $"w, step {t}");
            Assert.That(b.ToDoubleArray(), Is.EqualTo(theta[1]).Within(1e-14), $"b, step {t}");
        }
    }

    [Test]
    public void SGD_TwoGroups_FollowThePyTorchFormula_WithMomentumFromTheOptimizerAndOwnValues()
    {
        // torch.optim.SGD([{"params": [a], "weight_decay": 0.01, "momentum": 0.9}, {"params": [c], "lr": 0.01}], lr=0.1, momentum=0.5)
        var a = Param(2.0, -1.0);
        var c = Param(0.5);
        var sgd = new SGD([new ParamGroup([a], weightDecay: 0.01, momentum: 0.9), new ParamGroup([c], lr: 0.01)], lr: 0.1, momentum: 0.5);
        double[][] theta = [[2.0, -1.0], [0.5]], buffer = [[0, 0], [0]];
        double[] lr = [0.1, 0.01], mu = [0.9, 0.5], wd = [0.01, 0];
        for (int t = 1; t <= 3; t++)
        {
            sgd.ZeroGrad();
            ((a * a).Sum() + (c * c * c).Sum()).Backward();                // ∇a = 2a, ∇c = 3c²
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < theta[k].Length; i++)
                {
                    double g = (k == 0 ? 2 * theta[k][i] : 3 * theta[k][i] * theta[k][i]) + wd[k] * theta[k][i];
                    buffer[k][i] = t == 1 ? g : mu[k] * buffer[k][i] + g;  // b ← g, then μb + g (dampening 0)
                    theta[k][i] -= lr[k] * buffer[k][i];
                }
            sgd.Step();
            Assert.That(a.ToDoubleArray(), Is.EqualTo(theta[0]).Within(1e-14), $"a, step {t}");
            Assert.That(c.ToDoubleArray(), Is.EqualTo(theta[1]).Within(1e-14), $"c, step {t}");
        }
    }

    [Test]
    public void RMSprop_GroupsKeepTheirOwnAlphaAndCentered()
    {
        // Group 1 centered with α 0.9, group 0 plain with the optimizer's α 0.99: one step from zero state each.
        var a = Param(1.0);
        var c = Param(1.0);
        var rms = new RMSprop([new ParamGroup([a]), new ParamGroup([c], alpha: 0.9, centered: true)], lr: 0.01, eps: 0);
        a.Grad = Tensor.FromArray([2.0], 1);
        c.Grad = Tensor.FromArray([2.0], 1);
        rms.Step();
        Assert.That(a.ItemDouble(), Is.EqualTo(1 - 0.01 * 2 / Math.Sqrt(0.01 * 4)).Within(1e-14));                  // v = (1-α)g²
        Assert.That(c.ItemDouble(), Is.EqualTo(1 - 0.01 * 2 / Math.Sqrt(0.1 * 4 - 0.2 * 0.2)).Within(1e-14));  // v - ḡ², ḡ = (1-α)g
    }

    [Test]
    public void Groups_AreTheObjectsPassed_FilledInWithTheOptimizersValues()
    {
        var decay = new ParamGroup([Param(1.0)], weightDecay: 0.05);
        var noDecay = new ParamGroup([Param(2.0), Param(3.0)], weightDecay: 0, lr: 1e-4);
        var adamW = new AdamW([decay, noDecay], lr: 1e-3, beta2: 0.95, amsgrad: true);
        Assert.That(adamW.ParamGroups, Is.EqualTo(new[] { decay, noDecay }).AsCollection);
        Assert.That((decay.Lr, decay.WeightDecay, decay.Beta1, decay.Beta2, decay.Eps, decay.Amsgrad), Is.EqualTo((1e-3, 0.05, 0.9, 0.95, 1e-8, true)));
        Assert.That((noDecay.Lr, noDecay.WeightDecay), Is.EqualTo((1e-4, 0.0)));
        Assert.That(adamW.Parameters, Has.Count.EqualTo(3));
        Assert.That(adamW.Parameters[1], Is.SameAs(noDecay.Parameters[0]));
        Assert.That(noDecay.ToString(), Is.EqualTo("ParamGroup(2 parameters, lr: 0.0001, beta1: 0.9, beta2: 0.95, eps: 1E-08, weightDecay: 0, amsgrad: true)"));
    }

    [Test]
    public void SettingAGroupsLr_ChangesOnlyThatGroupsNextStep()
    {
        var a = Param(1.0);
        var c = Param(1.0);
        var sgd = new SGD([new ParamGroup([a]), new ParamGroup([c])], lr: 0.1);
        sgd.ParamGroups[1].Lr = 0.5;                                       // PyTorch: optimizer.param_groups[1]["lr"] = 0.5
        a.Grad = Tensor.FromArray([1.0], 1);
        c.Grad = Tensor.FromArray([1.0], 1);
        sgd.Step();
        Assert.That((a.ItemDouble(), c.ItemDouble()), Is.EqualTo((0.9, 0.5)));
    }

    [Test]
    public void Lr_IsTheSharedRate_AndFailsLoudlyWhenTheGroupsDiffer()
    {
        var sgd = new SGD([new ParamGroup([Param(1.0)], weightDecay: 0.1), new ParamGroup([Param(1.0)])], lr: 0.1);
        Assert.That(sgd.Lr, Is.EqualTo(0.1));
        sgd.Lr = 0.2;                                                       // sets every group's
        Assert.That(sgd.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { 0.2, 0.2 }));
        sgd.ParamGroups[0].Lr = 0.3;
        AssertThrows<InvalidOperationException>(() => _ = sgd.Lr, "SGD", "2 parameter groups", "0.3, 0.2", "ParamGroups[i].Lr");
        AssertThrows<InvalidOperationException>(() => sgd.Lr = 0.1, "SGD", "different learning rates");
    }

    [Test]
    public void AParameterInTwoGroups_Throws_NamingItAndBothGroups()
    {
        var shared = Tensor.Zeros(2, 3).RequireGrad();
        shared.Name = "fc.weight";
        AssertThrows<ArgumentException>(() => new AdamW([new ParamGroup([Param(1.0), shared]), new ParamGroup([shared], weightDecay: 0)]),
            "AdamW", "fc.weight", "group 0", "group 1", "more than one parameter group");
    }

    [Test]
    public void AParameterTwiceInOneGroup_Throws_AsForAList()
    {
        var p = Param(1.0);
        AssertThrows<ArgumentException>(() => new SGD([new ParamGroup([p, p])], lr: 0.1), "SGD", "parameter 1", "same tensor as parameter 0", "twice");
    }

    [Test]
    public void AGroupSettingAHyperParameterTheOptimizerLacks_Throws_NamingIt()
    {
        AssertThrows<ArgumentException>(() => new SGD([new ParamGroup([Param(1.0)]), new ParamGroup([Param(1.0)], beta1: 0.8)], lr: 0.1),
            "SGD", "group 1 sets beta1", "SGD does not have", "lr, momentum, dampening, weightDecay, nesterov");
        var sgd = new SGD([Param(1.0)], lr: 0.1);
        AssertThrows<InvalidOperationException>(() => _ = sgd.ParamGroups[0].Beta1, "SGD", "group 0 has no beta1");
        AssertThrows<InvalidOperationException>(() => sgd.ParamGroups[0].Amsgrad = true, "SGD", "group 0 has no amsgrad");
    }

    [TestCase(-0.1, "weightDecay must be non-negative, got -0.1")]
    [TestCase(double.NaN, "weightDecay must be non-negative, got NaN")]
    public void AGroupValueOutOfRange_Throws_NamingTheGroup(double weightDecay, string message) =>
        AssertThrows<ArgumentException>(() => new AdamW([new ParamGroup([Param(1.0)]), new ParamGroup([Param(1.0)], weightDecay: weightDecay)]),
            "AdamW", "group 1's " + message);

    [Test]
    public void SettingAGroupValueOutOfRange_Throws_AndKeepsTheValue()
    {
        var adam = new Adam([new ParamGroup([Param(1.0)]), new ParamGroup([Param(1.0)])]);
        AssertThrows<ArgumentException>(() => adam.ParamGroups[1].Beta1 = 1.0, "Adam", "group 1's beta1 must be in [0, 1), got 1");
        AssertThrows<ArgumentException>(() => adam.ParamGroups[0].Lr = -1, "Adam", "group 0's lr must be non-negative");
        Assert.That((adam.ParamGroups[1].Beta1, adam.ParamGroups[0].Lr), Is.EqualTo((0.9, 1e-3)));
    }

    [Test]
    public void SGD_NesterovIsCheckedPerGroup()
    {
        AssertThrows<ArgumentException>(() => new SGD([new ParamGroup([Param(1.0)], nesterov: true), new ParamGroup([Param(1.0)], nesterov: true, momentum: 0)],
            lr: 0.1, momentum: 0.9), "SGD", "group 1", "nesterov needs momentum > 0", "got momentum 0");
        Assert.DoesNotThrow(() => new SGD([new ParamGroup([Param(1.0)], nesterov: true, momentum: 0.9), new ParamGroup([Param(1.0)])], lr: 0.1));
    }

    [Test]
    public void AnUnsetValue_CannotBeReadBeforeAnOptimizerTakesTheGroup()
    {
        var group = new ParamGroup([Param(1.0)], lr: 0.1);
        Assert.That(group.Lr, Is.EqualTo(0.1));
        AssertThrows<InvalidOperationException>(() => _ = group.WeightDecay, "ParamGroup", "weightDecay is not set", "optimizer's value");
    }

    [Test]
    public void AGroup_BelongsToOneOptimizer_AndAFailedConstructorDoesNotClaimIt()
    {
        var group = new ParamGroup([Param(1.0)]);
        Assert.Throws<ArgumentException>(() => new SGD([group], lr: -1));
        var sgd = new SGD([group], lr: 0.1);                                // the failed one left the group free
        AssertThrows<ArgumentException>(() => new SGD([group], lr: 0.1), "SGD", "group 0 already belongs to an optimizer (SGD)");
        AssertThrows<ArgumentException>(() => new SGD([new ParamGroup([Param(1.0)]), group], lr: 0.1), "SGD", "group 1 already belongs");
        var g2 = new ParamGroup([Param(1.0)]);
        AssertThrows<ArgumentException>(() => new SGD([g2, g2], lr: 0.1), "SGD", "group 1 is the same ParamGroup as group 0");
        Assert.That(sgd.ParamGroups[0], Is.SameAs(group));
    }

    [Test]
    public void EmptyGroups_AreAccepted_ButNotNoParametersAtAll()
    {
        var p = Param(1.0);
        var sgd = new SGD([new ParamGroup([p]), new ParamGroup([], weightDecay: 0)], lr: 0.1);
        p.Grad = Tensor.FromArray([1.0], 1);
        sgd.Step();
        Assert.That(p.ItemDouble(), Is.EqualTo(0.9));
        AssertThrows<ArgumentException>(() => new SGD([new ParamGroup([])], lr: 0.1), "SGD", "got an empty parameter list");
        AssertThrows<ArgumentException>(() => new SGD(Array.Empty<ParamGroup>(), lr: 0.1), "SGD", "got an empty parameter list");
        Assert.Throws<ArgumentNullException>(() => new SGD([new ParamGroup([Param(1.0)]), null!], lr: 0.1));
        Assert.Throws<ArgumentNullException>(() => new SGD([new ParamGroup([Param(1.0), null!])], lr: 0.1));
    }

    [Test]
    public void TheUsualNoDecayOnBiasesAndNorms_Setup_TrainsAndLeavesBiasesUndecayed()
    {
        // With zero gradients AdamW only decays: weights shrink by lr·λ, biases (the no-decay group) stay.
        var model = Net(3);
        var named = model.NamedParameters().ToArray();
        var weights = named.Where(p => p.Parameter.Rank >= 2).Select(p => p.Parameter).ToArray();
        var biases = named.Where(p => p.Parameter.Rank < 2).Select(p => p.Parameter).ToArray();
        var adamW = new AdamW([new ParamGroup(weights, weightDecay: 0.5), new ParamGroup(biases, weightDecay: 0)], lr: 0.1f);
        var before = Values(model);
        foreach (var p in model.Parameters()) p.Grad = Tensor.Zeros(p.Shape.ToArray());
        adamW.Step();
        var after = Values(model);
        Assert.That(after[0], Is.EqualTo(before[0].Select(x => x * (1 - 0.1f * 0.5f))).Within(1e-7), "weight decayed");
        Assert.That(after[1], Is.EqualTo(before[1]), "bias untouched");
        Train(model, adamW, 3);
        Assert.That(Values(model)[1], Is.Not.EqualTo(before[1]), "biases train");
    }

    private static (Sequential Model, AdamW Optimizer) GroupedAdamW(long seed)
    {
        var model = Net(seed);
        var weights = model.Parameters().Where(p => p.Rank >= 2);
        var biases = model.Parameters().Where(p => p.Rank < 2);
        return (model, new AdamW([new ParamGroup(weights, weightDecay: 0.1), new ParamGroup(biases, weightDecay: 0, lr: 0.02)], lr: 0.01, amsgrad: true));
    }

    [Test]
    public void StateDict_KeepsTheGroups_AndResumesBitExactly()
    {
        var (modelA, optA) = GroupedAdamW(1);
        Train(modelA, optA, 3);
        optA.ParamGroups[1].Lr = 0.005;                                     // a group's changed rate is state too
        optA.ParamGroups[0].Beta1 = 0.8;
        var (modelState, optState) = (modelA.StateDict(), optA.StateDict());
        Assert.That(optState.Keys, Does.Not.Contain("lr"), "two groups: no single lr");
        Assert.That(optState["param_groups.1.lr"].ItemDouble(), Is.EqualTo(0.005));
        Assert.That(optState["param_groups.0.params"].ItemDouble(), Is.EqualTo(2));
        Assert.That(optState["param_groups.0.weight_decay"].ItemDouble(), Is.EqualTo(0.1));
        Assert.That(optState.Keys, Does.Contain("0.max_exp_avg_sq"));
        Train(modelA, optA, 2);

        var (modelB, optB) = GroupedAdamW(50);
        modelB.LoadStateDict(modelState);
        optB.LoadStateDict(optState);
        Assert.That((optB.ParamGroups[1].Lr, optB.ParamGroups[0].Beta1), Is.EqualTo((0.005, 0.8)));
        Train(modelB, optB, 2);
        Assert.That(Values(modelB), Is.EqualTo(Values(modelA)));
    }

    [Test]
    public void LoadStateDict_IntoOtherGroups_Throws_NamingTheSizes_AndChangesNothing()
    {
        var (model, grouped) = GroupedAdamW(1);
        Train(model, grouped, 1);
        var single = new AdamW(Net(2).Parameters(), lr: 0.01);
        AssertThrows<ArgumentException>(() => single.LoadStateDict(grouped.StateDict()), "AdamW", "2 parameter groups of [2, 2]", "has 1 of [4]");
        var (_, other) = GroupedAdamW(3);
        AssertThrows<ArgumentException>(() => other.LoadStateDict(single.StateDict()), "AdamW", "1 parameter group of [4]", "has 2 of [2, 2]");
        var state = grouped.StateDict();
        state["param_groups.1.momentum"] = Tensor.Scalar(0.9, DType.Float64);
        AssertThrows<ArgumentException>(() => other.LoadStateDict(state), "AdamW", "'param_groups.1.momentum'", "not a hyper-parameter of AdamW");
        state = grouped.StateDict();
        state["param_groups.0.beta2"] = Tensor.Scalar(1.5, DType.Float64);
        AssertThrows<ArgumentException>(() => other.LoadStateDict(state), "AdamW", "'param_groups.0.beta2'", "beta2 must be in [0, 1), got 1.5");
        Assert.That(other.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { 0.01, 0.02 }), "nothing changed");
        Assert.That(other.StateDict().Keys.Where(k => char.IsDigit(k[0])), Is.Empty);
    }

    [Test]
    public void LoadStateDict_OfAnOlderSingleGroupState_RestoresItsLr()
    {
        // A state saved before groups were: "lr" and the parameters' buffers only.
        var model = Net(1);
        var sgd = new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
        Train(model, sgd, 1);
        var old = sgd.StateDict().Where(p => !p.Key.StartsWith("param_groups.", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value);
        old["lr"] = Tensor.Scalar(0.03, DType.Float64);
        var resumed = new SGD(Net(1).Parameters(), lr: 0.1, momentum: 0.9);
        resumed.LoadStateDict(old);
        Assert.That(resumed.Lr, Is.EqualTo(0.03));
        var (_, grouped) = GroupedAdamW(1);
        AssertThrows<ArgumentException>(() => grouped.LoadStateDict(new Dictionary<string, Tensor> { ["lr"] = Tensor.Scalar(0.1, DType.Float64) }),
            "AdamW", "one lr", "2 parameter groups");
    }

    [Test]
    public void Schedulers_ScaleEachGroupsOwnBaseRate()
    {
        // torch: StepLR(SGD([{"params": a}, {"params": c, "lr": 0.01}], lr=0.1), step_size=1, gamma=0.5).base_lrs == [0.1, 0.01]
        var sgd = new SGD([new ParamGroup([Param(1.0)]), new ParamGroup([Param(1.0)], lr: 0.01)], lr: 0.1);
        var step = new StepLR(sgd, stepSize: 1, gamma: 0.5);
        Assert.That(step.BaseLrs, Is.EqualTo(new[] { 0.1, 0.01 }));
        step.Step();
        step.Step();
        Assert.That(sgd.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { 0.1 * 0.25, 0.01 * 0.25 }));
        Assert.That(step.LastLr, Is.EqualTo(new[] { 0.1 * 0.25, 0.01 * 0.25 }));

        var adam = new Adam([new ParamGroup([Param(1.0)], lr: 0.2), new ParamGroup([Param(1.0)], lr: 0.02)]);
        var cosine = new CosineAnnealingLR(adam, tMax: 4, etaMin: 0.001);
        cosine.Step();
        double Cos(double baseLr) => 0.001 + (baseLr - 0.001) * (1 + Math.Cos(Math.PI / 4)) / 2;    // ηmin is absolute, per group
        Assert.That(adam.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { Cos(0.2), Cos(0.02) }));

        adam.ParamGroups[1].Lr = 0.5;
        AssertThrows<InvalidOperationException>(cosine.Step, "CosineAnnealingLR", "group 1 lr is 0.5");
    }

    [Test]
    public void SchedulerStateDict_KeepsEveryGroupsBase()
    {
        var sgd = new SGD([new ParamGroup([Param(1.0)]), new ParamGroup([Param(1.0)], lr: 0.01)], lr: 0.1);
        var step = new StepLR(sgd, stepSize: 2, gamma: 0.5);
        for (int i = 0; i < 3; i++) step.Step();
        var (optState, state) = (sgd.StateDict(), step.StateDict());
        Assert.That(state["base_lrs.1"].ItemDouble(), Is.EqualTo(0.01));

        var resumed = new SGD([new ParamGroup([Param(1.0)]), new ParamGroup([Param(1.0)], lr: 0.01)], lr: 0.1);
        resumed.LoadStateDict(optState);
        var resumedStep = new StepLR(resumed, stepSize: 2, gamma: 0.5);
        resumedStep.LoadStateDict(state);
        resumedStep.Step();
        Assert.That(resumed.ParamGroups.Select(g => g.Lr), Is.EqualTo(new[] { 0.1 * 0.25, 0.01 * 0.25 }));
        AssertThrows<ArgumentException>(() => new StepLR(new SGD([Param(1.0)], lr: 0.1), 2).LoadStateDict(state), "StepLR", "2 parameter groups", "has 1");
    }
}
