using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Limits every element to <c>[min, max]</c>. Same as <c>torch.clamp</c>.</summary>
    /// <remarks>Forward <c>y = min(max(x, min), max)</c>; NaN stays NaN. Backward <c>dx = g where min ≤ x ≤ max</c>, else 0
    /// (elements exactly at a bound pass the gradient, as PyTorch).</remarks>
    /// <exception cref="ArgumentException">A bound is NaN, or <paramref name="min"/> &gt; <paramref name="max"/>.</exception>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        Check.NotNull("Clamp", x, nameof(x));
        Check.NotNaN("Clamp", min, nameof(min));
        Check.NotNaN("Clamp", max, nameof(max));
        if (min > max) Check.Fail("Clamp", $"min {min} must not exceed max {max} (input {x.Shape}).", nameof(min));
        var y = Compute.Unary(x, new ClampOperator(min, max));                           // y = clamp(x, min, max)

        return Tape.Record("Clamp", y, [x], $"dx += g·[{min} ≤ x ≤ {max}]", [(g, e) => ClampBackward(g, e.Inputs[0], min, max)]);
    }

    /// <summary>Clamp's backward as an op: <c>dx = dy · [min ≤ x ≤ max]</c>. Linear in dy, so its rule for dy is itself;
    /// the mask is constant wherever it is differentiable, so x gets none.</summary>
    internal static Tensor ClampBackward(Tensor dy, Tensor x, double min, double max)
    {
        var dx = Compute.Binary(x, dy, new ClampBackwardOperator(min, max));             // dx = dy · [min ≤ x ≤ max]

        return Tape.Record("ClampBackward", dx, [dy, x], $"d(dy) += g·[{min} ≤ x ≤ {max}]",
            [(g, e) => ClampBackward(g, e.Inputs[1], min, max), static (_, _) => null]);
    }

    private readonly struct ClampOperator(double min, double max) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> =>
            Elementwise.Clamp(x, T.CreateTruncating(min), T.CreateTruncating(max), y);
    }

    private readonly struct ClampBackwardOperator(double min, double max) : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Clamp(x, T.CreateTruncating(min), T.CreateTruncating(max), dy, dx);
    }
}
