using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The absolute value of every element. Same as <c>torch.abs</c>.</summary>
    /// <remarks>Forward <c>y = |x|</c>. Backward <c>dx = g · sign(x)</c>, with <c>sign(0) = 0</c> as PyTorch.</remarks>
    public static Tensor Abs(Tensor x)
    {
        Check.NotNull("Abs", x, nameof(x));
        var y = Compute.Unary<AbsOperator>(x);                                           // y = |x|

        return Tape.Record("Abs", y, [x], "dx += g·sign(x)", [static (g, e) => AbsBackward(g, e.Inputs[0])]);
    }

    /// <summary>Abs's backward as an op: <c>dx = dy · sign(x)</c>. Linear in dy, so its rule for dy is itself; sign(x) is
    /// constant wherever it is differentiable, so x gets none.</summary>
    internal static Tensor AbsBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<AbsBackwardOperator>(x, dy);                             // dx = dy · sign(x)

        return Tape.Record("AbsBackward", dx, [dy, x], "d(dy) += g·sign(x)", [static (g, e) => AbsBackward(g, e.Inputs[1]), static (_, _) => null]);
    }

    private readonly struct AbsOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Abs(x, y);
    }

    private readonly struct AbsBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Abs(x, dy, dx);
    }
}
