using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The square root of every element. Same as <c>torch.sqrt</c>.</summary>
    /// <remarks>Forward <c>y = √x</c> (NaN for negative x). Backward <c>dx = g / (2y)</c>, which is +inf at x = 0 as in PyTorch;
    /// one fused pass (<see cref="SqrtBackward"/>).</remarks>
    public static Tensor Sqrt(Tensor x)
    {
        Check.NotNull("Sqrt", x, nameof(x));
        var y = Compute.Unary<SqrtOperator>(x);                                          // y = √x

        return Tape.Record("Sqrt", y, [x], "dx += g/(2y)", [static (g, e) => SqrtBackward(g, e.Output)]);
    }

    /// <summary>Sqrt's backward as an op: <c>dx = dy / (2y)</c> for <c>y = √x</c>. Its own rules, <c>d(dy) = g / (2y)</c>
    /// (itself) and <c>d(y) = -g · dy / (2y²)</c>, carry gradients of any order through Sqrt.</summary>
    internal static Tensor SqrtBackward(Tensor dy, Tensor y)
    {
        var dx = Compute.Binary<SqrtBackwardOperator>(y, dy);                            // dx = dy / (2y)

        return Tape.Record("SqrtBackward", dx, [dy, y], "d(dy) += g/(2y), d(y) += -g·dy/(2y²)",
            [static (g, e) => SqrtBackward(g, e.Inputs[1]), static (g, e) => -(SqrtBackward(g * e.Inputs[0], e.Inputs[1]) / e.Inputs[1])]);
    }

    private readonly struct SqrtBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Sqrt(y, dy, dx);
    }

    private readonly struct SqrtOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Sqrt(x, y);
    }
}
