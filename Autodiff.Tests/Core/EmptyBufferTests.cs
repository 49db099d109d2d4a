using Autodiff;
using Autodiff.NN;
using Autodiff.Optim;
using static Autodiff.Ops;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

/// <summary><c>Compute.Empty</c> hands out buffers with unspecified contents (uninitialized memory now, recycled buffers
/// later). No kernel may read such a buffer before writing it: with every Empty buffer filled with NaN, each op's forward
/// and backward, and a training step, must give the same bits as a normal run.</summary>
public class EmptyBufferTests
{
    [TearDown]
    public void StopPoisoning() => Compute.PoisonEmpty = false;

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void EveryOp_ForwardAndBackward_AreBitIdentical_WhenEmptyBuffersHoldNaN(DType dtype)
    {
        var normal = RunEveryOp(dtype);
        Compute.PoisonEmpty = true;
        var poisoned = RunEveryOp(dtype);
        Assert.That(normal.Any(double.IsNaN), Is.False, "the reference run itself produced a NaN");
        Assert.That(poisoned, Is.EqualTo(normal));
    }

    [Test]
    public void TrainingSteps_AreBitIdentical_WhenEmptyBuffersHoldNaN()
    {
        var normal = Train();
        Compute.PoisonEmpty = true;
        Assert.That(Train(), Is.EqualTo(normal));
    }

    [Test]
    public void ConvolutionAndPooling_SplitAcrossThreads_AreBitIdentical_WhenEmptyBuffersHoldNaN()
    {
        // Large enough that Conv2d and MaxPool2d split across two threads, whose workers rent their own scratch buffers.
        float[] Run() => WithThreads(2, () =>
        {
            var x = Tensor.Randn([3, 8, 48, 48], 50).RequireGrad();
            var w = (Tensor.Randn([10, 8, 3, 3], 51) * 0.1).Detach().RequireGrad();
            var y = MaxPool2d(Relu(Conv2d(x, w, null, padding: 1)), 2);
            (y * y).Sum().Backward();
            return (float[])[.. y.ToArray(), .. x.Grad!.ToArray(), .. w.Grad!.ToArray()];
        });
        var normal = Run();
        Compute.PoisonEmpty = true;
        Assert.That(Run(), Is.EqualTo(normal));
    }

    /// <summary>One forward through every op, then Backward; returns the loss, every intermediate value and every gradient.</summary>
    private static double[] RunEveryOp(DType dtype)
    {
        var rng = new Generator(5);
        var w = Tensor.Uniform([7, 6], -0.5, 0.5, rng, dtype).RequireGrad();
        var b = Tensor.Uniform([6], -0.5, 0.5, rng, dtype).RequireGrad();
        var x = Tensor.Uniform([2, 5, 7], -2, 2, rng, dtype).RequireGrad();
        var target = Tensor.Uniform([2, 5, 6], 0, 1, rng, dtype);
        var other = dtype == DType.Float32 ? DType.Float64 : DType.Float32;

        var h = x.MatMul(w) + b;                                                                  // [2, 5, 6]
        var pointwise = new[]
        {
            h.Exp(), (h.Abs() + 0.1).Log(), h.Tanh(), h.Sigmoid(), h.Relu(), LeakyRelu(h, 0.1), h.Abs(),
            (h.Abs() + 0.1).Sqrt(), Pow(h.Abs() + 0.5, 1.5), Log1p(h.Abs()), Softplus(h), Gelu(h),
            Gelu(h, approximateTanh: true), Clamp(h, -0.5, 0.5), -h, h - b, h * h, h / (h.Abs() + 1.0),
            Maximum(h, -h), Minimum(h, b), Where(h.Relu(), h, b), To(To(h, other), dtype),
            LogSoftmax(h, 2), LogSoftmax(h, 1), Softmax(h, 0), BinaryCrossEntropyWithLogits(h, target),
        };
        var layout = new[]
        {
            Permute(h, 2, 0, 1).Sum(), Transpose(h, 0, 1).Sum(1).Sum(), Slice(h, 1, 1, 5, 2).Sum(),
            Select(h, 2, 3).Sum(), Cat([h, h * 2.0], 1).Sum(0).Sum(), Stack([h, b.Expand(2, 5, 6)], 1).Sum(),
            IndexSelect(h, 1, [4, 0, 0]).Sum(), Reshape(h, 10, 6).Max(0).Sum(), Min(h, 1, keepDim: true).Sum(),
            h.Max(), Min(h), Flatten(h).Mean(), Unsqueeze(h, 0).Squeeze(0).Mean(1).Sum(),
        };
        var mask = Tensor.FromArray(new[] { 1.0, 0, 1, 0, 0, 1 }).To(dtype);
        var math = new[]
        {
            h.Sin(), h.Cos(), h.Square(), (h.Abs() + 0.5).Rsqrt(), Silu(h), Mish(h), h.LogSumExp(1), h.LogSumExp(2, keepDim: true),
            h.Var(1), h.Std(), h.Std(2, correction: 0, keepDim: true), h.CumSum(1), h.CumSum(2), h.Norm(), Norm(h, 1, 2),
            Norm(h, double.PositiveInfinity, 0), Norm(h, 3, 1), h.Tril(), h.Triu(1), h.MaskedFill(mask, -1), h.MT, Select(h, 0, 1).T,
        };
        var rows = Reshape(h, 10, 6);
        int[] classes = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3];
        var losses = SoftmaxCrossEntropy(rows, classes).Sum() + NllLoss(LogSoftmax(rows, 1), classes).Mean()
            + Functional.MseLoss(h, target);
        var loss = pointwise.Aggregate(losses, (sum, y) => sum + y.Mean()) + layout.Aggregate((p, q) => p + q)
            + math.Aggregate(Tensor.Scalar(0, dtype), (sum, y) => sum + y.Mean());
        loss.Backward();

        return [.. new[] { loss }.Concat(pointwise).Concat(layout).Concat(math).SelectMany(t => t.ToDoubleArray()),
                .. w.Grad!.ToDoubleArray(), .. b.Grad!.ToDoubleArray(), .. x.Grad!.ToDoubleArray()];
    }

    /// <summary>A few steps of a small MLP with Adam and with SGD momentum; returns the parameters after them.</summary>
    private static float[] Train()
    {
        var rng = new Generator(9);
        var x = Tensor.Uniform([32, 20], -1, 1, rng);
        int[] y = [.. Enumerable.Range(0, 32).Select(i => i % 4)];
        var net = new Sequential(new Linear(20, 24, generator: rng), new ReLU(), new Linear(24, 24, generator: rng), new Tanh(),
            new Linear(24, 4, generator: rng));
        var adam = new Adam(net.Parameters(), lr: 0.01f);
        var sgd = new SGD(net.Parameters(), lr: 0.05f, momentum: 0.9f);
        for (int step = 0; step < 6; step++)
        {
            Optimizer optimizer = step % 2 == 0 ? adam : sgd;
            var loss = Functional.CrossEntropy(net.Forward(x), y);
            optimizer.ZeroGrad();
            loss.Backward();
            optimizer.Step();
        }
        return [.. net.Parameters().SelectMany(p => p.ToArray())];
    }
}
