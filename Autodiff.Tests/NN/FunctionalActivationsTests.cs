using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

/// <summary>The activations of Autodiff.NN/Functional.Activations.cs, PyTorch's F.relu, F.gelu, F.silu, F.mish, F.softmax
/// and F.log_softmax: each is its op.</summary>
public class FunctionalActivationsTests
{
    private static Tensor X() => Tensor.FromArray([0.5, -1.5, 2.0, -0.25, 1.25, -3.0], 2, 3);

    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData((Func<Tensor, Tensor>)Functional.Relu, (Func<Tensor, Tensor>)Autodiff.Ops.Relu).SetArgDisplayNames("Relu");
        yield return new TestCaseData((Func<Tensor, Tensor>)(x => Functional.Gelu(x)), (Func<Tensor, Tensor>)(x => Autodiff.Ops.Gelu(x))).SetArgDisplayNames("Gelu");
        yield return new TestCaseData((Func<Tensor, Tensor>)(x => Functional.Gelu(x, approximate: "tanh")),
            (Func<Tensor, Tensor>)(x => Autodiff.Ops.Gelu(x, approximateTanh: true))).SetArgDisplayNames("Gelu(tanh)");
        yield return new TestCaseData((Func<Tensor, Tensor>)Functional.Silu, (Func<Tensor, Tensor>)Autodiff.Ops.Silu).SetArgDisplayNames("Silu");
        yield return new TestCaseData((Func<Tensor, Tensor>)Functional.Mish, (Func<Tensor, Tensor>)Autodiff.Ops.Mish).SetArgDisplayNames("Mish");
        yield return new TestCaseData((Func<Tensor, Tensor>)(x => Functional.Softmax(x, 1)), (Func<Tensor, Tensor>)(x => Autodiff.Ops.Softmax(x, 1))).SetArgDisplayNames("Softmax");
        yield return new TestCaseData((Func<Tensor, Tensor>)(x => Functional.LogSoftmax(x, 0)), (Func<Tensor, Tensor>)(x => Autodiff.Ops.LogSoftmax(x, 0))).SetArgDisplayNames("LogSoftmax");
    }

    [TestCaseSource(nameof(Cases))]
    public void Function_IsItsOp_AndBackwardMatchesCentralDifferences(Func<Tensor, Tensor> function, Func<Tensor, Tensor> op)
    {
        Assert.That(function(X()).ToDoubleArray(), Is.EqualTo(op(X()).ToDoubleArray()));
        GradCheck.Assert(xs => function(xs[0]), [X().RequireGrad()]);
    }

    [Test]
    public void Gelu_ApproximateNone_IsExact_AndTanhDiffersSlightly()
    {
        var exact = Functional.Gelu(X(), "none").ToDoubleArray();
        var tanh = Functional.Gelu(X(), "tanh").ToDoubleArray();
        Assert.That(exact, Is.EqualTo(Functional.Gelu(X()).ToDoubleArray()));
        Assert.That(tanh, Is.Not.EqualTo(exact));
        Assert.That(tanh, Is.EqualTo(exact).Within(1e-3));
    }

    [Test]
    public void Gelu_Throws_ForAnUnknownApproximation() =>
        AssertThrows<ArgumentException>(() => Functional.Gelu(X(), "erf"), "Gelu", "\"none\" or \"tanh\"", "\"erf\"");

    [Test]
    public void Softmax_Throws_NamingSoftmax() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Functional.Softmax(X(), 2), "Softmax", "dim 2", "[2, 3]");
}
