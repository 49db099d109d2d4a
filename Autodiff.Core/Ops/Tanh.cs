using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The hyperbolic tangent of every element. Same as <c>torch.tanh</c>.</summary>
    /// <remarks>Forward <c>y = tanh x</c>. Backward <c>dx = g · (1 - y²)</c>, one fused kernel reading the output.</remarks>
    public static Tensor Tanh(Tensor x)
    {
        Check.NotNull("Tanh", x, nameof(x));
        var y = Compute.Unary<TanhOperator>(x);                                          // y = tanh x

        return Tape.Record("Tanh", y, [x], "dx += g·(1 - y²)", [static (g, e) => TanhBackward(g, e.Output)]);
    }

    /// <summary>Tanh's backward as an op: <c>dx = dy · (1 - y²)</c> for <c>y = tanh x</c>. Its own rules,
    /// <c>d(dy) = g · (1 - y²)</c> and <c>d(y) = -2 · g · dy · y</c>, carry gradients of any order through Tanh.</summary>
    internal static Tensor TanhBackward(Tensor dy, Tensor y)
    {
        var dx = Compute.Binary<TanhBackwardOperator>(y, dy);                            // dx = dy · (1 - y²)

        return Tape.Record("TanhBackward", dx, [dy, y], "d(dy) += g·(1 - y²), d(y) += -2·g·dy·y",
            [static (g, e) => TanhBackward(g, e.Inputs[1]), static (g, e) => -2 * (g * e.Inputs[0] * e.Inputs[1])]);
    }

    private readonly struct TanhOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Tanh(x, y);
    }

    private readonly struct TanhBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Tanh(y, dy, dx);
    }
}
