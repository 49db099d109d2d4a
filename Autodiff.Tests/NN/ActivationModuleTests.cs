using Autodiff;
using Autodiff.NN;

namespace Autodiff.Tests.NN;

/// <summary>Each activation module forwards to its op: same values, a float64 gradient check, and a readable description.</summary>
public class ActivationModuleTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData(new ReLU(), (Func<Tensor, Tensor>)(x => x.Relu()), "ReLU()");
        yield return new TestCaseData(new Sigmoid(), (Func<Tensor, Tensor>)(x => x.Sigmoid()), "Sigmoid()");
        yield return new TestCaseData(new Tanh(), (Func<Tensor, Tensor>)(x => x.Tanh()), "Tanh()");
        yield return new TestCaseData(new LeakyReLU(0.2), (Func<Tensor, Tensor>)(x => x.LeakyRelu(0.2)), "LeakyReLU(negativeSlope: 0.2)");
        yield return new TestCaseData(new GELU(), (Func<Tensor, Tensor>)(x => x.Gelu()), "GELU()");
        yield return new TestCaseData(new GELU(approximateTanh: true), (Func<Tensor, Tensor>)(x => x.Gelu(true)), "GELU(approximate: tanh)");
        yield return new TestCaseData(new SiLU(), (Func<Tensor, Tensor>)(x => Autodiff.Ops.Silu(x)), "SiLU()");
        yield return new TestCaseData(new Mish(), (Func<Tensor, Tensor>)(x => Autodiff.Ops.Mish(x)), "Mish()");
        yield return new TestCaseData(new Softmax(1), (Func<Tensor, Tensor>)(x => x.Softmax(1)), "Softmax(dim: 1)");
        yield return new TestCaseData(new LogSoftmax(-1), (Func<Tensor, Tensor>)(x => x.LogSoftmax(-1)), "LogSoftmax(dim: -1)");
        yield return new TestCaseData(new Flatten(), (Func<Tensor, Tensor>)(x => x.Reshape(2, -1)), "Flatten(startDim: 1, endDim: -1)");
    }

    [TestCaseSource(nameof(Cases))]
    public void Forward_EqualsTheOp_AndBackwardMatchesCentralDifferences(Module module, Func<Tensor, Tensor> op, string description)
    {
        // Values kept away from 0 so ReLU and LeakyReLU are differentiable where they are checked.
        var x = Tensor.FromArray([0.5, -1.5, 2.0, -0.25, 1.25, -3.0], 2, 3);
        Assert.That(module.Forward(x).ToDoubleArray(), Is.EqualTo(op(x).ToDoubleArray()));
        Assert.That(module.Describe(), Is.EqualTo(description));
        GradCheck.Assert(xs => module.Forward(xs[0]), [x.RequireGrad()], module.Describe());
    }

    [Test]
    public void Relu_Forward_MatchesHandValues()
    {
        var y = new ReLU().Forward(Tensor.FromArray([-1f, 0f, 2f]));
        Assert.That(y.ToArray(), Is.EqualTo(new[] { 0f, 0f, 2f }));
    }
}
