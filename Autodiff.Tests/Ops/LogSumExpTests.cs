using Autodiff;
using static Autodiff.Tests.TestHelpers;
using static Autodiff.Tests.Ops.ElementwiseTestData;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.LogSumExp (Ops/LogSumExp.cs).</summary>
public class LogSumExpTests
{
    // [[1, 2, 3], [4, 5, 7]]
    private static Tensor Small() => Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 7 }, 2, 3);

    [TestCase(1, new[] { 3.40760596444438, 7.169846019556285 }, new[] { 2 })]                              // log(e¹+e²+e³), log(e⁴+e⁵+e⁷)
    [TestCase(-1, new[] { 3.40760596444438, 7.169846019556285 }, new[] { 2 })]
    [TestCase(0, new[] { 4.048587351573742, 5.048587351573742, 7.0181499279178094 }, new[] { 3 })]       // log(e¹+e⁴), ...
    public void Forward_IsLogOfSumOfExp(int dim, double[] expected, int[] shape)
    {
        var y = Ops.LogSumExp(Small(), dim);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(shape));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-14));
    }

    [Test]
    public void Forward_KeepDim_KeepsSizeOneDim()
    {
        var y = Small().LogSumExp(1, keepDim: true);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 1 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(Ops.LogSumExp(Small(), 1).ToDoubleArray()));
    }

    [TestCase(DType.Float32, 1)]
    [TestCase(DType.Float32, 3)]   // inner > 1: the strided path
    [TestCase(DType.Float64, 1)]
    public void Forward_IsStable_ForLargeAndInfiniteInputs(DType dtype, int inner)
    {
        // logsumexp([1000, 1000]) = 1000 + log 2 without overflow; [-1000, -1000] -> -1000 + log 2; all -inf -> -inf; a +inf -> +inf
        double[] rows = [1000, 1000, -1000, -1000, double.NegativeInfinity, double.NegativeInfinity, double.PositiveInfinity, 0];
        var x = Tensor.FromArray(rows.SelectMany(v => Enumerable.Repeat(v, inner)).ToArray(), 4, 2, inner).To(dtype);
        var y = Ops.LogSumExp(x, 1).ToDoubleArray();
        double[] expected = [1000 + Math.Log(2), -1000 + Math.Log(2), double.NegativeInfinity, double.PositiveInfinity];
        Assert.That(y, Is.EqualTo(expected.SelectMany(v => Enumerable.Repeat(v, inner)).ToArray()).Within(1e-4));
    }

    [Test]
    public void Forward_EmptyDim_IsMinusInfinity()
    {
        var y = Ops.LogSumExp(Tensor.Zeros([2, 0], DType.Float64), 1);     // torch.logsumexp(torch.zeros(2, 0), 1) = [-inf, -inf]
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { double.NegativeInfinity, double.NegativeInfinity }));
    }

    [Test]
    public void Backward_IsSoftmax()
    {
        var x = Small().RequireGrad();
        BackwardOfSum(Ops.LogSumExp(x, 1));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(Ops.Softmax(Small(), 1).ToDoubleArray()).Within(1e-15));
    }

    [TestCase(new[] { 5 }, 0, 161)]
    [TestCase(new[] { 2, 3 }, 1, 162)]
    [TestCase(new[] { 2, 3, 4 }, 1, 163)]
    [TestCase(new[] { 2, 3, 4 }, -3, 164)]
    public void Backward_MatchesCentralDifferences_Float64(int[] shape, int dim, long seed)
    {
        GradCheck.Assert(xs => Ops.LogSumExp(xs[0], dim), [Randn(shape, seed)], "LogSumExp");
        GradCheck.Assert(xs => Ops.LogSumExp(xs[0], dim, keepDim: true), [Randn(shape, seed)], "LogSumExp(keepDim)");
    }

    [Test]
    public void SecondOrder_MatchesCentralDifferences_Float64()
    {
        GradCheck.AssertSecondOrder(xs => Ops.LogSumExp(xs[0], 1), [Randn([2, 3, 2], 165)], "LogSumExp");
        GradCheck.AssertSecondOrder(xs => Ops.LogSumExp(xs[0], 0, keepDim: true), [Randn([3, 2], 166)], "LogSumExp(keepDim)");
    }

    [Test]
    public void Throws_WhenDimIsOutOfRange() =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.LogSumExp(Small(), 2), "LogSumExp", "dim 2", "[2, 3]");
}
