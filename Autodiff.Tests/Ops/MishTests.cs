using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Mish (Ops/Mish.cs) and its named backward op, MishBackward.</summary>
public class MishTests
{
    [Test]
    public void Forward_IsXTimesTanhSoftplus()
    {
        // Python: [v * math.tanh(math.log1p(math.exp(v))) for v in (0, 1, -2, 3)] (torch.nn.functional.mish gives the same)
        var y = Ops.Mish(F64(0, 1, -2, 3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0.8650983882673103, -0.2525014826957089, 2.9865350049679575 }).Within(1e-15));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Forward_LargeInputs_DoNotOverflow(DType dtype)
    {
        // mish(1000) = 1000 (softplus(1000) = 1000, tanh = 1), mish(-1000) = -1000·tanh(e^-1000) = -0
        var x = Tensor.FromArray(new[] { 1000.0, -1000.0 }).To(dtype).RequireGrad();
        var y = Ops.Mish(x);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1000.0, 0.0 }));
        BackwardOfSum(y);
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0.0 }));
    }

    [Test]
    public void Backward_GivesTheDerivative()
    {
        // t + x·σ(x)(1 - t²), t = tanh(softplus(x)): 0.6 at 0, 1.0490362200997922 at 1, -0.1083550924203939 at -2
        var x = F64(0, 1, -2).RequireGrad();
        BackwardOfSum(Ops.Mish(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.6, 1.0490362200997922, -0.1083550924203939 }).Within(1e-15));
    }

    [TestCase(new[] { 5 }, 151)]
    [TestCase(new[] { 2, 3 }, 152)]
    [TestCase(new int[0], 153)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, long seed) =>
        GradCheck.Assert(xs => Ops.Mish(xs[0]), [Randn(shape, seed)], "Mish");

    [Test]
    public void Backward_CreateGraph_RecordsMishBackward()
    {
        var x = F64(0.5).RequireGrad();
        var g = Autograd.Grad([Ops.Mish(x).Sum()], [x], createGraph: true)[0]!;
        Assert.That(g.Creator!.Op, Is.EqualTo("MishBackward"));
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Ops.Mish(xs[0]), [Randn([2, 3], 154)], "Mish");

    [Test]
    public void ThirdOrder_MatchesCentralDifferences_Float64() =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Ops.Mish(xs[0]).Sum()], [xs[0]], createGraph: true)[0]!,
            [Randn([4], 155)], "Mish (third order)");

    [Test]
    public void MatchesTheComposite_XTimesTanhOfSoftplus()
    {
        var x = Randn([2, 5], 156);
        Assert.That(Ops.Mish(x).ToDoubleArray(), Is.EqualTo((x * Ops.Tanh(Ops.Softplus(x))).ToDoubleArray()).Within(1e-15));
    }
}
