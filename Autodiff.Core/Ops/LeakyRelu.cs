using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Leaky ReLU of every element. Same as <c>torch.nn.functional.leaky_relu</c>.</summary>
    /// <remarks>Forward <c>y = x if x &gt; 0 else slope·x</c>. Backward <c>dx = g if x &gt; 0 else slope·g</c>, one fused kernel.</remarks>
    /// <exception cref="ArgumentException">The slope is NaN.</exception>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01)
    {
        Check.NotNull("LeakyRelu", x, nameof(x));
        Check.NotNaN("LeakyRelu", negativeSlope, nameof(negativeSlope));
        var y = Compute.Unary(x, new LeakyReluOperator(negativeSlope));                  // y = x > 0 ? x : slope·x

        return Tape.Record("LeakyRelu", y, [x], $"dx += g·(x > 0 ? 1 : {negativeSlope})", [(g, e) => LeakyReluBackward(g, e.Inputs[0], negativeSlope)]);
    }

    /// <summary>LeakyRelu's backward as an op: <c>dx = dy · (x &gt; 0 ? 1 : slope)</c>. Linear in dy, so its rule for dy is
    /// itself; its slope in x is 0 wherever it is defined, so x gets none.</summary>
    internal static Tensor LeakyReluBackward(Tensor dy, Tensor x, double negativeSlope)
    {
        var dx = Compute.Binary(x, dy, new LeakyReluBackwardOperator(negativeSlope));    // dx = dy · (x > 0 ? 1 : slope)

        return Tape.Record("LeakyReluBackward", dx, [dy, x], $"d(dy) += g·(x > 0 ? 1 : {negativeSlope})",
            [(g, e) => LeakyReluBackward(g, e.Inputs[1], negativeSlope), static (_, _) => null]);
    }

    private readonly struct LeakyReluOperator(double slope) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> =>
            Elementwise.LeakyRelu(x, T.CreateTruncating(slope), y);
    }

    private readonly struct LeakyReluBackwardOperator(double slope) : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.LeakyRelu(x, T.CreateTruncating(slope), dy, dx);
    }
}
