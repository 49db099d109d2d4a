using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The sigmoid linear unit (swish) of every element. Same as <c>torch.nn.functional.silu</c>.</summary>
    /// <remarks>Forward <c>y = x·σ(x)</c>. Backward <c>dx = g · σ(x)·(1 + x·(1 - σ(x)))</c>, one fused kernel
    /// (<see cref="SiluBackward"/>).</remarks>
    public static Tensor Silu(Tensor x)
    {
        Check.NotNull("Silu", x, nameof(x));
        var y = Compute.Unary<SiluOperator>(x);                                          // y = x·σ(x)

        return Tape.Record("Silu", y, [x], "dx += g·σ(x)(1 + x(1 - σ(x)))", [static (g, e) => SiluBackward(g, e.Inputs[0])]);
    }

    /// <summary>Silu's backward as an op: <c>dx = dy · σ(x)·(1 + x·(1 - σ(x)))</c>. Its own rules are <c>d(dy) = g · Silu'(x)</c>
    /// (itself) and <c>d(x) = g · dy · Silu''(x)</c> with <c>Silu''(x) = σ(1 - σ)·(2 + x·(1 - 2σ))</c> written with ops, so
    /// gradients of any order flow through Silu.</summary>
    internal static Tensor SiluBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<SiluBackwardOperator>(x, dy);                            // dx = dy·σ(x)(1 + x(1 - σ(x)))

        return Tape.Record("SiluBackward", dx, [dy, x], "d(dy) += g·Silu'(x), d(x) += g·dy·σ(1-σ)(2 + x(1-2σ))",
            [static (g, e) => SiluBackward(g, e.Inputs[1]), static (g, e) =>
            {
                var x = e.Inputs[1];
                var s = Sigmoid(x);
                return g * e.Inputs[0] * (s * (1 - s) * (2 + x * (1 - 2 * s)));       // Silu''(x) = σ(1-σ)(2 + x(1-2σ))
            }]);
    }

    private readonly struct SiluOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Activations.Silu(x, y);
    }

    private readonly struct SiluBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            Activations.SiluBackward(x, dy, dx);
    }
}
