using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Raises every element to a constant power. Same as <c>torch.pow(x, exponent)</c>.</summary>
    /// <remarks>Forward <c>y = xᵖ</c>. Backward <c>dx += g · p · x^(p-1)</c> (zero when p = 0, as PyTorch).</remarks>
    /// <exception cref="ArgumentException">The exponent is NaN.</exception>
    public static Tensor Pow(Tensor x, double exponent)
    {
        Check.NotNull("Pow", x, nameof(x));
        Check.NotNaN("Pow", exponent, nameof(exponent));
        float p32 = (float)exponent;
        var y = Compute.Map(x, (s, d) => Elementwise.Pow(s, p32, d), (s, d) => Elementwise.Pow(s, exponent, d));   // y = xᵖ

        return Tape.Record("Pow", y, [x], $"dx += g·{exponent}·x^{exponent - 1}", dy =>
            Compute.AccumulateInto(x, x, dy,                                             // dx += g · p · x^(p-1)
                (s, g, d) => ElementwiseBackward.Pow(s, p32, g, d), (s, g, d) => ElementwiseBackward.Pow(s, exponent, g, d)),
            dy => [exponent == 0 ? dy * 0 : dy * Pow(x, exponent - 1) * exponent]);
    }
}
