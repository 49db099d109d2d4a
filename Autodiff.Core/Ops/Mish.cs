using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The Mish activation of every element. Same as <c>torch.nn.functional.mish</c>.</summary>
    /// <remarks>Forward <c>y = x·tanh(softplus(x))</c> with <c>softplus(x) = log(1 + eˣ)</c>, computed without overflow.
    /// Backward, with <c>t = tanh(softplus(x))</c>: <c>dx = g · (t + x·σ(x)·(1 - t²))</c>, one fused kernel
    /// (<see cref="MishBackward"/>).</remarks>
    public static Tensor Mish(Tensor x)
    {
        Check.NotNull("Mish", x, nameof(x));
        var y = Compute.Unary<MishOperator>(x);                                          // y = x·tanh(softplus(x))

        return Tape.Record("Mish", y, [x], "dx += g·(t + x·σ(x)(1 - t²)), t = tanh(softplus(x))",
            [static (g, e) => MishBackward(g, e.Inputs[0])]);
    }

    /// <summary>Mish's backward as an op: <c>dx = dy · Mish'(x)</c>. Its own rules are <c>d(dy) = g · Mish'(x)</c> (itself)
    /// and <c>d(x) = g · dy · Mish''(x)</c> with <c>Mish''(x) = (1 - t²)·σ·(2 + x·(1 - σ) - 2·x·σ·t)</c> written with ops
    /// (<c>t = tanh(softplus(x))</c>, <c>σ = σ(x)</c>), so gradients of any order flow through Mish.</summary>
    internal static Tensor MishBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<MishBackwardOperator>(x, dy);                            // dx = dy·(t + x·σ(x)(1 - t²))

        return Tape.Record("MishBackward", dx, [dy, x], "d(dy) += g·Mish'(x), d(x) += g·dy·(1-t²)σ(2 + x(1-σ) - 2xσt)",
            [static (g, e) => MishBackward(g, e.Inputs[1]), static (g, e) =>
            {
                var x = e.Inputs[1];
                var t = Tanh(Softplus(x));
                var s = Sigmoid(x);
                return g * e.Inputs[0] * ((1 - t * t) * s * (2 + x * (1 - s) - 2 * (x * s * t)));   // Mish''(x)
            }]);
    }

    private readonly struct MishOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Activations.Mish(x, y);
    }

    private readonly struct MishBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            Activations.MishBackward(x, dy, dx);
    }
}
