using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Tests.Optim.SmallClassifier;

namespace Autodiff.Tests.Optim;

/// <summary>Optimizer.StateDict/LoadStateDict (Autodiff.NN/Optim/Optimizer.cs) and Checkpoint.SaveTraining/LoadTraining:
/// training resumed from saved state continues bit-exactly.</summary>
public class OptimizerStateTests
{
    private string _dir = "";

    [SetUp]
    public void MakeFolder() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "autodiff-optstate-" + Guid.NewGuid()));

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    public static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new SGD(p, lr: 0.1f, momentum: 0.9f, dampening: 0.1f, weightDecay: 1e-3f))).SetArgDisplayNames("SGD-momentum");
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new SGD(p, lr: 0.1f, momentum: 0.9f, nesterov: true))).SetArgDisplayNames("SGD-nesterov");
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new Adam(p, lr: 0.01f, weightDecay: 1e-3f))).SetArgDisplayNames("Adam");
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new AdamW(p, lr: 0.01f))).SetArgDisplayNames("AdamW");
        yield return new TestCaseData(new Func<IEnumerable<Tensor>, Optimizer>(p => new RMSprop(p, lr: 0.01f, momentum: 0.5f, centered: true))).SetArgDisplayNames("RMSprop");
    }

    private static Dictionary<string, double[]> Snapshot(Optimizer optimizer) =>
        optimizer.StateDict().ToDictionary(p => p.Key, p => p.Value.ToDoubleArray());

    [TestCaseSource(nameof(Optimizers))]
    public void StateDict_ThenLoadStateDict_ResumesBitExactly(Func<IEnumerable<Tensor>, Optimizer> make)
    {
        var modelA = Net(1);
        var optA = make(modelA.Parameters());
        Train(modelA, optA, 3);
        optA.Lr *= 0.5f;                                              // the rate is part of the state too
        var modelState = modelA.StateDict();
        var optState = optA.StateDict();
        Train(modelA, optA, 2);                                       // A: 3 + 2 steps without interruption

        var modelB = Net(50);
        var optB = make(modelB.Parameters());
        modelB.LoadStateDict(modelState);
        optB.LoadStateDict(optState);
        Assert.That(optB.Lr, Is.EqualTo(optA.Lr));
        Train(modelB, optB, 2);                                       // B: restored, then the same 2 steps

        Assert.That(Values(modelB), Is.EqualTo(Values(modelA)));
        Assert.That(Snapshot(optB), Is.EqualTo(Snapshot(optA)));

        var modelC = Net(50);                                         // the optimizer state matters: without it, C differs
        var optC = make(modelC.Parameters());
        modelC.LoadStateDict(modelState);
        optC.Lr = optA.Lr;
        Train(modelC, optC, 2);
        Assert.That(Values(modelC), Is.Not.EqualTo(Values(modelA)));
    }

    [TestCaseSource(nameof(Optimizers))]
    public void SaveTraining_ThenLoadTraining_ResumesBitExactly(Func<IEnumerable<Tensor>, Optimizer> make)
    {
        var path = Path.Combine(_dir, "training.ckpt");
        var modelA = Net(1);
        var optA = make(modelA.Parameters());
        Train(modelA, optA, 3);
        Checkpoint.SaveTraining(path, modelA, optA);
        Train(modelA, optA, 2);

        var modelB = Net(50);
        var optB = make(modelB.Parameters());
        Train(modelB, optB, 1);                                       // stale state that loading must replace
        Checkpoint.LoadTraining(path, modelB, optB);
        Assert.That(optB.StateDict().ToDictionary(p => p.Key, p => p.Value.Shape.ToArray()),
            Is.EqualTo(optA.StateDict().ToDictionary(p => p.Key, p => p.Value.Shape.ToArray())), "state shapes, scalars included");
        Train(modelB, optB, 2);

        Assert.That(Values(modelB), Is.EqualTo(Values(modelA)));
        Assert.That(Snapshot(optB), Is.EqualTo(Snapshot(optA)));
    }

    [Test]
    public void CheckpointSaveThenLoad_KeepsScalarShapes()
    {
        var path = Path.Combine(_dir, "scalars.ckpt");
        Checkpoint.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Scalar(2.5, DType.Float64), ["b"] = Tensor.Scalar(-1, DType.Float32), ["c"] = Tensor.FromArray([7.0], 1) });
        var loaded = Checkpoint.Load(path).ToDictionary(p => p.Key, p => p.Value);
        Assert.That(loaded["a"].Shape.ToArray(), Is.Empty);
        Assert.That(loaded["a"].ItemDouble(), Is.EqualTo(2.5));
        Assert.That(loaded["b"].Shape.ToArray(), Is.Empty);
        Assert.That(loaded["b"].DType, Is.EqualTo(DType.Float32));
        Assert.That(loaded["b"].Item(), Is.EqualTo(-1f));
        Assert.That(loaded["c"].Shape.ToArray(), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void StateDict_IsACopy_NotAViewOfTheLiveState()
    {
        var model = Net(1);
        var adam = new Adam(model.Parameters(), lr: 0.01f);
        Train(model, adam, 1);
        var saved = adam.StateDict();
        var before = saved.ToDictionary(p => p.Key, p => p.Value.ToDoubleArray());
        Train(model, adam, 1);
        Assert.That(saved.ToDictionary(p => p.Key, p => p.Value.ToDoubleArray()), Is.EqualTo(before));
        Assert.That(saved["0.step"].ItemDouble(), Is.EqualTo(1.0));
        Assert.That(adam.StateDict()["0.step"].ItemDouble(), Is.EqualTo(2.0));
    }

    [Test]
    public void StateDict_NamesStatesByParameterIndex()
    {
        var model = Net(1);
        var adam = new Adam(model.Parameters(), lr: 0.01f);
        Train(model, adam, 1);
        var keys = adam.StateDict().Keys;
        Assert.That(keys, Does.Contain("lr").And.Contain("0.exp_avg").And.Contain("3.exp_avg_sq").And.Contain("2.step"));
        Assert.That(adam.StateDict()["0.exp_avg"].Shape.ToArray(), Is.EqualTo(new[] { 4, 5 }));
    }

    [Test]
    public void LoadStateDict_WithWrongShape_Throws_NamingStateAndShapes_AndChangesNothing()
    {
        var model = Net(1);
        var adam = new Adam(model.Parameters(), lr: 0.01f);
        Train(model, adam, 2);
        var before = Snapshot(adam);
        double lrBefore = adam.Lr;

        var state = adam.StateDict();
        state["lr"] = Tensor.Scalar(0.5, DType.Float64);
        state["0.step"] = Tensor.Scalar(99, DType.Float64);
        state["0.exp_avg"] = Tensor.Zeros(2, 2);
        var ex = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(state))!;
        Assert.That(ex.Message, Does.StartWith("Adam:").And.Contain("'0.exp_avg'").And.Contain("[2, 2]").And.Contain("[4, 5]"));
        Assert.That(adam.Lr, Is.EqualTo(lrBefore));
        Assert.That(Snapshot(adam), Is.EqualTo(before));
    }

    [Test]
    public void LoadStateDict_WithUnknownParameterIndex_Throws_AndChangesNothing()
    {
        var model = Net(1);
        var sgd = new SGD(model.Parameters(), lr: 0.1f, momentum: 0.9f);
        Train(model, sgd, 1);
        var before = Snapshot(sgd);
        var state = sgd.StateDict();
        state["7.momentum_buffer"] = Tensor.Zeros(4, 5);
        var ex = Assert.Throws<ArgumentException>(() => sgd.LoadStateDict(state))!;
        Assert.That(ex.Message, Does.StartWith("SGD:").And.Contain("'7.momentum_buffer'"));
        Assert.That(Snapshot(sgd), Is.EqualTo(before));
    }

    [Test]
    public void LoadTraining_WhenOptimizerStateDoesNotFit_Throws_AndChangesNothing()
    {
        var path = Path.Combine(_dir, "training.ckpt");
        var modelA = Net(1);
        var optA = new Adam(modelA.Parameters(), lr: 0.01f);
        Train(modelA, optA, 2);
        Checkpoint.SaveTraining(path, modelA, optA);

        var other = new Sequential(new Linear(5, 4, generator: new Generator(5)), new Tanh(), new Linear(4, 2, generator: new Generator(6)));
        var optOther = new Adam(other.Parameters(), lr: 0.02f);
        Train(other, optOther, 0);
        var before = Snapshot(optOther);
        var parameters = Values(other);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.LoadTraining(path, other, optOther))!;
        Assert.That(ex.Message, Does.Contain("[3, 4]").And.Contain("[2, 4]"));
        Assert.That(Snapshot(optOther), Is.EqualTo(before));
        Assert.That(Values(other), Is.EqualTo(parameters));
    }

    [Test]
    public void LoadTraining_WhenModelDoesNotFit_Throws_AndRollsTheOptimizerBack()
    {
        var path = Path.Combine(_dir, "training.ckpt");
        var modelA = Net(1);
        var optA = new SGD(modelA.Parameters(), lr: 0.1f, momentum: 0.9f);
        Train(modelA, optA, 2);
        Checkpoint.SaveTraining(path, modelA, optA);

        // Same parameter shapes, so the optimizer state fits, but different names ("1.weight" instead of "2.weight").
        var other = new Sequential(new Linear(5, 4, generator: new Generator(5)), new Linear(4, 3, generator: new Generator(6)));
        var optOther = new SGD(other.Parameters(), lr: 0.3f, momentum: 0.9f);
        Train(other, optOther, 1);
        var before = Snapshot(optOther);
        var parameters = Values(other);
        Assert.Throws<ArgumentException>(() => Checkpoint.LoadTraining(path, other, optOther));
        Assert.That(optOther.Lr, Is.EqualTo(0.3f));
        Assert.That(Snapshot(optOther), Is.EqualTo(before));
        Assert.That(Values(other), Is.EqualTo(parameters));
    }
}
