using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Softplus of every element, a smooth ReLU. Same as <c>torch.nn.functional.softplus</c>.</summary>
    /// <remarks>Forward <c>y = ln(1 + e^(βx)) / β</c>, and <c>y = x</c> where <c>βx &gt; threshold</c>.
    /// Backward <c>dx = g · σ(βx)</c>, and <c>dx = g</c> past the threshold.</remarks>
    /// <exception cref="ArgumentException">β is zero or NaN, or the threshold is NaN.</exception>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20)
    {
        Check.NotNull("Softplus", x, nameof(x));
        if (beta == 0 || double.IsNaN(beta)) Check.Fail("Softplus", $"beta must be a non-zero number, got {beta}.", nameof(beta));
        Check.NotNaN("Softplus", threshold, nameof(threshold));
        var y = Compute.Unary(x, new SoftplusOperator(beta, threshold));                 // y = ln(1 + e^(βx)) / β, or x

        return Tape.Record("Softplus", y, [x], "dx += g·σ(βx)", [(g, e) =>
        {
            var linear = Compute.Unary(e.Inputs[0], new SoftplusIsLinearOperator(beta, threshold));   // a constant 0/1 mask
            return Where(linear, g, g * Sigmoid(e.Inputs[0] * beta));                                // dx = g where y = x, else g·σ(βx)
        }]);
    }

    private readonly struct SoftplusOperator(double beta, double threshold) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> =>
            Elementwise.Softplus(x, T.CreateTruncating(beta), T.CreateTruncating(threshold), y);
    }

    private readonly struct SoftplusIsLinearOperator(double beta, double threshold) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> linear) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.SoftplusIsLinear(x, T.CreateTruncating(beta), T.CreateTruncating(threshold), linear);
    }
}
