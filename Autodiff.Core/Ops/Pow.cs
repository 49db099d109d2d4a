using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Raises every element to a constant power. Same as <c>torch.pow(x, exponent)</c>.</summary>
    /// <remarks>Forward <c>y = xᵖ</c>: multiplies for integer p from -3 to 4 (<c>Pow(2)</c> is <c>x·x</c>), a square root
    /// for ±½, else <c>e^(p·ln|x|)</c> (float, computed in double) or <see cref="Math.Pow"/> (double), with pow's sign and
    /// special cases. Backward <c>dx = g · p · x^(p-1)</c>, one fused pass (<see cref="PowBackward"/>), and zeros when p = 0
    /// (as PyTorch).</remarks>
    /// <exception cref="ArgumentException">The exponent is NaN.</exception>
    public static Tensor Pow(Tensor x, double exponent)
    {
        Check.NotNull("Pow", x, nameof(x));
        Check.NotNaN("Pow", exponent, nameof(exponent));
        var y = Compute.Unary(x, new PowOperator(exponent));                             // y = xᵖ

        return Tape.Record("Pow", y, [x], $"dx += g·{exponent}·x^{exponent - 1}", [(g, e) => PowBackward(g, e.Inputs[0], exponent)]);
    }

    /// <summary>Pow's backward as an op: <c>dx = dy · p · x^(p-1)</c> (zeros for p = 0). Its own rules,
    /// <c>d(dy) = g · p · x^(p-1)</c> (itself) and <c>d(x) = p · PowBackward(g · dy, x, p - 1) = g · dy · p(p-1) · x^(p-2)</c>,
    /// carry gradients of any order through Pow.</summary>
    internal static Tensor PowBackward(Tensor dy, Tensor x, double exponent)
    {
        if (exponent == 0) return Tensor.ZerosLike(x);
        var dx = Compute.Binary(x, dy, new PowBackwardOperator(exponent));               // dx = (dy · x^(p-1)) · p

        return Tape.Record("PowBackward", dx, [dy, x], $"d(dy) += g·{exponent}·x^{exponent - 1}, d(x) += g·dy·{exponent}·{exponent - 1}·x^{exponent - 2}",
            [(g, e) => PowBackward(g, e.Inputs[1], exponent), (g, e) => exponent * PowBackward(g * e.Inputs[0], e.Inputs[1], exponent - 1)]);
    }

    private readonly struct PowOperator(double exponent) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> =>
            Elementwise.Pow(x, T.CreateTruncating(exponent), y);
    }

    private readonly struct PowBackwardOperator(double exponent) : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Pow(x, T.CreateTruncating(exponent), dy, dx);
    }
}
