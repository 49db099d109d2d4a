using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.Optim.SmallClassifier;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Optim;

/// <summary>What every optimizer shares (Autodiff.NN/Optim/Optimizer.cs): double hyper-parameters as PyTorch's Python
/// floats, frozen parameters accepted and skipped, and messages that name the parameter.</summary>
public class OptimizerTests
{
    public static IEnumerable<TestCaseData> DoubleAndFloatHyperparameters()
    {
        TestCaseData Case(string name, Func<IEnumerable<Tensor>, Optimizer> withDoubles, Func<IEnumerable<Tensor>, Optimizer> withFloats) =>
            new TestCaseData(withDoubles, withFloats).SetArgDisplayNames(name);
        yield return Case("SGD", p => new SGD(p, lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
            p => new SGD(p, lr: 0.1f, momentum: 0.9f, dampening: 0.1f, weightDecay: 0.01f));
        yield return Case("SGD-nesterov", p => new SGD(p, lr: 0.07, momentum: 0.8, weightDecay: 0.03, nesterov: true),
            p => new SGD(p, lr: 0.07f, momentum: 0.8f, weightDecay: 0.03f, nesterov: true));
        yield return Case("Adam", p => new Adam(p, lr: 3e-4, beta1: 0.85, beta2: 0.99, eps: 1e-6, weightDecay: 0.01),
            p => new Adam(p, lr: 3e-4f, beta1: 0.85f, beta2: 0.99f, eps: 1e-6f, weightDecay: 0.01f));
        yield return Case("AdamW", p => new AdamW(p, lr: 0.013, weightDecay: 0.1), p => new AdamW(p, lr: 0.013f, weightDecay: 0.1f));
        yield return Case("RMSprop", p => new RMSprop(p, lr: 0.01, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.5, centered: true),
            p => new RMSprop(p, lr: 0.01f, alpha: 0.9f, eps: 1e-6f, weightDecay: 0.01f, momentum: 0.5f, centered: true));
    }

    [TestCaseSource(nameof(DoubleAndFloatHyperparameters))]
    public void DoubleHyperparameters_GiveFloat32ParametersTheSameBitsAsFloatLiterals(
        Func<IEnumerable<Tensor>, Optimizer> withDoubles, Func<IEnumerable<Tensor>, Optimizer> withFloats)
    {
        // A float32 parameter updates with the hyper-parameters rounded to float, and 1 - β, 1 - βᵗ come from the
        // rounded value, so lr: 0.1 and lr: 0.1f train a float32 model identically (and as before they were doubles).
        var (a, b) = (Net(), Net());
        Train(a, withDoubles(a.Parameters()), 4);
        Train(b, withFloats(b.Parameters()), 4);
        Assert.That(Values(a), Is.EqualTo(Values(b)));
        Assert.That(Values(a), Is.Not.EqualTo(Values(Net())), "the models trained");
    }

    [Test]
    public void SGD_Float64Parameter_UsesTheFullDoubleLearningRate()
    {
        var w = Tensor.FromArray([1.0], 1).RequireGrad();
        var sgd = new SGD([w], lr: 0.1);
        w.Grad = Tensor.FromArray([2.0], 1);
        sgd.Step();
        Assert.That(w.ItemDouble(), Is.EqualTo(1 - 0.1 * 2.0));                 // 0.8, not 1 - 0.1f·2 = 0.79999999701
        Assert.That(w.ItemDouble(), Is.Not.EqualTo(1 - (double)0.1f * 2.0));
    }

    [Test]
    public void Adam_Float64Parameter_FollowsTheFormulaWithTheExactDoubles()
    {
        var w = Tensor.FromArray([1.0, -0.5], 2).RequireGrad();
        var adam = new Adam([w], lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01);
        double[] theta = [1.0, -0.5], m = [0, 0], v = [0, 0];
        for (int t = 1; t <= 3; t++)
        {
            double[] grad = [0.3 * t, -0.7 + t];
            w.Grad = Tensor.FromArray(grad, 2);
            for (int i = 0; i < 2; i++)
            {
                double g = grad[i] + 0.01 * theta[i];
                m[i] = 0.9 * m[i] + (1 - 0.9) * g;
                v[i] = 0.999 * v[i] + (1 - 0.999) * g * g;
                theta[i] -= 0.1 * (m[i] / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(v[i] / (1 - Math.Pow(0.999, t))) + 1e-8);
            }
            adam.Step();
            Assert.That(w.ToDoubleArray(), Is.EqualTo(theta).Within(1e-15), $"step {t}");   // float-rounded β would be ~1e-8 off
        }
    }

    [Test]
    public void Lr_RoundTripsTheExactDouble_ThroughStateDictAndACheckpointFile()
    {
        var model = Net();
        var adam = new Adam(model.Parameters(), lr: 0.1);
        Train(model, adam, 1);
        adam.Lr = 0.1 / 3;
        Assert.That(adam.StateDict()["lr"].DType, Is.EqualTo(DType.Float64));
        Assert.That(adam.StateDict()["lr"].ItemDouble(), Is.EqualTo(0.1 / 3));

        var other = new Adam(Net().Parameters(), lr: 0.5);
        other.LoadStateDict(adam.StateDict());
        Assert.That(other.Lr, Is.EqualTo(0.1 / 3));

        var path = Path.Combine(Path.GetTempPath(), "autodiff-optimizer-lr-" + Guid.NewGuid() + ".ckpt");
        try
        {
            Checkpoint.SaveTraining(path, model, adam);
            var model2 = Net();
            var fromFile = new Adam(model2.Parameters(), lr: 0.5);
            Checkpoint.LoadTraining(path, model2, fromFile);
            Assert.That(fromFile.Lr, Is.EqualTo(0.1 / 3));
        }
        finally { File.Delete(path); }
    }

    [TestCase(1.5, "Adam: beta1 must be in [0, 1), got 1.5.")]
    [TestCase(-0.25, "Adam: beta1 must be in [0, 1), got -0.25.")]
    public void Adam_DoubleBeta1OutOfRange_KeepsTheMessage(double beta1, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Adam([Tensor.Ones(1).RequireGrad()], beta1: beta1))!;
        Assert.That(ex.Message, Does.StartWith(message));
    }

    public static IEnumerable<TestCaseData> AllOptimizers()
    {
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new SGD(p, lr: 0.1, momentum: 0.9))).SetArgDisplayNames("SGD");
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new Adam(p, lr: 0.01))).SetArgDisplayNames("Adam");
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new AdamW(p, lr: 0.01))).SetArgDisplayNames("AdamW");
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new RMSprop(p, lr: 0.01))).SetArgDisplayNames("RMSprop");
    }

    [TestCaseSource(nameof(AllOptimizers))]
    public void FrozenParameters_AreAccepted_Skipped_AndTrainOnceUnfrozen(Func<IEnumerable<Tensor>, Optimizer> make)
    {
        var model = Net();
        var frozen = model.NamedParameters().Where(p => p.Name.StartsWith("0.", StringComparison.Ordinal)).Select(p => p.Parameter).ToArray();
        var trained = model.NamedParameters().Where(p => p.Name.StartsWith("2.", StringComparison.Ordinal)).Select(p => p.Parameter).ToArray();
        foreach (var p in frozen) p.RequiresGrad = false;
        var optimizer = make(model.Parameters());                    // PyTorch's fine-tuning line: all parameters, some frozen

        float[][] Snapshot(Tensor[] ps) => ps.Select(p => p.ToArray()).ToArray();
        var (frozenBefore, trainedBefore) = (Snapshot(frozen), Snapshot(trained));
        Train(model, optimizer, 2);
        Assert.That(Snapshot(frozen), Is.EqualTo(frozenBefore), "frozen layer unchanged");
        Assert.That(frozen.Select(p => p.Grad), Is.All.Null);
        Assert.That(Snapshot(trained), Is.Not.EqualTo(trainedBefore), "other layer trained");

        foreach (var p in frozen) p.RequiresGrad = true;             // unfreeze: the same optimizer now trains them
        Train(model, optimizer, 1);
        Assert.That(Snapshot(frozen)[0], Is.Not.EqualTo(frozenBefore[0]), "unfrozen weight trained");
        Assert.That(Snapshot(frozen)[1], Is.Not.EqualTo(frozenBefore[1]), "unfrozen bias trained");
    }

    [Test]
    public void Constructor_AcceptsAParameterThatDoesNotRequireGrad()
    {
        var sgd = new SGD([Tensor.Ones(2)], lr: 0.1);
        sgd.Step();                                                  // no grad: skipped, no error
        Assert.That(sgd.Parameters, Has.Count.EqualTo(1));
    }

    [Test]
    public void LoadStateDict_WithWrongShape_NamesTheParameterByItsLabel()
    {
        var w = Tensor.Zeros(4, 5).RequireGrad();
        w.Name = "fc.weight";
        var adam = new Adam([w], lr: 0.01);
        w.Grad = Tensor.Ones(4, 5);
        adam.Step();
        var state = adam.StateDict();
        state["0.exp_avg"] = Tensor.Zeros(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(state))!;
        Assert.That(ex.Message, Does.StartWith("Adam:").And.Contain("'0.exp_avg'").And.Contain("[3, 2]")
            .And.Contain("parameter 0").And.Contain(w.Label).And.Contain("fc.weight"));
    }

    [Test]
    public void Constructor_WithAnEmptyList_HintsAtRegistration()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Adam(new Sequential(new ReLU()).Parameters()))!;
        Assert.That(ex.Message, Does.StartWith("Adam: got an empty parameter list").And.Contain("model.Parameters()")
            .And.Contain("ModuleList").And.Contain("filtered out"));
        Assert.That(Assert.Throws<ArgumentException>(() => new SGD([], lr: 0.1))!.Message, Does.StartWith("SGD: got an empty parameter list"));
    }

    [Test]
    public void Constructor_WithTheSameTensorTwice_ThrowsNamingBoth()
    {
        // Passing two models' Parameters() that share a layer would update the shared weight twice per Step.
        var shared = new Linear(3, 2);
        shared.Weight.Name = "shared.weight";
        var a = new Sequential(shared, new ReLU());
        var b = new Sequential(shared);
        AssertThrows<ArgumentException>(() => new SGD(a.Parameters().Concat(b.Parameters()), lr: 0.1),
            "SGD", "parameter 2 (shared.weight[2, 3])", "same tensor as parameter 0", "twice");
    }
}
