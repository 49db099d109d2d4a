using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Softplus of every element, a smooth ReLU. Same as <c>torch.nn.functional.softplus</c>.</summary>
    /// <remarks>Forward <c>y = ln(1 + e^(βx)) / β</c>, and <c>y = x</c> where <c>βx &gt; threshold</c>.
    /// Backward <c>dx = g · σ(βx)</c>, and <c>dx = g</c> past the threshold, one fused pass (<see cref="SoftplusBackward"/>).</remarks>
    /// <exception cref="ArgumentException">β is zero or NaN, or the threshold is NaN.</exception>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20)
    {
        Check.NotNull("Softplus", x, nameof(x));
        if (beta == 0 || double.IsNaN(beta)) Check.Fail("Softplus", $"beta must be a non-zero number, got {beta}.", nameof(beta));
        Check.NotNaN("Softplus", threshold, nameof(threshold));
        var y = Compute.Unary(x, new SoftplusOperator(beta, threshold));                 // y = ln(1 + e^(βx)) / β, or x

        return Tape.Record("Softplus", y, [x], "dx += g·σ(βx)", [(g, e) => SoftplusBackward(g, e.Inputs[0], beta, threshold)]);
    }

    /// <summary>Softplus's backward as an op: <c>dx = dy</c> where <c>βx &gt; threshold</c>, else <c>dy · σ(βx)</c>. Its own
    /// rules, <c>d(dy)</c> = itself and <c>d(x) = g · dy · β σ(βx)(1 - σ(βx))</c> below the threshold (0 past it), carry
    /// gradients of any order through Softplus.</summary>
    internal static Tensor SoftplusBackward(Tensor dy, Tensor x, double beta, double threshold)
    {
        var dx = Compute.Binary(x, dy, new SoftplusBackwardOperator(beta, threshold));  // dx = dy·σ(βx), or dy past the threshold

        return Tape.Record("SoftplusBackward", dx, [dy, x], "d(dy) += g·σ(βx), d(x) += g·dy·β·σ(βx)(1 - σ(βx))",
            [(g, e) => SoftplusBackward(g, e.Inputs[1], beta, threshold), (g, e) =>
            {
                var x = e.Inputs[1];
                var linear = Compute.Unary(x, new SoftplusIsLinearOperator(beta, threshold));     // a constant 0/1 mask
                var s = Sigmoid(x * beta);
                return (1 - linear) * (g * e.Inputs[0] * (beta * (s * (1 - s))));
            }]);
    }

    private readonly struct SoftplusOperator(double beta, double threshold) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> =>
            Elementwise.Softplus(x, T.CreateTruncating(beta), T.CreateTruncating(threshold), y);
    }

    private readonly struct SoftplusBackwardOperator(double beta, double threshold) : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Softplus(x, T.CreateTruncating(beta), T.CreateTruncating(threshold), dy, dx);
    }

    private readonly struct SoftplusIsLinearOperator(double beta, double threshold) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> linear) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.SoftplusIsLinear(x, T.CreateTruncating(beta), T.CreateTruncating(threshold), linear);
    }
}
