using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The square of every element. Same as <c>torch.square</c>.</summary>
    /// <remarks>Forward <c>y = x²</c>. Backward <c>dx = 2 · g · x</c>.</remarks>
    public static Tensor Square(Tensor x)
    {
        Check.NotNull("Square", x, nameof(x));
        var y = Compute.Unary<SquareOperator>(x);                                        // y = x²

        return Tape.Record("Square", y, [x], "dx += 2·g·x", [static (g, e) => 2 * (g * e.Inputs[0])]);
    }

    private readonly struct SquareOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Square(x, y);
    }
}
