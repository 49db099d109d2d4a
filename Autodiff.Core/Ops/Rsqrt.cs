using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The reciprocal square root of every element. Same as <c>torch.rsqrt</c>.</summary>
    /// <remarks>Forward <c>y = 1/√x</c> (+inf at 0, NaN for negative x). Backward <c>dx = -½ · g · y³</c>, which is -inf at
    /// x = 0 as in PyTorch; one fused pass (<see cref="RsqrtBackward"/>).</remarks>
    public static Tensor Rsqrt(Tensor x)
    {
        Check.NotNull("Rsqrt", x, nameof(x));
        var y = Compute.Unary<RsqrtOperator>(x);                                         // y = 1/√x

        return Tape.Record("Rsqrt", y, [x], "dx += -½·g·y³", [static (g, e) => RsqrtBackward(g, e.Output)]);
    }

    /// <summary>Rsqrt's backward as an op: <c>dx = -½ · dy · y³</c> for <c>y = 1/√x</c>. Its own rules,
    /// <c>d(dy) = -½ · g · y³</c> (itself) and <c>d(y) = -1.5 · g · dy · y²</c>, carry gradients of any order through Rsqrt.</summary>
    internal static Tensor RsqrtBackward(Tensor dy, Tensor y)
    {
        var dx = Compute.Binary<RsqrtBackwardOperator>(y, dy);                           // dx = -½ · (dy · y³)

        return Tape.Record("RsqrtBackward", dx, [dy, y], "d(dy) += -½·g·y³, d(y) += -1.5·g·dy·y²",
            [static (g, e) => RsqrtBackward(g, e.Inputs[1]), static (g, e) => -1.5 * (g * e.Inputs[0] * (e.Inputs[1] * e.Inputs[1]))]);
    }

    private readonly struct RsqrtBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Rsqrt(y, dy, dx);
    }

    private readonly struct RsqrtOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.ReciprocalSqrt(x, y);
    }
}
