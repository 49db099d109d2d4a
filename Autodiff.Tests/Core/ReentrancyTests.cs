using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>A backward pass inside a backward pass (a custom Function's Backward differentiating another graph), and
/// third derivatives (GradCheck.RunSecondOrder of a function that itself takes a gradient with createGraph).</summary>
public class ReentrancyTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    /// <summary>y = x · Σ ∂inner/∂w: its Backward runs Autograd.Grad (or Backward) on a graph recorded elsewhere.</summary>
    private sealed class ScaledByInnerGradient(Tensor inner, Tensor w, bool useBackward) : Function
    {
        private readonly Tensor _inner = inner, _w = w;
        private readonly bool _useBackward = useBackward;

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs) => inputs[0] * 1.0;

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            Tensor gw;
            if (_useBackward)
            {
                _inner.Backward();
                gw = _w.Grad!;
            }
            else gw = Autograd.Grad([_inner], [_w])[0]!;
            return [gradOutput * gw.Sum().Item()];
        }
    }

    private static Tensor Chain(Tensor w, int length)
    {
        var t = w;
        for (int i = 0; i < length; i++) t = t * 1.0;
        return t;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void FunctionWhoseBackwardDifferentiatesAnotherGraph_RenumberingEntries(bool useBackward)
    {
        // inner1 fills the first two chunks of the tape; differentiating it (without retainGraph on its chain) frees them,
        // so the next inner pass numbers the outer graph's remaining entries differently than the outer pass does.
        var w1 = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var inner1 = (Chain(w1, 140) * 3.0).Sum();                          // ∂/∂w1 = 3 each: Σ = 6
        var x = Tensor.FromArray([1.0, -1.0]).RequireGrad();
        var a0 = x * 2.0;
        var w2 = Tensor.FromArray([1.0, 2.0, 3.0]).RequireGrad();
        var inner2 = (w2 * w2).Sum();                                        // ∂/∂w2 = 2w2: Σ = 12
        var a = new ScaledByInnerGradient(inner2, w2, useBackward).Apply(a0);
        var b = new ScaledByInnerGradient(inner1, w1, useBackward).Apply(a);
        var loss = (b * Tensor.FromArray([1.0, 10.0])).Sum();
        loss.Backward();
        // d loss/dx = [1, 10] · 6 · 12 · 2
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 144.0, 1440.0 }));
        if (useBackward) Assert.That(w2.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 4.0, 6.0 }));
        else Assert.That(w2.Grad, Is.Null);
    }

    [Test]
    public void ThirdOrder_ThroughTheNamedBackwardOps()
    {
        Func<Tensor, Tensor>[] functions =
        [
            Ops.Tanh, Ops.Sigmoid, t => Ops.Gelu(t), t => Ops.Gelu(t, approximateTanh: true), t => Ops.Softplus(t, 2.0),
            t => Ops.LogSoftmax(t, 1), t => Ops.Softmax(t, 0), t => Ops.Exp(t) * Ops.Relu(t), t => Ops.Log1p(t * t),
            t => Ops.LayerNorm(t, [3]), t => Ops.Sqrt(t * t + 1.0), t => Ops.Erf(t),
        ];
        foreach (var f in functions)
            GradCheck.AssertSecondOrder(t => Autograd.Grad([(f(t[0]) * f(t[0])).Sum()], [t[0]], createGraph: true)[0]!,
                [Leaf(61, 2, 3)], "third order", absoluteTolerance: 1e-5, relativeTolerance: 1e-4);
    }
}
