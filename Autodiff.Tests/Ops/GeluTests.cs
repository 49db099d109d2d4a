using Autodiff;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

public class GeluTests
{
    [Test]
    public void Forward_Exact_MatchesNormalCdfFormula()
    {
        // F.gelu(torch.tensor([1., -1., 2., 0.5, -3., 0.], dtype=torch.float64)): x·Φ(x) = x·(1 + erf(x/√2))/2
        var y = Autodiff.Ops.Gelu(F64(1, -1, 2, 0.5, -3, 0));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[]
        {
            0.8413447460685429, -0.15865525393145707, 1.9544997361036416, 0.34573123063700656, -0.00404969409489031, 0.0,
        }).Within(1e-12));
    }

    [Test]
    public void Forward_Exact_AtOneIsPhiOfOne()
    {
        Assert.That(Autodiff.Ops.Gelu(F64(1.0))[0], Is.EqualTo(0.8413447460685429).Within(1e-12));   // Φ(1)
    }

    [Test]
    public void Forward_Exact_Float32()
    {
        var y = Autodiff.Ops.Gelu(F32(1f, -1f));
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.8413447460685429, -0.15865525393145707 }).Within(1e-7));
    }

    [Test]
    public void Forward_ApproximateTanh_MatchesTanhFormula()
    {
        // F.gelu(torch.tensor([1., -1., 2., 0.5], dtype=torch.float64), approximate='tanh'):
        // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        var y = Autodiff.Ops.Gelu(F64(1, -1, 2, 0.5), approximateTanh: true);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[]
        {
            0.8411919906082768, -0.15880800939172324, 1.954597694087775, 0.34571400982514394,
        }).Within(1e-12));
    }

    [Test]
    public void Forward_SaturatesToIdentityAndZeroAtLargeInputs()
    {
        // gelu(10) = 10·Φ(10) = 10 (to double precision); gelu(-10) = -10·Φ(-10) ≈ -7.6e-23
        var exact = Autodiff.Ops.Gelu(F64(10, -10)).ToDoubleArray();
        var tanh = Autodiff.Ops.Gelu(F64(10, -10), approximateTanh: true).ToDoubleArray();
        Assert.That(exact, Is.EqualTo(new[] { 10.0, 0.0 }).Within(1e-12));
        Assert.That(tanh, Is.EqualTo(new[] { 10.0, 0.0 }).Within(1e-12));
    }

    [Test]
    public void Backward_Exact_GivesPhiPlusXTimesDensity()
    {
        // d/dx x·Φ(x) = Φ(x) + x·φ(x): at 0 -> 0.5, at 1 -> 0.8413447460685429 + 0.24197072451914337
        var x = F64(0, 1).RequireGrad();
        BackwardOfSum(Autodiff.Ops.Gelu(x));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.5, 0.8413447460685429 + 0.24197072451914337 }).Within(1e-12));
    }

    [TestCase(new[] { 5 }, false, 151)]
    [TestCase(new[] { 2, 3 }, false, 152)]
    [TestCase(new[] { 2, 3, 4 }, false, 153)]
    [TestCase(new int[0], false, 154)]
    [TestCase(new[] { 5 }, true, 155)]
    [TestCase(new[] { 2, 3 }, true, 156)]
    [TestCase(new[] { 2, 3, 4 }, true, 157)]
    [TestCase(new int[0], true, 158)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, bool approximateTanh, long seed)
    {
        var x = Randn(shape, seed);
        GradCheck.Assert(xs => Autodiff.Ops.Gelu(xs[0], approximateTanh), [x], approximateTanh ? "Gelu(tanh)" : "Gelu");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Backward_MatchesCentralDifferences_WideRange_Float64(bool approximateTanh)
    {
        // covers both branches of erf (|x/√2| below and above 3) and the saturated tails
        var x = Tensor.FromArray(new[] { -6.0, -4.5, -3.2, -1.3, 0.3, 2.1, 4.4, 5.9 }).RequireGrad();
        GradCheck.Assert(xs => Autodiff.Ops.Gelu(xs[0], approximateTanh), [x], "Gelu");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void SecondDerivative_MatchesCentralDifferences_WideRange_Float64(bool approximateTanh)
    {
        // GeluBackward's rule for x is Gelu'', written apart from the fused Gelu' kernel: check it across both tails
        var x = Tensor.FromArray(new[] { -6.0, -4.5, -3.2, -1.3, 0.3, 2.1, 4.4, 5.9 }).RequireGrad();
        GradCheck.AssertSecondOrder(xs => Autodiff.Ops.Gelu(xs[0], approximateTanh), [x], "Gelu");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void ThirdOrder_MatchesCentralDifferences_Float64(bool approximateTanh) =>
        GradCheck.AssertSecondOrder(xs => Autograd.Grad([Autodiff.Ops.Gelu(xs[0], approximateTanh).Sum()], [xs[0]], createGraph: true)[0]!,
            [Randn([2, 3], approximateTanh ? 160 : 159)], "Gelu (third order)");
}
