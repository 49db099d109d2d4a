using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

using Ops = global::Autodiff.Ops;

/// <summary>Backward(createGraph: true) and Autograd.Grad: gradients of gradients, checked against central differences
/// of the first derivatives (GradCheck.AssertSecondOrder) and against a numerical Hessian.</summary>
public class SecondOrderTests
{
    private static Tensor Positive(long seed, params int[] shape) =>
        (Tensor.Rand(shape, new Generator(seed), DType.Float64) + 0.5).Detach().RequireGrad();

    private static readonly (string Name, Func<Tensor, Tensor> F, bool PositiveOnly)[] Unary =
    [
        ("Neg", Ops.Neg, false), ("Exp", Ops.Exp, false), ("Log", Ops.Log, true), ("Log1p", Ops.Log1p, true),
        ("Tanh", Ops.Tanh, false), ("Sigmoid", Ops.Sigmoid, false), ("Relu", Ops.Relu, false),
        ("LeakyRelu", x => Ops.LeakyRelu(x, 0.1), false), ("Gelu", x => Ops.Gelu(x), false),
        ("Gelu(tanh)", x => Ops.Gelu(x, approximateTanh: true), false), ("Softplus", x => Ops.Softplus(x), false),
        ("Softplus(beta 2, threshold 1)", x => Ops.Softplus(x, 2, 1), false), ("Sqrt", Ops.Sqrt, true),
        ("Abs", Ops.Abs, false), ("Pow(3)", x => Ops.Pow(x, 3), false), ("Pow(0.5)", x => Ops.Pow(x, 0.5), true),
        ("Pow(0)", x => Ops.Pow(x, 0), false), ("Clamp", x => Ops.Clamp(x, -0.5, 0.5), false), ("Erf", Ops.Erf, false),
        ("Sin", Ops.Sin, false), ("Cos", Ops.Cos, false), ("Rsqrt", Ops.Rsqrt, true), ("Square", Ops.Square, false),
        ("Pow(2)", x => Ops.Pow(x, 2), false), ("Pow(-1.5)", x => Ops.Pow(x, -1.5), true), ("Pow(2.5)", x => Ops.Pow(x, 2.5), true),
        ("Silu", Ops.Silu, false), ("Mish", Ops.Mish, false),
    ];

    private static IEnumerable<TestCaseData> ThirdOrderCases() =>
        new[] { "Erf", "Sin", "Cos", "Log1p", "Sqrt", "Rsqrt", "Softplus", "Pow(2.5)", "Pow(3)", "Gelu", "Silu" }
            .Select(name => new TestCaseData(name).SetName($"ThirdOrder_{name}"));

    /// <summary>The fused backward ops (ErfBackward, SinBackward, PowBackward, ...) differentiate through their own rules:
    /// the gradient of the gradient matches central differences, so a third derivative is right too.</summary>
    [TestCaseSource(nameof(ThirdOrderCases))]
    public void ElementwiseUnary_ThirdOrder_MatchesCentralDifferencesOfTheSecondDerivative(string name)
    {
        var (_, f, positiveOnly) = Unary.Single(u => u.Name == name);
        var x = positiveOnly ? Positive(11, 2, 3) : Leaf(11, 2, 3);
        GradCheck.AssertSecondOrder(t => Autograd.Grad([f(t[0]).Sum()], [t[0]], createGraph: true)[0]!, [x], name + " (third order)");
    }

    private static IEnumerable<TestCaseData> UnaryCases() => Unary.Select(u => new TestCaseData(u.Name).SetName($"SecondOrder_{u.Name}"));

    [TestCaseSource(nameof(UnaryCases))]
    public void ElementwiseUnary_MatchesCentralDifferencesOfTheFirstDerivative(string name)
    {
        var (_, f, positiveOnly) = Unary.Single(u => u.Name == name);
        var x = positiveOnly ? Positive(1, 2, 3) : Leaf(1, 2, 3);
        GradCheck.AssertSecondOrder(t => f(t[0]), [x], name);
        GradCheck.AssertSecondOrder(t => f(t[0]).Sum(), [x], name + " summed");
    }

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> F)[] Binary =
    [
        ("Add", Ops.Add), ("Sub", Ops.Sub), ("Mul", Ops.Mul), ("Div", Ops.Div),
        ("Maximum", Ops.Maximum), ("Minimum", Ops.Minimum),
        ("Where", (a, b) => Ops.Where(Tensor.FromArray(new[] { 1.0, 0, 1 }, 3), a, b)),
    ];

    private static IEnumerable<TestCaseData> BinaryCases() => Binary.Select(u => new TestCaseData(u.Name).SetName($"SecondOrder_{u.Name}"));

    [TestCaseSource(nameof(BinaryCases))]
    public void ElementwiseBinary_WithBroadcasting_MatchesCentralDifferences(string name)
    {
        var f = Binary.Single(u => u.Name == name).F;
        GradCheck.AssertSecondOrder(t => f(t[0], t[1]) * f(t[1], t[0]), [Positive(2, 2, 3), Positive(3, 3)], name);
    }

    [Test]
    public void ReductionsShapesAndLosses_MatchCentralDifferences()
    {
        GradCheck.AssertSecondOrder(t => Ops.Exp(t[0]).Sum(1), [Leaf(4, 2, 3)], "Sum(dim)");
        GradCheck.AssertSecondOrder(t => Ops.Exp(t[0]).Mean(), [Leaf(5, 2, 3)], "Mean");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Max(t[0], 1)) * 2, [Leaf(6, 2, 3)], "Max(dim)");
        GradCheck.AssertSecondOrder(t => Ops.Exp(Ops.Max(t[0])), [Leaf(7, 2, 3)], "Max");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(t[0].Reshape(3, 2).Transpose(0, 1)), [Leaf(8, 2, 3)], "Reshape/Transpose");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Permute(t[0], 2, 0, 1)), [Leaf(9, 2, 3, 2)], "Permute");
        GradCheck.AssertSecondOrder(t => Ops.Exp(Ops.Expand(t[0], 4, 3)), [Leaf(10, 1, 3)], "Expand");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Cat([t[0], t[1]], 1)), [Leaf(11, 2, 2), Leaf(12, 2, 3)], "Cat");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.MatMul(t[0], t[1])), [Leaf(13, 2, 3), Leaf(14, 3, 2)], "MatMul");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.MatMul(t[0], t[1])), [Leaf(15, 3), Leaf(16, 2, 3, 2)], "MatMul (1-D, batched)");
        GradCheck.AssertSecondOrder(t => Ops.Tanh(Ops.Linear(t[0], t[1], t[2])), [Leaf(17, 2, 3), Leaf(18, 4, 3), Leaf(19, 4)], "Linear");
        GradCheck.AssertSecondOrder(t => Ops.LogSoftmax(t[0], 1), [Leaf(20, 2, 4)], "LogSoftmax");
        GradCheck.AssertSecondOrder(t => Ops.Softmax(t[0], 0), [Leaf(21, 3, 2)], "Softmax");
        GradCheck.AssertSecondOrder(t => Ops.SoftmaxCrossEntropy(t[0], [2, 0]), [Leaf(22, 2, 3)], "SoftmaxCrossEntropy");
        GradCheck.AssertSecondOrder(t => Ops.NllLoss(Ops.LogSoftmax(t[0], 1), [1, 2]), [Leaf(23, 2, 3)], "NllLoss");
        GradCheck.AssertSecondOrder(t => Ops.BinaryCrossEntropyWithLogits(t[0], t[1]), [Leaf(24, 2, 3), Positive(25, 2, 3)], "BCEWithLogits");
        GradCheck.AssertSecondOrder(t => Ops.SumToSize(Ops.Exp(t[0]), 1, 3), [Leaf(26, 2, 3)], "SumToSize");
        GradCheck.AssertSecondOrder(t => Ops.Exp(Ops.Slice(t[0], 1, 0, 3, 2)) * Ops.Select(t[0], 0, 1).Sum(), [Leaf(27, 2, 3)], "Slice/Select");
    }

    [Test]
    public void Hessian_OfASmallMlpLoss_MatchesTheNumericalHessian()
    {
        // 3-4-2 MLP with tanh, cross-entropy on 5 samples; all 26 parameters in one vector so the Hessian is 26 x 26.
        var x = Tensor.Randn([5, 3], 30, DType.Float64);
        int[] labels = [0, 1, 1, 0, 1];
        var theta = (Tensor.Randn([26], 31, DType.Float64) * 0.5).Detach().RequireGrad();
        Tensor Loss(Tensor p)
        {
            var (w1, b1) = (Ops.Slice(p, 0, 0, 12).Reshape(4, 3), Ops.Slice(p, 0, 12, 16));
            var (w2, b2) = (Ops.Slice(p, 0, 16, 24).Reshape(2, 4), Ops.Slice(p, 0, 24, 26));
            return Ops.SoftmaxCrossEntropy(Ops.Linear(Ops.Tanh(Ops.Linear(x, w1, b1)), w2, b2), labels).Mean();
        }
        double[] Gradient(double[] p)
        {
            var t = Tensor.FromArray(p, 26).RequireGrad();
            Loss(t).Backward();
            return t.Grad!.ToDoubleArray();
        }

        // The tape's Hessian: one row per parameter, d/dθ of (∇L)ᵢ, from a gradient built with createGraph.
        var grad = Autograd.Grad([Loss(theta)], [theta], createGraph: true)[0]!;
        var hessian = new double[26, 26];
        for (int i = 0; i < 26; i++)
        {
            var row = Autograd.Grad([Ops.Select(grad, 0, i)], [theta], retainGraph: true, allowUnused: true)[0];
            for (int j = 0; j < 26; j++) hessian[i, j] = row?.ToDoubleArray()[j] ?? 0;
        }
        // The numerical Hessian: central differences of the (first-order) gradient.
        var p0 = theta.ToDoubleArray();
        const double eps = 1e-5;
        for (int j = 0; j < 26; j++)
        {
            var (plus, minus) = ((double[])p0.Clone(), (double[])p0.Clone());
            plus[j] += eps;
            minus[j] -= eps;
            var (gp, gm) = (Gradient(plus), Gradient(minus));
            for (int i = 0; i < 26; i++)
                Assert.That(hessian[i, j], Is.EqualTo((gp[i] - gm[i]) / (2 * eps)).Within(1e-7), $"H[{i}, {j}]");
        }
        for (int i = 0; i < 26; i++)
            for (int j = 0; j < i; j++) Assert.That(hessian[i, j], Is.EqualTo(hessian[j, i]).Within(1e-12), "symmetric");
    }

    [Test]
    public void HessianVectorProduct_OfSumOfCubes_IsSixXTimesV()
    {
        var x = Tensor.FromArray(new[] { 1.0, -2, 3 }, 3).RequireGrad();
        var v = Tensor.FromArray(new[] { 0.5, 1, -1 }, 3);
        var g = Autograd.Grad([Ops.Pow(x, 3).Sum()], [x], createGraph: true)[0]!;        // 3x²
        var hv = Autograd.Grad([(g * v).Sum()], [x])[0]!;                                  // H·v = 6x ⊙ v
        Assert.That(g.ToDoubleArray(), Is.EqualTo(new[] { 3.0, 12, 27 }).Within(1e-12));
        Assert.That(hv.ToDoubleArray(), Is.EqualTo(new[] { 3.0, -12, -18 }).Within(1e-12));
        Assert.That(x.Grad, Is.Null, "Autograd.Grad leaves .Grad alone");
    }

    [Test]
    public void BackwardCreateGraph_LeavesAGradientThatCanBeBackpropagated()
    {
        var x = Tensor.FromArray(new[] { 2.0 }, 1).RequireGrad();
        Ops.Pow(x, 3).Sum().Backward(createGraph: true);                                  // x.Grad = 3x² = 12, with a graph
        var g = x.Grad!;
        Assert.That(g.RequiresGrad, Is.True);
        Assert.That(g.ItemDouble(), Is.EqualTo(12).Within(1e-12));
        x.Grad = null;
        g.Sum().Backward();                                                              // d(3x²)/dx = 6x = 12
        Assert.That(x.Grad!.ItemDouble(), Is.EqualTo(12).Within(1e-12));
    }

    [Test]
    public void GradientPenalty_TrainsThroughTheGradientNorm()
    {
        // d/dw of |∂(w·x)/∂x|² = |w|² is 2w: the gradient penalty of WGAN-GP in miniature.
        var w = Tensor.FromArray(new[] { 1.0, -2 }, 2).RequireGrad();
        var x = Tensor.FromArray(new[] { 0.3, 0.7 }, 2).RequireGrad();
        var dx = Autograd.Grad([(w * x).Sum()], [x], createGraph: true)[0]!;
        (dx * dx).Sum().Backward();
        Assert.That(w.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 2.0, -4 }).Within(1e-12));
    }

    [Test]
    public void Grad_WithRespectToAnIntermediateTensor()
    {
        var x = Leaf(40, 3);
        var h = Ops.Exp(x);
        var y = (h * h).Sum();
        var dh = Autograd.Grad([y], [h])[0]!;
        Assert.That(dh.ToDoubleArray(), Is.EqualTo(h.ToDoubleArray().Select(v => 2 * v)).Within(1e-12));
        Assert.That(x.Grad, Is.Null);
    }

    [Test]
    public void Grad_ThrowsForAnUnusedInput_UnlessAllowed()
    {
        var (a, b) = (Leaf(41, 2), Leaf(42, 2));
        AssertThrows<ArgumentException>(() => Autograd.Grad([Ops.Exp(a).Sum()], [a, b]), "Autograd.Grad", "input 1", "not used");
        var grads = Autograd.Grad([Ops.Exp(a).Sum()], [a, b], allowUnused: true);
        Assert.That(grads[1], Is.Null);
    }

    [Test]
    public void Grad_ThrowsForAnOutputThatDoesNotRequireGrad() =>
        AssertThrows<ArgumentException>(() => Autograd.Grad([Tensor.Ones(1)], [Leaf(43, 1)]), "Autograd.Grad", "output 0", "does not require grad");

    [Test]
    public void Grad_ThrowsForAGradOutputsCountMismatch() =>
        AssertThrows<ArgumentException>(() => Autograd.Grad([Leaf(44, 2).Sum()], [Leaf(45, 2)], gradOutputs: []), "Autograd.Grad", "0 gradOutputs for 1 outputs");

    [Test]
    public void CreateGraph_ThroughAnOpWithoutADifferentiableBackward_ThrowsNamingIt()
    {
        // A custom op recorded with only a kernel backward: y = 2x.
        var x = Leaf(46, 4);
        var doubled = Tape.Record("Double", Tensor.FromArray(x.ToDoubleArray().Select(v => 2 * v).ToArray(), 4), [x], "dx += 2g",
            dy => x.Grad = dy * 2);
        var ex = Assert.Throws<NotSupportedException>(() => doubled.Sum().Backward(createGraph: true))!;
        Assert.That(ex.Message, Does.StartWith("Double:").And.Contain("createGraph"));
    }

    [Test]
    public void IndexSelect_WithRepeatsAlongAMiddleDim_MatchesCentralDifferences() =>
        // Exp makes the second derivative nonzero; index 2 twice makes the backward scatter-add two slices into one.
        GradCheck.AssertSecondOrder(t => Ops.Exp(Ops.IndexSelect(t[0], 1, [2, 0, 2])) * Ops.IndexSelect(t[0], 1, [1, 1, 0]),
            [Leaf(47, 2, 3, 2)], "IndexSelect");

    [Test]
    public void IndexSelect_ThirdOrder_DifferentiatesTheScatterTwice() =>
        GradCheck.AssertSecondOrder(t => Autograd.Grad([Ops.Pow(Ops.IndexSelect(t[0], 1, [2, 0, 2]), 4).Sum()], [t[0]], createGraph: true)[0]!,
            [Leaf(48, 2, 3, 2)], "IndexSelect (third order)");
}
