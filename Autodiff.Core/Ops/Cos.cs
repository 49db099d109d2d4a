using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The cosine of every element (radians). Same as <c>torch.cos</c>.</summary>
    /// <remarks>Forward <c>y = cos x</c>. Backward <c>dx = -g · sin x</c>, one fused pass (<see cref="CosBackward"/>).</remarks>
    public static Tensor Cos(Tensor x)
    {
        Check.NotNull("Cos", x, nameof(x));
        var y = Compute.Unary<CosOperator>(x);                                           // y = cos x

        return Tape.Record("Cos", y, [x], "dx += -g·sin x", [static (g, e) => CosBackward(g, e.Inputs[0])]);
    }

    /// <summary>Cos's backward as an op: <c>dx = -dy · sin x</c>. Its own rules, <c>d(dy) = -g · sin x</c> (itself) and
    /// <c>d(x) = -g · dy · cos x</c> (minus <see cref="SinBackward"/> of <c>g · dy</c>), carry gradients of any order through Cos.</summary>
    internal static Tensor CosBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<CosBackwardOperator>(x, dy);                             // dx = -(dy · sin x)

        return Tape.Record("CosBackward", dx, [dy, x], "d(dy) += -g·sin x, d(x) += -g·dy·cos x",
            [static (g, e) => CosBackward(g, e.Inputs[1]), static (g, e) => -SinBackward(g * e.Inputs[0], e.Inputs[1])]);
    }

    private readonly struct CosBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Cos(x, dy, dx);
    }

    private readonly struct CosOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Trigonometry.Cos(x, y);
    }
}
