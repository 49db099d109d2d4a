using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The sine of every element (radians). Same as <c>torch.sin</c>.</summary>
    /// <remarks>Forward <c>y = sin x</c>. Backward <c>dx = g · cos x</c>, one fused pass (<see cref="SinBackward"/>).</remarks>
    public static Tensor Sin(Tensor x)
    {
        Check.NotNull("Sin", x, nameof(x));
        var y = Compute.Unary<SinOperator>(x);                                           // y = sin x

        return Tape.Record("Sin", y, [x], "dx += g·cos x", [static (g, e) => SinBackward(g, e.Inputs[0])]);
    }

    /// <summary>Sin's backward as an op: <c>dx = dy · cos x</c>. Its own rules, <c>d(dy) = g · cos x</c> (itself) and
    /// <c>d(x) = -g · dy · sin x</c> (<see cref="CosBackward"/> of <c>g · dy</c>), carry gradients of any order through Sin.</summary>
    internal static Tensor SinBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<SinBackwardOperator>(x, dy);                             // dx = dy · cos x

        return Tape.Record("SinBackward", dx, [dy, x], "d(dy) += g·cos x, d(x) += -g·dy·sin x",
            [static (g, e) => SinBackward(g, e.Inputs[1]), static (g, e) => CosBackward(g * e.Inputs[0], e.Inputs[1])]);
    }

    private readonly struct SinBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Sin(x, dy, dx);
    }

    private readonly struct SinOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Trigonometry.Sin(x, y);
    }
}
