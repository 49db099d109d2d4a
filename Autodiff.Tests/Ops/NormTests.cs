using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.Norm (Ops/Norm.cs): torch.linalg.vector_norm.</summary>
public class NormTests
{
    [TestCase(2.0, 5.0)]                                       // √(9 + 16)
    [TestCase(1.0, 7.0)]                                       // 3 + 4
    [TestCase(double.PositiveInfinity, 4.0)]                   // max |x|
    [TestCase(double.NegativeInfinity, 0.0)]                   // min |x| (the 0)
    [TestCase(0.0, 2.0)]                                       // two non-zero elements
    [TestCase(3.0, 4.497941445275415)]                         // (27 + 64)^(1/3)
    [TestCase(0.5, 13.928203230275509)]                        // (√3 + 2)²
    public void Forward_AllElements(double p, double expected)
    {
        var y = Ops.Norm(F64(3, -4, 0), p);
        Assert.That(y.Shape.ToArray(), Is.Empty);
        Assert.That(y.ItemDouble(), Is.EqualTo(expected).Within(1e-13));
    }

    [Test]
    public void Forward_AlongDim_AndKeepDim()
    {
        // [[3, 4], [6, 8], [0, 0]]: row norms 5, 10, 0; column norms √45, √80
        var x = Tensor.FromArray(new[] { 3.0, 4, 6, -8, 0, 0 }, 3, 2);
        Assert.That(Ops.Norm(x, dim: 1).ToDoubleArray(), Is.EqualTo(new[] { 5.0, 10, 0 }).Within(1e-14));
        var cols = x.Norm(2, 0, keepDim: true);
        Assert.That(cols.Shape.ToArray(), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(cols.ToDoubleArray(), Is.EqualTo(new[] { Math.Sqrt(45), Math.Sqrt(80) }).Within(1e-14));
        Assert.That(Ops.Norm(x, double.PositiveInfinity, -1).ToDoubleArray(), Is.EqualTo(new[] { 4.0, 8, 0 }));
        Assert.That(Ops.Norm(x, keepDim: true).Shape.ToArray(), Is.EqualTo(new[] { 1, 1 }));
    }

    [Test]
    public void Forward_Float32_ContiguousAndStrided_Agree()
    {
        var x = Tensor.Randn([3, 37, 2], 191, DType.Float64);
        var expected = Ops.Norm(x, dim: 1).ToDoubleArray();
        Assert.That(Ops.Norm(x.To(DType.Float32), dim: 1).ToDoubleArray(), Is.EqualTo(expected).Within(1e-5));
        Assert.That(Ops.Norm(x.Permute(0, 2, 1).To(DType.Float32), dim: 2).ToDoubleArray(), Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void Backward_P2_IsXOverNorm_AndZeroAtTheZeroVector()
    {
        // torch.linalg.vector_norm(x, dim=1).sum().backward() on [[3, -4], [0, 0]] -> [[0.6, -0.8], [0, 0]]
        var x = Tensor.FromArray(new[] { 3.0, -4, 0, 0 }, 2, 2).RequireGrad();
        BackwardOfSum(Ops.Norm(x, dim: 1));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.6, -0.8, 0, 0 }).Within(1e-15));
    }

    [Test]
    public void Backward_P2_OfAllZeros_IsZero_AndSoIsItsSecondOrder()
    {
        var x = Tensor.Zeros([3], DType.Float64).RequireGrad();
        var g = Autograd.Grad([Ops.Norm(x)], [x], createGraph: true)[0]!;
        Assert.That(g.ToDoubleArray(), Is.All.EqualTo(0.0));
        Assert.That(Autograd.Grad([g.Sum()], [x])[0]!.ToDoubleArray(), Is.All.Not.NaN);
    }

    [Test]
    public void Backward_P1_IsSignOfX()
    {
        var x = F64(3, -4, 0).RequireGrad();
        Ops.Norm(x, 1).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, -1, 0 }));
    }

    [Test]
    public void Backward_PInf_SharesAmongTies_WithTheirSigns()
    {
        // |x| attains 4 at -4 and 4: each gets sign(x)/2, as PyTorch's amax backward
        var x = F64(3, -4, 4, 1).RequireGrad();
        Ops.Norm(x, double.PositiveInfinity).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, -0.5, 0.5, 0 }));
        var y = F64(3, -4, 2, -2).RequireGrad();
        Ops.Norm(y, double.NegativeInfinity).Backward();
        Assert.That(y.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0, 0.5, -0.5 }));
    }

    [Test]
    public void Backward_P0_IsZero()
    {
        var x = F64(3, -4, 0).RequireGrad();
        Ops.Norm(x, 0).Backward();
        Assert.That(x.Grad!.ToDoubleArray(), Is.All.EqualTo(0.0));
    }

    [TestCase(2.0, null, 201)]
    [TestCase(2.0, 1, 202)]
    [TestCase(1.0, 1, 203)]
    [TestCase(3.0, 0, 204)]
    [TestCase(1.5, null, 205)]
    [TestCase(0.5, 1, 206)]
    [TestCase(-1.0, 1, 207)]
    [TestCase(double.PositiveInfinity, 1, 208)]
    [TestCase(double.NegativeInfinity, null, 209)]
    public void Backward_MatchesCentralDifferences_Float64(double p, int? dim, long seed)
    {
        var x = AwayFrom(0, 0.1, [2, 3, 2], seed);           // away from 0, where |x| has a kink
        GradCheck.Assert(xs => Ops.Norm(xs[0], p, dim), [x], $"Norm(p = {p})");
        GradCheck.Assert(xs => Ops.Norm(xs[0], p, dim, keepDim: true), [x], $"Norm(p = {p}, keepDim)");
    }

    [TestCase(2.0)]
    [TestCase(1.0)]
    [TestCase(3.0)]
    [TestCase(0.5)]
    [TestCase(double.PositiveInfinity)]
    public void SecondOrder_MatchesCentralDifferences_Float64(double p) =>
        GradCheck.AssertSecondOrder(xs => Ops.Norm(xs[0], p, 1), [AwayFrom(0, 0.1, [2, 3], 210)], $"Norm(p = {p})");

    [Test]
    public void Throws_WhenPIsNaN_DimIsOutOfRange_OrTheInfNormIsOfNothing()
    {
        AssertThrows<ArgumentException>(() => Ops.Norm(F64(1, 2), double.NaN), "Norm", "p");
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.Norm(F64(1, 2), 2, 1), "Norm", "dim 1", "[2]");
        AssertThrows<ArgumentException>(() => Ops.Norm(Tensor.Zeros([2, 0], DType.Float64), double.PositiveInfinity, 1), "Norm", "inf norm", "[2, 0]");
        Assert.That(Ops.Norm(Tensor.Zeros([2, 0], DType.Float64), 2, 1).ToDoubleArray(), Is.EqualTo(new[] { 0.0, 0 }));
    }
}
