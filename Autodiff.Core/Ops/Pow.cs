using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Raises every element to a constant power. Same as <c>torch.pow(x, exponent)</c>.</summary>
    /// <remarks>Forward <c>y = xᵖ</c>. Backward <c>dx = g · p · x^(p-1)</c>, and zeros when p = 0 (as PyTorch).</remarks>
    /// <exception cref="ArgumentException">The exponent is NaN.</exception>
    public static Tensor Pow(Tensor x, double exponent)
    {
        Check.NotNull("Pow", x, nameof(x));
        Check.NotNaN("Pow", exponent, nameof(exponent));
        var y = Compute.Unary(x, new PowOperator(exponent));                             // y = xᵖ

        return Tape.Record("Pow", y, [x], $"dx += g·{exponent}·x^{exponent - 1}",
            [exponent == 0 ? static (_, e) => Tensor.ZerosLike(e.Inputs[0]) : (g, e) => g * Pow(e.Inputs[0], exponent - 1) * exponent]);
    }

    private readonly struct PowOperator(double exponent) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> =>
            Elementwise.Pow(x, T.CreateTruncating(exponent), y);
    }
}
