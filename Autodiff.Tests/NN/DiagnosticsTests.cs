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
            return input * P("used") + P("detached").Detach() + fromNoGrad + index + P("dead").Relu();
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

    [Test]
    public void Report_IsClean_ForAHealthyModel()
    {
        var model = new Sequential(new Linear(3, 4, generator: new Generator(1)), new Tanh(), new Linear(4, 2, generator: new Generator(2)));
        var loss = Functional.CrossEntropy(model.Forward(Tensor.Randn([5, 3], seed: 3)), [0, 1, 0, 1, 1]);
        var report = loss.Backward(diagnose: model);
        Assert.That(report.Problems, Is.Empty);
        Assert.That(report.ToString(), Is.EqualTo("All 4 parameters received a non-zero gradient."));
    }
}
