using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The exponential of every element. Same as <c>torch.exp</c>.</summary>
    /// <remarks>Forward <c>y = eˣ</c> (overflows to +inf past about 88.7 in float32). Backward <c>dx = g · y</c>.</remarks>
    public static Tensor Exp(Tensor x)
    {
        Check.NotNull("Exp", x, nameof(x));
        var y = Compute.Unary<ExpOperator>(x);                                           // y = eˣ

        return Tape.Record("Exp", y, [x], "dx += g·y", [static (g, e) => g * e.Output]);
    }

    private readonly struct ExpOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, System.Numerics.IFloatingPointIeee754<T> => Elementwise.Exp(x, y);
    }
}
