using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;
using MySiLU = Autodiff.Tests.Examples.MySiLU;   // README's own, from ReadmeTourTests (nn.SiLU is the module)

/// <summary>Custom autograd functions (<see cref="Function"/>): a Backward that returns one gradient per input works with
/// Backward, Autograd.Grad, createGraph and GradCheck, on leaves and non-leaves, and what it returns is validated.</summary>
public class FunctionTests
{
    // ---- the README example (the class lives beside ReadmeTourTests) ---------------------------------------------

    [Test]
    public void ReadmeExample_SiLU_TrainsAndMatchesTheFormula()
    {
        var x = Tensor.FromArray([-1.0, 0.0, 2.0]).RequireGrad();
        var y = new MySiLU().Apply(x);
        y.Sum().Backward();

        Assert.That(y.Creator!.Op, Is.EqualTo("MySiLU"));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -0.2689414213699951, 0.0, 1.7615941559557649 }).Within(1e-12));
        // σ(x)(1 + x(1 − σ(x))) at -1, 0, 2
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.07232948812851325, 0.5, 1.0907842487848948 }).Within(1e-12));
        GradCheck.Assert(t => new MySiLU().Apply(t[0]), [Leaf(1, 2, 3)], "MySiLU");
        GradCheck.AssertSecondOrder(t => new MySiLU().Apply(t[0]), [Leaf(1, 2, 3)], "MySiLU");
    }

    // ---- more functions ------------------------------------------------------------------------------------------

    /// <summary><c>y = a ⊙ b</c> with broadcasting; Backward returns gradients of the broadcast shape and lets the engine
    /// sum them back. Records what NeedsInputGrad said.</summary>
    private sealed class CustomMul : Function
    {
        public IReadOnlyList<bool>? LastNeeds;

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            ctx.SaveForBackward(inputs[0], inputs[1]);
            LastNeeds = ctx.NeedsInputGrad;
            return inputs[0] * inputs[1];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var (a, b) = (ctx.SavedTensors[0], ctx.SavedTensors[1]);
            return [ctx.NeedsInputGrad[0] ? gradOutput * b : null, ctx.NeedsInputGrad[1] ? gradOutput * a : null];
        }
    }

    /// <summary>Returns whatever gradients the test asks for, to exercise validation.</summary>
    private sealed class Returns(Func<Tensor, Tensor?[]> backward) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs) => inputs[0] * 2.0;

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => backward(gradOutput);
    }

    /// <summary><c>y = x ⊙ c</c> for a constant c held by the function and saved for backward (not an input).</summary>
    private sealed class ScaleBy(Tensor factor) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            ctx.SaveForBackward(factor);
            return inputs[0] * factor;
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * ctx.SavedTensors[0]];
    }

    private sealed class Identity : Function
    {
        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs) => inputs[0];

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput];
    }

    private sealed class SignOf : Function
    {
        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            var y = Tensor.FromArray(inputs[0].ToDoubleArray().Select(v => (double)Math.Sign(v)).ToArray(), inputs[0].Shape.ToArray());
            ctx.MarkNonDifferentiable(y);
            return y;
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => throw new InvalidOperationException("never called");
    }

    /// <summary>Doubles its input with a Backward that writes the gradient through an array, not with ops.</summary>
    private sealed class DoubleBySpans : Function
    {
        protected override bool OnceDifferentiable => true;

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs) => inputs[0] * 2.0;

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) =>
            [Tensor.FromArray(gradOutput.ToDoubleArray().Select(g => 2 * g).ToArray(), gradOutput.Shape.ToArray())];
    }

    /// <summary>Squares its input with a Backward that writes the gradient through an array, and forgets to say
    /// OnceDifferentiable: under createGraph its gradient depends on no recorded op.</summary>
    private sealed class SquareBySpans : Function
    {
        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var (x, g) = (ctx.SavedTensors[0].ToDoubleArray(), gradOutput.ToDoubleArray());
            return [Tensor.FromArray(x.Select((v, i) => 2 * v * g[i]).ToArray(), gradOutput.Shape.ToArray())];
        }
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double SiLUPrime(double x) => Sigmoid(x) * (1 + x * (1 - Sigmoid(x)));

    private static double SiLUSecond(double x) => Sigmoid(x) * (1 - Sigmoid(x)) * (2 + x * (1 - 2 * Sigmoid(x)));

    [Test]
    public void SiLU_OnANonLeaf_BackpropagatesThroughTheOpsBeforeIt()
    {
        var x = Tensor.FromArray([-0.5, 0.25, 1.5]).RequireGrad();
        var h = x * 3.0;                                                    // non-leaf input
        new MySiLU().Apply(h).Sum().Backward();
        var expected = x.ToDoubleArray().Select(v => 3 * SiLUPrime(3 * v)).ToArray();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
        Assert.That(h.Grad, Is.Null, "a non-leaf keeps no gradient");
    }

    [Test]
    public void GradCheck_FirstAndSecondOrder_OnLeavesAndNonLeaves()
    {
        GradCheck.Assert(t => new MySiLU().Apply(Ops.Tanh(t[0]) * 2.0), [Leaf(2, 2, 3)], "SiLU(non-leaf)");
        GradCheck.AssertSecondOrder(t => new MySiLU().Apply(Ops.Tanh(t[0]) * 2.0), [Leaf(2, 2, 3)], "SiLU(non-leaf)");
        GradCheck.Assert(t => new CustomMul().Apply(t[0], t[1]), [Leaf(3, 2, 3), Leaf(4, 3)], "CustomMul");
        GradCheck.AssertSecondOrder(t => new CustomMul().Apply(t[0], t[1]), [Leaf(3, 2, 3), Leaf(4, 3)], "CustomMul");
        GradCheck.Assert(t => new CustomMul().Apply(Ops.Exp(t[0]), t[1] * t[1]), [Leaf(5, 2, 3), Leaf(6, 2, 1)], "CustomMul(non-leaves)");
        GradCheck.AssertSecondOrder(t => new CustomMul().Apply(Ops.Exp(t[0]), t[1] * t[1]), [Leaf(5, 2, 3), Leaf(6, 2, 1)],
            "CustomMul(non-leaves)");
        // a product of two applications, so the second derivative mixes them
        GradCheck.AssertSecondOrder(t => new MySiLU().Apply(new CustomMul().Apply(t[0], t[1])), [Leaf(7, 2, 3), Leaf(8, 3)], "SiLU∘CustomMul");
    }

    [Test]
    public void CustomMul_WithBroadcasting_ReducesTheGradientToEachInputsShape()
    {
        var a = Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 2, 3).RequireGrad();
        var b = Tensor.FromArray([10.0, 20, 30]).RequireGrad();
        var y = new CustomMul().Apply(a, b);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 40, 90, 40, 100, 180 }));
        y.Sum().Backward();
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 10.0, 20, 30, 10, 20, 30 }));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 5.0, 7, 9 }));         // column sums of a
        Assert.That(b.Grad!.Shape, Is.EqualTo(new Shape(3)));
    }

    [Test]
    public void AutogradGrad_WithLeafInputs_ReturnsTheGradients_AndLeavesEveryGradNull()
    {
        var a = Leaf(9, 2, 3);
        var b = Leaf(10, 3);
        var y = new CustomMul().Apply(new MySiLU().Apply(a), b).Sum();
        var grads = Autograd.Grad([y], [a, b]);
        var av = a.ToDoubleArray();
        var bv = b.ToDoubleArray();
        Assert.That(grads[0]!.ToDoubleArray(), Is.EqualTo(av.Select((v, i) => SiLUPrime(v) * bv[i % 3]).ToArray()).Within(1e-12));
        var expectedB = new double[3];
        for (int i = 0; i < 6; i++) expectedB[i % 3] += av[i] * Sigmoid(av[i]);
        Assert.That(grads[1]!.ToDoubleArray(), Is.EqualTo(expectedB).Within(1e-12));
        Assert.That((a.Grad, b.Grad), Is.EqualTo(((Tensor?)null, (Tensor?)null)), "Autograd.Grad writes no .Grad");
    }

    [Test]
    public void AutogradGrad_WithANonLeafInput_ReturnsItsGradient_AndLeavesEveryGradNull()
    {
        var x = Leaf(11, 4);
        var h = Ops.Exp(x);
        var y = new MySiLU().Apply(h).Sum();
        var dh = Autograd.Grad([y], [h])[0]!;
        Assert.That(dh.ToDoubleArray(), Is.EqualTo(h.ToDoubleArray().Select(SiLUPrime).ToArray()).Within(1e-12));
        Assert.That((x.Grad, h.Grad), Is.EqualTo(((Tensor?)null, (Tensor?)null)));
    }

    [Test]
    public void CreateGraph_RunsBackwardRecorded_SoTheGradientDifferentiatesAgain()
    {
        var x = Tensor.FromArray([-1.0, 0.5, 2.0]).RequireGrad();
        var g = Autograd.Grad([new MySiLU().Apply(x).Sum()], [x], createGraph: true)[0]!;
        Assert.That(g.RequiresGrad, Is.True);
        Assert.That(x.Grad, Is.Null);
        g.Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(x.ToDoubleArray().Select(SiLUSecond).ToArray()).Within(1e-12));

        var z = Tensor.FromArray([0.3, -1.2]).RequireGrad();
        new MySiLU().Apply(z).Sum().Backward(createGraph: true);
        var first = z.Grad!;
        Assert.That(first.RequiresGrad, Is.True);
        z.Grad = null;
        first.Sum().Backward();
        Assert.That(z.Grad!.ToDoubleArray(), Is.EqualTo(new[] { SiLUSecond(0.3), SiLUSecond(-1.2) }).Within(1e-12));
    }

    [Test]
    public void OnceDifferentiable_WorksForFirstOrder_AndCreateGraphThrowsNamingTheFunction()
    {
        var x = Tensor.FromArray([1.0, -3.0]).RequireGrad();
        new DoubleBySpans().Apply(x).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 2.0 }));
        GradCheck.Assert(t => new DoubleBySpans().Apply(t[0]), [Leaf(12, 3)], "DoubleBySpans");
        var y = new DoubleBySpans().Apply(x * x).Sum();
        AssertThrows<NotSupportedException>(() => Autograd.Grad([y], [x], createGraph: true), "DoubleBySpans", "createGraph");
    }

    [Test]
    public void SecondOrder_ThroughABackwardNotBuiltFromOps_SaysTheGradientDependsOnNoRecordedOp()
    {
        // A gradient penalty through a Function whose Backward writes arrays: the gradient requires no grad, and the
        // error used to say "set RequiresGrad on the leaves first", though x requires grad.
        var x = Tensor.FromArray([1.0, -3.0]).RequireGrad();
        var g = Autograd.Grad([new SquareBySpans().Apply(x).Sum()], [x], createGraph: true)[0]!;
        var penalty = (g * g).Sum();
        string[] why = ["does not require grad", "gradient computed with createGraph", "SquareBySpans",
            "not differentiable", "OnceDifferentiable", "or the gradient is constant"];
        AssertThrows<ArgumentException>(() => Autograd.Grad([penalty], [x]), ["Autograd.Grad", "output 0", .. why]);
        AssertThrows<ArgumentException>(() => penalty.Backward(), ["Backward", .. why]);
        var message = Assert.Throws<ArgumentException>(() => penalty.Backward())!.Message;
        Assert.That(message, Does.Not.Contain("set RequiresGrad on the leaves"));

        // The same through Backward(createGraph: true) and x.Grad.
        new SquareBySpans().Apply(x).Sum().Backward(createGraph: true);
        AssertThrows<ArgumentException>(() => x.Grad!.Sum().Backward(), ["Backward", .. why]);

        // A plain leaf that does not require grad keeps the old advice.
        AssertThrows<ArgumentException>(() => Tensor.FromArray([1.0]).Sum().Backward(), "Backward", "set RequiresGrad on the leaves");
    }

    [Test]
    public void NeedsInputGrad_IsTrueOnlyForRecordedInputsThatRequireGrad_AndANullGradientContributesNothing()
    {
        var a = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var b = Tensor.FromArray([3.0, 4.0]);
        var f = new CustomMul();
        f.Apply(a, b).Sum().Backward();
        Assert.That(f.LastNeeds, Is.EqualTo(new[] { true, false }));
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 4.0 }));

        var c = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        new Returns(_ => [null]).Apply(c).Sum().Backward();               // a null for an input that wants one is fine
        Assert.That(c.Grad, Is.Null);

        using (Tape.NoGrad()) f.Apply(a, b);
        Assert.That(f.LastNeeds, Is.EqualTo(new[] { false, false }));
    }

    [Test]
    public void Tape_PrintsTheFunctionsName()
    {
        var x = Tensor.FromArray([1.0]).RequireGrad();
        var y = new MySiLU().Apply(x);
        Assert.That(y.Creator!.ToString(), Does.Contain("MySiLU").And.Contain(y.Label).And.Contain(x.Label));
        Assert.That(y.Creator.Tape.ToString(), Does.Contain("MySiLU"));
    }

    [Test]
    public void Backward_ThrowsWhenTheCountOfGradientsIsWrong()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = new Returns(g => [g, g]).Apply(x).Sum();
        AssertThrows<InvalidOperationException>(() => y.Backward(), "Returns", "2 gradient(s) for 1 input(s)", x.Label);
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void Backward_ThrowsWhenAGradientHasTheWrongShapeOrDType()
    {
        var x = Tensor.FromArray([1.0, 2, 3, 4, 5, 6], 2, 3).RequireGrad();
        var wrongShape = new Returns(_ => [Tensor.Ones([3, 2], DType.Float64)]).Apply(x).Sum();
        AssertThrows<InvalidOperationException>(() => wrongShape.Backward(), "Returns", "gradient 0 has shape [3, 2]", "[2, 3]");

        var notReducible = new Returns(_ => [Tensor.Ones([3], DType.Float64)]).Apply(x).Sum();     // [2, 3] does not broadcast to [3]
        AssertThrows<InvalidOperationException>(() => notReducible.Backward(), "Returns", "[3]", "[2, 3]");

        var wrongDType = new Returns(_ => [Tensor.Ones(2, 3)]).Apply(x).Sum();
        AssertThrows<InvalidOperationException>(() => wrongDType.Backward(), "Returns", "Float32", "Float64", "[2, 3]");

        var nullArray = new Returns(_ => null!).Apply(x).Sum();
        AssertThrows<InvalidOperationException>(() => nullArray.Backward(), "Returns", "returned null");

        var broadcast = new Returns(_ => [Tensor.Ones([4, 2, 3], DType.Float64)]).Apply(x).Sum();   // reducible: summed back
        broadcast.Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.All.EqualTo(4.0));
    }

    [Test]
    public void Backward_ThrowsWhenAnInputWasModifiedInPlace()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var h = x * 1.0;
        var y = new MySiLU().Apply(h).Sum();
        h.AsDoubleSpan()[0] = 5;
        AssertThrows<InvalidOperationException>(() => y.Backward(), "Backward", "input 0 of MySiLU", "modified in place");
    }

    [Test]
    public void Backward_ThrowsWhenASavedTensorWasModifiedInPlace()
    {
        var factor = Tensor.FromArray([2.0, 3.0]);
        factor.Name = "factor";
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = new ScaleBy(factor).Apply(x).Sum();
        factor.AsDoubleSpan()[0] = 7;
        AssertThrows<InvalidOperationException>(() => y.Backward(), "Backward", "saved tensor 0 of ScaleBy", "factor[2]", "modified in place");
    }

    [Test]
    public void Forward_ReturningItsInput_RecordsAViewAndLeavesTheInputALeaf()
    {
        var x = Tensor.FromArray([1.0, 2.0]).RequireGrad();
        var y = new Identity().Apply(x);
        Assert.That(y, Is.Not.SameAs(x));
        Assert.That((x.IsLeaf, y.Creator!.Op), Is.EqualTo((true, "Identity")));
        (y * y).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, 4.0 }));
    }

    [Test]
    public void MarkNonDifferentiable_LeavesTheOutputUnrecorded()
    {
        var x = Tensor.FromArray([-2.0, 3.0]).RequireGrad();
        var y = new SignOf().Apply(x);
        Assert.That((y.RequiresGrad, y.IsLeaf), Is.EqualTo((false, true)));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -1.0, 1.0 }));
    }

    [Test]
    public void Apply_UnderNoGrad_RecordsNothing_AndBackwardSaysWhy()
    {
        var x = Tensor.FromArray([1.0]).RequireGrad();
        Tensor y;
        using (Tape.NoGrad()) y = new MySiLU().Apply(x);
        Assert.That(y.RequiresGrad, Is.False);
        AssertThrows<ArgumentException>(() => y.Backward(), "Backward", "computed by MySiLU inside a NoGrad scope");
    }

    [Test]
    public void Apply_OnInputsThatDoNotRequireGrad_GivesAConstant_AndTheOrdinaryMessage()
    {
        var y = new MySiLU().Apply(Tensor.FromArray([1.0]));
        Assert.That(y.RequiresGrad, Is.False);
        AssertThrows<ArgumentException>(() => y.Backward(), "Backward", "does not require grad and no recorded op produced it");
    }

    [Test]
    public void Apply_ThrowsForNullInputs()
    {
        AssertThrows<ArgumentNullException>(() => new MySiLU().Apply(null!), "MySiLU", "inputs");
        AssertThrows<ArgumentNullException>(() => new MySiLU().Apply([null!]), "MySiLU", "inputs[0]");
    }

    [Test]
    public void Float32_TrainsLikeABuiltInOp()
    {
        var x = Tensor.FromArray([-1f, 0.5f]).RequireGrad();
        new MySiLU().Apply(x).Sum().Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { SiLUPrime(-1), SiLUPrime(0.5) }).Within(1e-6));
    }

    private sealed class SquareKeepingItsInput : Function
    {
        private Tensor? _x;                                              // per-call state on the instance: the trap

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            _x = inputs[0];
            return inputs[0] * inputs[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * 2.0 * _x!];
    }

    [Test]
    public void Apply_RefusesAFunctionWithAMutableTensorField()
    {
        // Two calls before one Backward would give the first call the second call's input (p.Grad = 2q, silently).
        var p = Tensor.FromArray([1.0]).RequireGrad();
        AssertThrows<InvalidOperationException>(() => new SquareKeepingItsInput().Apply(p), "SquareKeepingItsInput", "field '_x'", "FunctionContext", "readonly");
    }

    private sealed class SquareKeepingItsInputInAnArray : Function
    {
        private readonly Tensor?[] _saved = new Tensor?[1];              // readonly, yet its element changes per call

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            _saved[0] = inputs[0];
            return inputs[0] * inputs[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * 2.0 * _saved[0]!];
    }

    [Test]
    public void Apply_RefusesAFunctionKeepingTensorsInAReadonlyArray()
    {
        var p = Tensor.FromArray([1.0]).RequireGrad();
        AssertThrows<InvalidOperationException>(() => new SquareKeepingItsInputInAnArray().Apply(p), "SquareKeepingItsInputInAnArray", "field '_saved'");
    }

    private sealed class SquareKeepingItsInputInAStatic : Function
    {
        private static Tensor? s_x;

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            s_x = inputs[0];
            return inputs[0] * inputs[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * 2.0 * s_x!];
    }

    private sealed class WithConstantsAndALock(double slope) : Function
    {
        private readonly object _gate = new();
        private readonly Dictionary<string, object> _options = new() { ["slope"] = slope };
        private readonly int[] _dims = [0];

        protected override Tensor Forward(FunctionContext ctx, IReadOnlyList<Tensor> inputs)
        {
            lock (_gate) return inputs[0] * (double)_options["slope"] * (_dims.Length);
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * (double)_options["slope"]];
    }

    [Test]
    public void Apply_RefusesAStaticTensorField_ButNotALockOrOptions()
    {
        var p = Tensor.FromArray([1.0]).RequireGrad();
        AssertThrows<InvalidOperationException>(() => new SquareKeepingItsInputInAStatic().Apply(p), "SquareKeepingItsInputInAStatic", "field 's_x'");
        Assert.That(new WithConstantsAndALock(3.0).Apply(p).ItemDouble(), Is.EqualTo(3.0));
    }
}
