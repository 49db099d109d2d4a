using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

/// <summary>The backward pass owns the gradients while they flow: leaves' Grad is written once the pass has finished,
/// intermediates keep none, and each op's one derivative rule serves plain and createGraph passes alike.</summary>
public class BackwardPassTests
{
    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    [Test]
    public void FailedPass_LeavesEveryGradUntouched()
    {
        // Recorded first, so replayed last: the pass has already sent x its gradient when Exp's entry refuses to run.
        var y = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var e = y.Exp();
        var x = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        var loss = e.Sum() + (x * 2.0).Sum();
        y.AsDoubleSpan()[0] = 5.0;                            // invalidates what Exp saved
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.That(x.Grad, Is.Null, "a pass that failed must not leave part of its gradients behind");
        Assert.That(y.Grad, Is.Null);
    }

    [Test]
    public void Intermediate_KeepsNoGradient_AfterThePass()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var h = x * 3.0;
        (h * h).Sum().Backward();
        Assert.That(h.Grad, Is.Null);
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 18.0, 36.0 }));   // d(9x²)/dx = 18x
    }

    [Test]
    public void RuleReturningTheIncomingGradientForTwoInputs_DoesNotAliasTheirGradients()
    {
        // Add's rules both return g itself: summing a second contribution must copy, not add into g in place.
        var a = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var b = Tensor.FromArray([5.0, 6.0]).RequireGrad();
        var s = a + b;
        (s * Tensor.FromArray([1.0, 10.0]) + a * 2.0).Sum().Backward();
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 12.0 }));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 10.0 }));
    }

    [Test]
    public void GradOfSeveralOutputs_IsOnePassOverTheirSharedGraph()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var h = x.Exp();
        var grads = Autograd.Grad([h.Sum(), (h * h).Sum()], [x]);
        // d/dx Σeˣ + Σe²ˣ = eˣ + 2e²ˣ
        Assert.That(grads[0]!.ToDoubleArray(), Is.EqualTo(new[] { Math.E + 2 * Math.Exp(2), Math.Exp(2) + 2 * Math.Exp(4) }).Within(1e-12));
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void Record_Throws_WhenRulesAndInputsDiffer() =>
        AssertThrows<ArgumentException>(() => Tape.Record("Twice", Tensor.Zeros(2), [Tensor.Zeros(2).RequireGrad()], "dx += 2g",
            [static (g, _) => g * 2.0, static (g, _) => g]), "Twice", "2 derivative rules for 1 inputs");

    [Test]
    public void CustomRule_IsDifferentiatedAgain_UnderCreateGraph()
    {
        // y = x³ recorded with its one rule dx = 3x²·g: the same rule gives the second derivative 6x.
        var x = Tensor.FromArray([2.0]).RequireGrad();
        var y = Tape.Record("Cube", Tensor.FromArray([8.0]), [x], "dx += 3x²g",
            [static (g, e) => g * e.Inputs[0] * e.Inputs[0] * 3.0]);
        var first = Autograd.Grad([y.Sum()], [x], createGraph: true)[0]!;
        Assert.That(first.ToDoubleArray(), Is.EqualTo(new[] { 12.0 }));
        var second = Autograd.Grad([first.Sum()], [x])[0]!;
        Assert.That(second.ToDoubleArray(), Is.EqualTo(new[] { 12.0 }));        // 6x at x = 2
    }
}
