using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary><see cref="Tensor.RetainGrad"/>: a non-leaf keeps its gradient when asked, as PyTorch's retain_grad().</summary>
public class RetainGradTests
{
    [Test]
    public void NonLeaf_KeepsItsGradient_OnlyWhenAsked()
    {
        // loss = Σ h² + Σ x ⊙ w, h = x ⊙ w = [0.5, -2, 6]: ∂loss/∂h = 2h, ∂loss/∂x = 2h ⊙ w + w = [1, 3, 26].
        var x = Tensor.FromArray([1.0, 2.0, 3.0]).RequireGrad();
        var w = Tensor.FromArray([0.5, -1.0, 2.0]);
        var h = Ops.Mul(x, w).RetainGrad();
        var plain = Ops.Mul(x, w);
        (Ops.Mul(h, h).Sum() + plain.Sum()).Backward();
        Assert.That(h.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, -4.0, 12.0 }));
        Assert.That(plain.Grad, Is.Null, "a non-leaf keeps no gradient unless asked");
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 3.0, 26.0 }));
    }

    [Test]
    public void RetainedGradient_AddsUpAcrossPasses_UntilSetToNull_AndSurvivesLaterSteps()
    {
        var x = Tensor.Ones(300).RequireGrad();                          // pooled size: a recycled buffer would show
        var h = Ops.Exp(x).RetainGrad();
        var loss = h.Sum();
        loss.Backward(retainGraph: true);
        var kept = h.Grad!;
        loss.Backward();
        Assert.That(kept.ToArray(), Is.All.EqualTo(2f), "accumulated in place, as PyTorch");
        for (int i = 0; i < 3; i++)
            using (Tensor.NewDisposeScope()) Ops.Neg(Ops.Exp(Tensor.Ones(300).RequireGrad())).Sum().Backward();   // churn the pool
        Assert.That(kept.ToArray(), Is.All.EqualTo(2f));
        h.Grad = null;
        Assert.That(h.Grad, Is.Null);
    }

    [Test]
    public void RetainedGradient_UnderCreateGraph_IsDifferentiable()
    {
        var x = Tensor.FromArray([3.0]).RequireGrad();
        var h = Ops.Mul(x, x).RetainGrad();                              // h = x²
        Ops.Mul(h, h).Sum().Backward(createGraph: true);                 // ∂(h²)/∂h = 2h = 2x²
        var g = h.Grad!;
        Assert.That(g.ItemDouble(), Is.EqualTo(18.0));
        x.Grad = null;
        g.Backward();                                                    // ∂(2x²)/∂x = 4x
        Assert.That(x.Grad!.ItemDouble(), Is.EqualTo(12.0));
    }

    [Test]
    public void AutogradGrad_LeavesARetainedGradientAlone()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var h = Ops.Mul(x, x).RetainGrad();
        _ = Autograd.Grad([h.Sum()], [x]);
        Assert.That(h.Grad, Is.Null);
    }

    [Test]
    public void RetainGrad_OnALeafDoesNothing_AndThrowsWithoutRequiresGrad()
    {
        var leaf = Tensor.Ones(2).RequireGrad();
        Assert.That(leaf.RetainGrad(), Is.SameAs(leaf));
        var constant = Tensor.Ones(2);
        constant.Name = "c";
        AssertThrows<InvalidOperationException>(() => constant.RetainGrad(), "RetainGrad", "c[2]", "does not require grad");
    }

    [Test]
    public void AGradientKeptFromACreateGraphPass_IsNeverAddedIntoInPlace()
    {
        // Add's backward hands the same g to both inputs, and a seed is the caller's: keeping one by reference and adding
        // the next pass into it would change the other tensor's gradient and the seed.
        var x = Tensor.FromArray([1.0, 1.0]).RequireGrad();
        var a = (x * 2.0).RetainGrad();
        var b = (x * 3.0).RetainGrad();
        Ops.Add(a, b).Sum().Backward(createGraph: true);
        (a * 5.0).Sum().Backward();
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 6.0, 6.0 }));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1.0 }));

        var h = Ops.Mul(x, x).RetainGrad();
        var seed = Tensor.FromArray([1.0, 1.0]);
        h.Backward(seed, createGraph: true);
        (h * 5.0).Sum().Backward();
        Assert.That(seed.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 1.0 }), "the caller's seed is untouched");
        Assert.That(h.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 6.0, 6.0 }));
    }
}
