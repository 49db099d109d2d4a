using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.LogSoftmax (Ops/LogSoftmax.cs, Kernels/Softmax.cs): torch.log_softmax, and its recorded backward LogSoftmaxBackward.</summary>
public class LogSoftmaxTests
{
    [Test]
    public void Forward_SubtractsLogSumExp()
    {
        // log_softmax(x) = x - log(e¹ + e² + e³) = [-2.40760596, -1.40760596, -0.40760596]
        var y = Ops.LogSoftmax(Tensor.FromArray(new[] { 1.0, 2, 3 }), 0);
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 1 - lse, 2 - lse, 3 - lse }).Within(1e-12));
        Assert.That(y.ToDoubleArray()[0], Is.EqualTo(-2.40760596).Within(1e-8));
    }

    [Test]
    public void Forward_AlongDim0_NormalizesColumns()
    {
        // x = [[0, 1], [ln 3, 1]]: column 0 -> log([1/4, 3/4]), column 1 -> log([1/2, 1/2])
        var x = Tensor.FromArray(new[] { 0.0, 1, Math.Log(3), 1 }, 2, 2);
        var y = Ops.LogSoftmax(x, 0);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { Math.Log(0.25), Math.Log(0.5), Math.Log(0.75), Math.Log(0.5) }).Within(1e-12));
    }

    [TestCase(new[] { 1000.0, 0 }, new[] { 0.0, -1000 })]          // torch.log_softmax(torch.tensor([1000., 0]), 0)
    [TestCase(new[] { -1000.0, 0 }, new[] { -1000.0, 0 })]
    [TestCase(new[] { 1000.0, 1000 }, new[] { -0.69314718055994531, -0.69314718055994531 })]   // -ln 2
    [TestCase(new[] { -1000.0, -1000, -1000, -1000 }, new[] { -1.3862943611198906, -1.3862943611198906, -1.3862943611198906, -1.3862943611198906 })]
    public void Forward_LargeLogits_StayFiniteAndExact(double[] logits, double[] expected)
    {
        // Contiguous rows (inner = 1) and the strided path (the same values down a column) must agree.
        var row = Ops.LogSoftmax(Tensor.FromArray(logits), -1);
        var column = Ops.LogSoftmax(Tensor.FromArray(logits, logits.Length, 1), 0);
        Assert.That(row.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
        Assert.That(column.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Forward_LargeLogits_StayFinite_Float32()
    {
        var y = Ops.LogSoftmax(Tensor.FromArray(new[] { 1000f, 0f }), 0);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 0.0, -1000 }).Within(1e-12));
    }

    [TestCase(1000f)]
    [TestCase(-1000f)]
    [TestCase(30000f)]
    public void Forward_LargeEqualLogits_KeepFloat32Precision(float logit)
    {
        // torch.log_softmax(torch.full((2,), 1000.), 0) = [-0.6931472, -0.6931472] in float32: the shift by the max
        // must come off before log Σ is subtracted, or x - (max + log Σ) rounds at the magnitude of the logits.
        float ln2 = MathF.Log(2f);
        var row = Ops.LogSoftmax(Tensor.FromArray(new[] { logit, logit }), 0).ToDoubleArray();
        var column = Ops.LogSoftmax(Tensor.FromArray(new[] { logit, logit }, 2, 1), 0).ToDoubleArray();
        Assert.That(row, Is.EqualTo(new[] { -ln2, -ln2 }).Within(1e-6));
        Assert.That(column, Is.EqualTo(new[] { -ln2, -ln2 }).Within(1e-6));
    }

    [Test]
    public void Forward_Float32_MatchesFloat64()
    {
        var x64 = Tensor.Randn(new[] { 3, 5 }, 11, DType.Float64);
        var x32 = x64.To(DType.Float32);
        Assert.That(Ops.LogSoftmax(x32, 1).ToDoubleArray(), Is.EqualTo(Ops.LogSoftmax(x64, 1).ToDoubleArray()).Within(1e-5));
        Assert.That(Ops.LogSoftmax(x32, 0).ToDoubleArray(), Is.EqualTo(Ops.LogSoftmax(x64, 0).ToDoubleArray()).Within(1e-5));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(-1)]
    [TestCase(-2)]
    public void Backward_MatchesCentralDifferences_Float64(int dim) =>
        GradCheck.Assert(xs => Ops.LogSoftmax(xs[0], dim), new[] { Leaf(1, 2, 3, 4) }, "LogSoftmax");

    [Test]
    public void Backward_OneDim_MatchesCentralDifferences_Float64() =>
        GradCheck.Assert(xs => Ops.LogSoftmax(xs[0], 0), new[] { Leaf(2, 5) }, "LogSoftmax");

    [Test]
    public void Backward_LargeLogits_GivesSoftmaxMinusSeed()
    {
        // d/dx of Σ g·log_softmax(x) = g - softmax(x)·Σg; softmax([1000, 0]) = [1, 0]
        var x = Tensor.FromArray(new[] { 1000.0, 0 }).RequireGrad();
        Ops.LogSoftmax(x, 0).Backward(Tensor.FromArray(new[] { 0.0, 1 }));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { -1.0, 1 }).Within(1e-12));
    }

    [TestCase(1)]
    [TestCase(0)]
    public void Backward_CreateGraph_MatchesCentralDifferences(int dim) =>
        GradCheck.AssertSecondOrder(t => (Ops.Tanh(Ops.LogSoftmax(t[0], dim)) * t[0]).Sum(), [Leaf(5, 3, 4)], "LogSoftmax (nonlinear loss)");

    [TestCase(1)]
    [TestCase(0)]
    public void ThirdOrder_TheBackwardOpsOwnDerivatives_MatchCentralDifferences(int dim) =>
        // The function checked is itself a gradient built with createGraph, so its second derivative is a third derivative
        // of LogSoftmax: LogSoftmaxBackward is differentiated twice (in dy and in y).
        GradCheck.AssertSecondOrder(t =>
        {
            var y = Ops.LogSoftmax(t[0], dim);
            return Autograd.Grad([(Ops.Tanh(y) * y).Sum()], [t[0]], createGraph: true)[0]!;
        }, [Leaf(6, 3, 4)], "LogSoftmax (third order)");

    [TestCase(new[] { 2, 3, 4, 5 }, 1)]       // strided rows, positions in a partial vector
    [TestCase(new[] { 2, 3, 4, 5 }, 2)]
    [TestCase(new[] { 1, 3, 130 }, 1)]        // positions spanning two blocks of the strided kernel
    [TestCase(new[] { 3, 19 }, -1)]           // contiguous rows with a tail
    public void Backward_InnerDimsAndTails_MatchCentralDifferences_Float64(int[] shape, int dim) =>
        GradCheck.Assert(xs => Ops.LogSoftmax(xs[0], dim), new[] { Leaf(3, shape) }, "LogSoftmax");

    [TestCase(1)]
    [TestCase(-1)]
    public void Forward_Float32_MatchesFloat64_OnInnerDimsAndTails(int dim)
    {
        var x64 = Tensor.Randn([2, 19, 11], 12, DType.Float64) * 4.0;
        Assert.That(Ops.LogSoftmax(x64.To(DType.Float32), dim).ToDoubleArray(), Is.EqualTo(Ops.LogSoftmax(x64, dim).ToDoubleArray()).Within(1e-5));
    }

    [TestCase(2)]
    [TestCase(-3)]
    public void Throws_WhenDimOutOfRange(int dim) =>
        AssertThrows<ArgumentOutOfRangeException>(() => Ops.LogSoftmax(Tensor.Zeros(2, 3), dim), "LogSoftmax", "[2, 3]");
}
