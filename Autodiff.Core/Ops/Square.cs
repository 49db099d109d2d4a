using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The square of every element. Same as <c>torch.square</c>.</summary>
    /// <remarks>Forward <c>y = x²</c>. Backward <c>dx = (g · x) · 2</c>, one fused pass (Pow's, <see cref="PowBackward"/>).</remarks>
    public static Tensor Square(Tensor x)
    {
        Check.NotNull("Square", x, nameof(x));
        var y = Compute.Unary<SquareOperator>(x);                                        // y = x²

        return Tape.Record("Square", y, [x], "dx += 2·g·x", [static (g, e) => PowBackward(g, e.Inputs[0], 2)]);
    }

    private readonly struct SquareOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Square(x, y);
    }
}
