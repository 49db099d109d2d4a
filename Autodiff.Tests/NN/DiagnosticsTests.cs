using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

public class DiagnosticsTests
{
    private sealed class Probe : Module
    {
        public Probe()
        {
            RegisterParameter("used", Tensor.FromArray([1.0, 2.0]));
            RegisterParameter("detached", Tensor.FromArray([3.0, 4.0]));
            RegisterParameter("nograd", Tensor.FromArray([5.0, 6.0]));
            RegisterParameter("argmax", Tensor.FromArray([7.0, 8.0], 1, 2));
            RegisterParameter("dead", Tensor.FromArray([-1.0, -2.0]));
            RegisterParameter("unused", Tensor.FromArray([0.5, 0.5]));
        }

        public Tensor P(string name) => GetParameter(name)!;

        public override Tensor Forward(Tensor input)
        {
            Tensor fromNoGrad;
            using (Tape.NoGrad()) fromNoGrad = P("nograd") * 2.0;
            var index = Autodiff.Ops.Argmax(P("argmax"), 1);
            return input * P("used") + P("detached").Detach() + fromNoGrad + index.To(DType.Float64) + P("dead").Relu();
        }
    }

    [Test]
    public void Report_NamesEachParameterWithoutGradient_AndWhy()
    {
        var model = new Probe();
        var loss = model.Forward(Tensor.FromArray([1.0, 1.0])).Sum();
        var report = loss.Backward(diagnose: model);
        var status = report.Parameters.ToDictionary(p => p.Name, p => p.Status);
        Assert.That(status["used"], Is.EqualTo(GradientStatus.Ok));
        Assert.That(status["detached"], Is.EqualTo(GradientStatus.Detached));
        Assert.That(status["nograd"], Is.EqualTo(GradientStatus.UsedUnderNoGrad));
        Assert.That(status["argmax"], Is.EqualTo(GradientStatus.NonDifferentiable));
        Assert.That(status["dead"], Is.EqualTo(GradientStatus.ZeroGradient));
        Assert.That(status["unused"], Is.EqualTo(GradientStatus.Unused));
        Assert.That(report.ToString(), Does.Contain("5 of 6 parameters").And.Contain("nograd [2]: UsedUnderNoGrad").And.Contain("Mul"));
        Assert.That(model.P("used").Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1.0 }));   // the backward itself ran
    }

    private static Sequential SmallClassifier() =>
        new(new Linear(3, 4, generator: new Generator(1)), new Tanh(), new Linear(4, 2, generator: new Generator(2)));

    private static Tensor SmallClassifierLoss(Module model) =>
        Functional.CrossEntropy(model.Forward(Tensor.Randn([5, 3], seed: 3)), [0, 1, 0, 1, 1]);

    [Test]
    public void Report_IsClean_ForAHealthyModel()
    {
        var model = SmallClassifier();
        var loss = SmallClassifierLoss(model);
        var report = loss.Backward(diagnose: model);
        Assert.That(report.Problems, Is.Empty);
        Assert.That(report.ToString(), Is.EqualTo("All 4 parameters received a non-zero gradient."));
    }

    [Test]
    public void Report_SaysFrozen_NotUnusedOrZero_ForAParameterWithoutRequiresGrad()
    {
        // Freezing the first layer means its MatMul is never recorded (it looked "Unused"); freezing the last layer's
        // bias leaves it in the graph without a gradient (it looked "ZeroGradient"). Both are deliberate.
        var model = SmallClassifier();
        foreach (var p in ((Linear)model[0]).Parameters()) p.RequiresGrad = false;
        ((Linear)model[2]).Bias!.RequiresGrad = false;
        var loss = SmallClassifierLoss(model);
        var report = loss.Backward(diagnose: model);
        var status = report.Parameters.ToDictionary(p => p.Name, p => p.Status);
        Assert.That(status["0.weight"], Is.EqualTo(GradientStatus.Frozen));
        Assert.That(status["0.bias"], Is.EqualTo(GradientStatus.Frozen));
        Assert.That(status["2.bias"], Is.EqualTo(GradientStatus.Frozen));
        Assert.That(status["2.weight"], Is.EqualTo(GradientStatus.Ok));
        Assert.That(report.Parameters.First(p => p.Name == "0.weight").Reason,
            Does.Contain("RequiresGrad is false (frozen)").And.Contain("set RequiresGrad = true"));
        Assert.That(report.Problems, Is.Empty);   // freezing is deliberate: listed, not counted
        Assert.That(report.ToString(), Is.EqualTo(
            "All 1 trainable parameters received a non-zero gradient.\n" +
            "3 parameters are frozen (RequiresGrad = false), so not trained; set RequiresGrad = true to train: " +
            "0.weight [4, 3], 0.bias [4], 2.bias [2]."));
    }

    [Test]
    public void Report_CountsOnlyTrainableParameters_WhenSomeAreFrozen()
    {
        var model = new Probe();
        model.P("unused").RequiresGrad = false;
        model.P("dead").RequiresGrad = false;
        var report = model.Forward(Tensor.FromArray([1.0, 1.0])).Sum().Backward(diagnose: model);
        Assert.That(report.Problems.Select(p => p.Name), Is.EqualTo(new[] { "detached", "nograd", "argmax" }));
        Assert.That(report.ToString(), Does.StartWith("3 of 4 trainable parameters received no usable gradient:")
            .And.EndWith("2 parameters are frozen (RequiresGrad = false), so not trained; set RequiresGrad = true to train: dead [2], unused [2]."));
    }
}

