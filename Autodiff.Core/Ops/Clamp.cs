using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Limits every element to <c>[min, max]</c>. Same as <c>torch.clamp</c>.</summary>
    /// <remarks>Forward <c>y = min(max(x, min), max)</c>; NaN stays NaN. Backward <c>dx += g where min ≤ x ≤ max</c>
    /// (elements exactly at a bound pass the gradient, as PyTorch).</remarks>
    /// <exception cref="ArgumentException">A bound is NaN, or <paramref name="min"/> &gt; <paramref name="max"/>.</exception>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        Check.NotNull("Clamp", x, nameof(x));
        Check.NotNaN("Clamp", min, nameof(min));
        Check.NotNaN("Clamp", max, nameof(max));
        if (min > max) Check.Fail("Clamp", $"min {min} must not exceed max {max} (input {x.Shape}).", nameof(min));
        var (lo, hi) = ((float)min, (float)max);
        var y = Compute.Map(x, (s, d) => Elementwise.Clamp(s, lo, hi, d), (s, d) => Elementwise.Clamp(s, min, max, d));

        return Tape.Record("Clamp", y, [x], $"dx += g·[{min} ≤ x ≤ {max}]", dy =>
            Compute.AccumulateInto(x, x, dy,                                             // dx += g · [min ≤ x ≤ max]
                (s, g, d) => ElementwiseBackward.Clamp(s, lo, hi, g, d), (s, g, d) => ElementwiseBackward.Clamp(s, min, max, g, d)),
            dy => [dy * Slope(x, (s, g, d) => ElementwiseBackward.Clamp(s, lo, hi, g, d), (s, g, d) => ElementwiseBackward.Clamp(s, min, max, g, d))]);
    }
}
