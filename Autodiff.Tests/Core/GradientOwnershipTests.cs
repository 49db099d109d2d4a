using Autodiff;
using Autodiff.Memory;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>Adversarial cases for the backward pass's gradient ownership: a gradient it adds into in place or recycles
/// must be one nobody else holds (another input's gradient, a retained or returned gradient, the caller's seed).</summary>
public class GradientOwnershipTests
{
    private const int Big = BufferPool.MinimumLength * 4;     // pooled size, so a recycled buffer is reused

    [SetUp]
    public void ClearTape() => Tape.Current.Clear();

    /// <summary>y = a + b whose Backward returns one fresh tensor (or views of it) for both inputs.</summary>
    private sealed class SharedGradientAdd(bool view) : Function
    {
        private readonly bool _view = view;

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs) => inputs[0] + inputs[1];

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var d = gradOutput * 1.0;                                       // fresh
            return [d, _view ? d.Reshape(d.Shape.ToArray()) : d];
        }
    }

    private static double[] Values(Tensor t) => t.ToDoubleArray();

    [TestCase(false)]
    [TestCase(true)]
    public void FunctionReturningOneTensorForTwoInputs_KeepsTheirGradientsApart(bool view)
    {
        // a gets a second contribution after the Function's; b must not see it.
        var a = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var b = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        var ha = a * 1.0;                                                   // intermediates: their slots are summed by the pass
        var hb = b * 1.0;
        var y = new SharedGradientAdd(view).Apply(ha, hb);
        (y.Sum() + (ha * 5.0).Sum()).Backward();
        Assert.That(Values(a.Grad!), Is.EqualTo(new[] { 6.0, 6.0 }));
        Assert.That(Values(b.Grad!), Is.EqualTo(new[] { 1.0, 1.0 }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void FunctionReturningOneTensorForTwoLeaves_AccumulatesIntoBothGrads(bool view)
    {
        var a = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var b = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        for (int step = 1; step <= 2; step++)
        {
            new SharedGradientAdd(view).Apply(a, b).Sum().Backward();
            Assert.That(Values(a.Grad!), Is.EqualTo(new[] { step * 1.0, step * 1.0 }), $"step {step}");
            Assert.That(Values(b.Grad!), Is.EqualTo(new[] { step * 1.0, step * 1.0 }), $"step {step}");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void FunctionReturningOneTensorForTwoLeaves_GradOfOneOfThem(bool view)
    {
        var a = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var b = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        var y = new SharedGradientAdd(view).Apply(a, b);
        var gb = Autograd.Grad([(y * 3.0).Sum()], [b])[0]!;
        Assert.That(Values(gb), Is.EqualTo(new[] { 3.0, 3.0 }));
    }

    // ---- the same tensor as several inputs ---------------------------------------------------------------------

    [Test]
    public void SameTensorAsSeveralInputs_GradientsSumOverTwoPasses()
    {
        var x = Tensor.FromArray([1.0, -2.0, 3.0, 0.5], [2, 2]).RequireGrad();
        var c = Tensor.FromArray([1.0, 2.0, 3.0, 4.0], [2, 2]);
        Func<Tensor, Tensor>[] losses =
        [
            t => (t * t).Sum(),
            t => (t + t).Sum(),
            t => (Ops.Cat([t, t], 0) * Ops.Cat([c, c * 2.0], 0)).Sum(),
            t => Ops.Stack([t, t], 1).Sum(),
            t => Ops.MatMul(t, t).Sum(),
            t => Ops.Linear(t, t, null).Sum(),
            t => ((t - t) * c + t / (t * t + 1.0)).Sum(),
            t => Ops.Maximum(t, t).Sum() + Ops.Minimum(t, t * 2.0).Sum(),
            t => Ops.Where(Tensor.FromArray([1.0, 0.0, 1.0, 0.0], [2, 2]), t, t * 3.0).Sum(),
        ];
        foreach (var loss in losses)
        {
            x.Grad = null;
            var expected = Autograd.Grad([loss(x)], [x])[0]!.ToDoubleArray();
            loss(x).Backward();
            loss(x).Backward();
            Assert.That(Values(x.Grad!), Is.EqualTo(expected.Select(v => 2 * v).ToArray()).Within(1e-12));
            GradCheck.Assert(t => loss(t[0]), [x.Detach().RequireGrad()], "loss");
        }
    }

    [Test]
    public void BroadcastingBinaryOps_SumGradientsBackOnEverySide()
    {
        Func<Tensor, Tensor, Tensor>[] ops =
        [
            (a, b) => a + b, (a, b) => a - b, (a, b) => a * b, (a, b) => a / (b * b + 1.0),
            Ops.Maximum, Ops.Minimum, (a, b) => Ops.Where(Tensor.FromArray([1.0, 0.0, 1.0]), a, b),
        ];
        foreach (var op in ops)
        {
            GradCheck.Assert(t => op(t[0], t[1]), [Leaf(1, 2, 1, 3), Leaf(2, 4, 1)], "[2,1,3] with [4,1]");
            GradCheck.Assert(t => op(t[0], t[1]), [Leaf(3, 3), Leaf(4, 2, 3)], "[3] with [2,3]");
            GradCheck.Assert(t => op(t[0], t[1]), [Leaf(5, 1), Leaf(6, 3)], "[1] with [3]");
            var x = Leaf(7, 2, 3);
            GradCheck.Assert(t => op(t[0], t[0].Sum(0, keepDim: true)), [x], "x with Σx");
        }
    }

    // ---- an intermediate with many consumers, retained and returned gradients ------------------------------------

    [Test]
    public void IntermediateWithManyConsumers_AndRetainGradThroughAdd()
    {
        var x = Tensor.Ones(Big).RequireGrad();
        var h = (x * 2.0).RetainGrad();
        var s = (h + 1.0).RetainGrad();                                    // Add's rule hands s's gradient to h as is
        var loss = (s * 3.0).Sum() + (h * h).Sum() + h.Exp().Sum() + Ops.Relu(h).Sum();
        loss.Backward();
        // dL/ds = 3; dL/dh = 3 + 2h + eʰ + 1 at h = 2
        double dh = 3 + 4 + Math.Exp(2) + 1;
        Assert.That(s.Grad!.ToDoubleArray(), Is.All.EqualTo(3.0));
        Assert.That(h.Grad!.ToDoubleArray(), Is.All.EqualTo(dh).Within(1e-5));
        Assert.That(x.Grad!.ToDoubleArray(), Is.All.EqualTo(2 * dh).Within(1e-4));
        using (Tensor.NewDisposeScope()) _ = Ops.Neg(Tensor.Ones(Big)) + Ops.Neg(Tensor.Ones(Big));   // would reuse a recycled buffer
        Assert.That(s.Grad!.ToDoubleArray(), Is.All.EqualTo(3.0));
        Assert.That(h.Grad!.ToDoubleArray(), Is.All.EqualTo(dh).Within(1e-5));
    }

    [Test]
    public void RetainGrad_WhenTheGradientArrivesThroughAddAndIsTheSeed()
    {
        var x = Tensor.Ones(Big).RequireGrad();
        var h = (x * 2.0).RetainGrad();
        var y = (h + x).RetainGrad();
        var seed = Tensor.Full([Big], 2.0f);
        y.Backward(seed, retainGraph: true);
        y.Backward(seed);
        Assert.That(seed.ToArray(), Is.All.EqualTo(2f), "the seed is the caller's");
        Assert.That(y.Grad!.ToArray(), Is.All.EqualTo(4f));
        Assert.That(h.Grad!.ToArray(), Is.All.EqualTo(4f));
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(12f));
    }

    [Test]
    public void GradOfAnIntermediateTarget_IsNotRecycledOrChangedByTheRestOfThePass()
    {
        var x = Tensor.Ones(Big).RequireGrad();
        var h = x * 2.0;
        var k = (h * 3.0) + (h * 4.0);                                      // h's gradient is a sum the pass owns
        var grads = Autograd.Grad([(k * k).Sum()], [h, x]);
        using (Tensor.NewDisposeScope()) _ = Ops.Neg(Tensor.Ones(Big)) + Ops.Neg(Tensor.Ones(Big));
        // k = 14x = 14, dL/dk = 28, dL/dh = 28·7 = 196, dL/dx = 392
        Assert.That(grads[0]!.ToArray(), Is.All.EqualTo(196f));
        Assert.That(grads[1]!.ToArray(), Is.All.EqualTo(392f));
    }

    [Test]
    public void GradOfAnIntermediateTarget_ThatAlsoFlowsOnThroughAdd()
    {
        var x = Tensor.Ones(Big).RequireGrad();
        var h = x * 2.0;
        var s = h + x;                                                      // s's gradient goes on to h and x as is
        var grads = Autograd.Grad([(s * s).Sum() + (h * 5.0).Sum()], [s, h, x]);
        Assert.That(grads[0]!.ToArray(), Is.All.EqualTo(6f));               // 2s, s = 3
        Assert.That(grads[1]!.ToArray(), Is.All.EqualTo(11f));
        Assert.That(grads[2]!.ToArray(), Is.All.EqualTo(28f));
    }

    [Test]
    public void LeafGrad_HandedOut_ThenAddedIntoByTheNextPass_AsPyTorch()
    {
        var x = Tensor.Ones(Big).RequireGrad();
        (x * 2.0).Sum().Backward();
        var first = x.Grad!;
        (x * 3.0).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(5f));
        x.Grad = null;
        (x * 3.0).Sum().Backward();
        Assert.That(x.Grad!.ToArray(), Is.All.EqualTo(3f));
        Assert.That(first.ToArray(), Is.All.EqualTo(5f), "a Grad the user read stays valid");
    }

    [Test]
    public void BackwardTwiceWithRetainGraph_AccumulatesEveryGradient()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var w = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        var h = (x * w).RetainGrad();
        var loss = (h + h * h).Sum();
        loss.Backward(retainGraph: true);
        loss.Backward();
        // dL/dh = 1 + 2h = [7, 17]
        Assert.That(Values(h.Grad!), Is.EqualTo(new[] { 14.0, 34.0 }));
        Assert.That(Values(x.Grad!), Is.EqualTo(new[] { 42.0, 136.0 }));
        Assert.That(Values(w.Grad!), Is.EqualTo(new[] { 14.0, 68.0 }));
    }

    [Test]
    public void CreateGraphThenPlainPass_DoesNotChangeAnotherLeafsGradOrTheSeed()
    {
        var a = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var b = Tensor.FromArray([3.0, 4.0]).RequireGrad();
        var seed = Tensor.FromArray([1.0, 1.0]);
        (a + b).Backward(seed, createGraph: true);                         // Add's rules return the seed for both
        (a * 2.0).Sum().Backward();
        Assert.That(Values(a.Grad!), Is.EqualTo(new[] { 3.0, 3.0 }));
        Assert.That(Values(b.Grad!), Is.EqualTo(new[] { 1.0, 1.0 }));
        Assert.That(Values(seed), Is.EqualTo(new[] { 1.0, 1.0 }));
    }

    [Test]
    public void CreateGraphThenPlainPass_DoesNotChangeTheGraphOfTheFirstGradient()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        (x * x * x).Sum().Backward(createGraph: true);                    // x.Grad = 3x², recorded
        var g = x.Grad!;
        var penalty = (g * g).Sum();                                       // reads g's values
        (x * 10.0).Sum().Backward();                                       // plain: adds 10 into x.Grad
        Assert.That(Values(g), Is.EqualTo(new[] { 3.0, 12.0 }), "the recorded gradient is part of penalty's graph");
        var d = Autograd.Grad([penalty], [x])[0]!;                         // d Σ9x⁴ = 36x³
        Assert.That(Values(d), Is.EqualTo(new[] { 36.0, 288.0 }).Within(1e-9));
    }

    [Test]
    public void CreateGraphInsideADisposeScope_LeavesTheLeafsGradOutOfTheScope()
    {
        // A gradient-penalty step: the scope owns the recorded backward's intermediates, not the parameter's Grad.
        var w = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        for (int step = 1; step <= 2; step++)
            using (Tensor.NewDisposeScope())
            {
                var loss = (w * w * w).Sum();
                loss.Backward(createGraph: true);                          // Grad = 3w², then 6w²
                var penalty = (w.Grad! * w.Grad!).Sum();
                Assert.That(penalty.ItemDouble(), Is.EqualTo(step * step * (9.0 + 144.0)).Within(1e-9));
            }
        Assert.That(w.Grad!.IsDisposed, Is.False);
        Assert.That(Values(w.Grad!), Is.EqualTo(new[] { 6.0, 24.0 }));
    }

    [Test]
    public void TrainingStepsInsideDisposeScopes_KeepGradientsValid()
    {
        var w = Tensor.Randn([Big / 64, 64], 1, DType.Float32).RequireGrad();
        var b = Tensor.Zeros(64).RequireGrad();
        float[]? previous = null;
        for (int step = 0; step < 3; step++)
        {
            using var scope = Tensor.NewDisposeScope();
            var x = Tensor.Randn([4, Big / 64], 2 + step, DType.Float32);
            var h = Ops.Linear(x, Ops.Transpose(w, 0, 1), b).RetainGrad();
            var loss = (Ops.Tanh(h) * Ops.Tanh(h)).Sum() + (h + h).Sum();
            w.Grad = null;
            b.Grad = null;
            loss.Backward();
            var expected = Autograd.Grad([(Ops.Tanh(Ops.Linear(x, Ops.Transpose(w, 0, 1), b)) * Ops.Tanh(Ops.Linear(x, Ops.Transpose(w, 0, 1), b))).Sum()
                + (Ops.Linear(x, Ops.Transpose(w, 0, 1), b) * 2.0f).Sum()], [b])[0]!.ToArray();
            Assert.That(b.Grad!.ToArray(), Is.EqualTo(expected).Within(1e-3));
            Assert.That(h.Grad!.ToArray().Length, Is.EqualTo(4 * 64));
            if (previous is not null) Assert.That(previous, Is.Not.EqualTo(b.Grad!.ToArray()));
            previous = b.Grad!.ToArray();
        }
    }
}
