using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

public class ModuleTests
{
    private static Sequential TwoLayer() =>
        new(new Linear(4, 3, generator: new Generator(1)), new ReLU(), new Linear(3, 2, generator: new Generator(2)));

    [Test]
    public void NamedParameters_FollowPyTorchStateDictNames_InRegistrationOrder()
    {
        var names = TwoLayer().NamedParameters().Select(p => p.Name).ToArray();
        Assert.That(names, Is.EqualTo(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }));
    }

    [Test]
    public void Parameters_RequireGrad_AndCountMatches()
    {
        var net = TwoLayer();
        Assert.That(net.Parameters().All(p => p.RequiresGrad), Is.True);
        Assert.That(net.ParameterCount(), Is.EqualTo(4 * 3 + 3 + 3 * 2 + 2));
    }

    [Test]
    public void ToString_PrintsTheTreeWithParameterCounts()
    {
        var text = TwoLayer().ToString();
        Assert.That(text, Does.StartWith("Sequential("));
        Assert.That(text, Does.Contain("(0): Linear(inFeatures: 4, outFeatures: 3, bias: True)  [15 parameters]"));
        Assert.That(text, Does.Contain("(1): ReLU()"));
        Assert.That(text, Does.EndWith(")  [23 parameters]"));
    }

    [Test]
    public void TrainAndEval_SetModeRecursively()
    {
        var net = TwoLayer();
        net.Eval();
        Assert.That(net[0].Training, Is.False);
        net.Train();
        Assert.That(net[2].Training, Is.True);
    }

    [Test]
    public void StateDict_RoundTripsBitExact()
    {
        var a = TwoLayer();
        var b = new Sequential(new Linear(4, 3, generator: new Generator(9)), new ReLU(), new Linear(3, 2, generator: new Generator(8)));
        b.LoadStateDict(a.StateDict());
        foreach (var ((_, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.That(pb.ToArray(), Is.EqualTo(pa.ToArray()));
    }

    [Test]
    public void LoadStateDict_Throws_NamingParameterAndBothShapes_AndChangesNothing()
    {
        var net = TwoLayer();
        var before = net.Parameters().Select(p => p.ToArray()).ToArray();
        var state = net.StateDict();
        state["2.weight"] = Tensor.Zeros(5, 3);
        var ex = Assert.Throws<ArgumentException>(() => net.LoadStateDict(state));
        Assert.That(ex!.Message, Does.Contain("'2.weight'").And.Contain("[2, 3]").And.Contain("[5, 3]"));
        Assert.That(net.Parameters().Select(p => p.ToArray()), Is.EqualTo(before));
    }

    [Test]
    public void LoadStateDict_Throws_OnMissingAndUnexpectedNames()
    {
        var net = TwoLayer();
        var state = net.StateDict();
        state.Remove("0.bias");
        Assert.That(() => net.LoadStateDict(state), Throws.ArgumentException.With.Message.Contains("missing parameter '0.bias'"));
        state = net.StateDict();
        state["extra"] = Tensor.Zeros(1);
        Assert.That(() => net.LoadStateDict(state), Throws.ArgumentException.With.Message.Contains("unexpected parameter 'extra'"));
    }

    [Test]
    public void Dropout_IsIdentityInEval_AndSeededInTrain()
    {
        var x = Tensor.Ones(1000);
        var a = new Dropout(0.25, seed: 3);
        var b = new Dropout(0.25, seed: 3);
        var ya = a.Forward(x).ToArray();
        Assert.That(ya, Is.EqualTo(b.Forward(x).ToArray()));
        Assert.That(ya.Distinct().OrderBy(v => v), Is.EqualTo(new[] { 0f, 1f / 0.75f }));
        Assert.That(ya.Count(v => v == 0) / 1000.0, Is.EqualTo(0.25).Within(0.05));
        a.Eval();
        Assert.That(a.Forward(x), Is.SameAs(x));
        Assert.Throws<ArgumentException>(() => _ = new Dropout(1.5));
    }

    [Test]
    public void Dropout_Backward_MatchesCentralDifferences_Float64()
    {
        var dropout = new Dropout(0.5, seed: 1);
        var x = Tensor.Randn([3, 4], seed: 2, DType.Float64).RequireGrad();
        // The mask must not change between evaluations: draw it once, then reuse the same module state via a fresh seed each call.
        GradCheck.Assert(xs => new Dropout(0.5, seed: 1).Forward(xs[0]), [x], "Dropout");
        Assert.That(dropout.Describe(), Is.EqualTo("Dropout(p: 0.5)"));
    }
}

public class SequentialErrorTests
{
    [Test]
    public void ShapeError_NamesTheModulePositionDescriptionAndInputShape()
    {
        var net = new Sequential(new Linear(784, 100), new ReLU(), new Linear(50, 10));
        var ex = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(64, 784)));
        Assert.That(ex!.Message, Does.StartWith("Sequential: module '2' (Linear(inFeatures: 50, outFeatures: 10, bias: True)) failed on input [64, 100]"));
        Assert.That(ex.Message, Does.Contain("Linear: input's last dimension is 100, expected inFeatures 50"));
        Assert.That(ex.InnerException, Is.InstanceOf<ArgumentException>());
    }
}
