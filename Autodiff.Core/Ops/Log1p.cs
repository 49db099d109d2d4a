using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary><c>ln(1 + x)</c> of every element, accurate for tiny x. Same as <c>torch.log1p</c>.</summary>
    /// <remarks>Forward <c>y = ln(1 + x)</c> (vectorized, within 2 ulp in float). Backward <c>dx = g / (1 + x)</c>, one fused
    /// pass (<see cref="Log1pBackward"/>).</remarks>
    public static Tensor Log1p(Tensor x)
    {
        Check.NotNull("Log1p", x, nameof(x));
        var y = Compute.Unary<Log1pOperator>(x);                                         // y = ln(1 + x)

        return Tape.Record("Log1p", y, [x], "dx += g/(1 + x)", [static (g, e) => Log1pBackward(g, e.Inputs[0])]);
    }

    /// <summary>Log1p's backward as an op: <c>dx = dy / (1 + x)</c>. Its own rules, <c>d(dy) = g / (1 + x)</c> (itself) and
    /// <c>d(x) = -g · dy / (1 + x)²</c> (itself twice, negated), carry gradients of any order through Log1p.</summary>
    internal static Tensor Log1pBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<Log1pBackwardOperator>(x, dy);                           // dx = dy / (1 + x)

        return Tape.Record("Log1pBackward", dx, [dy, x], "d(dy) += g/(1 + x), d(x) += -g·dy/(1 + x)²",
            [static (g, e) => Log1pBackward(g, e.Inputs[1]), static (g, e) => -Log1pBackward(Log1pBackward(g * e.Inputs[0], e.Inputs[1]), e.Inputs[1])]);
    }

    private readonly struct Log1pBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Log1p(x, dy, dx);
    }

    private readonly struct Log1pOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Log1p(x, y);
    }
}
