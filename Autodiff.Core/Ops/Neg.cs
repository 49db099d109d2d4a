using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Negates every element. Same as <c>torch.neg</c>.</summary>
    /// <remarks>Forward <c>y = -x</c>. Backward <c>dx = -g</c>.</remarks>
    public static Tensor Neg(Tensor x)
    {
        if (Compute.IntegerNeg("Neg", x) is { } integer) return integer;               // Int64: -x in Int64 (Compute.Promotion.cs)
        Check.NotNull("Neg", x, nameof(x));
        var y = Compute.Unary<NegateOperator>(x);                                        // y = -x

        return Tape.Record("Neg", y, [x], "dx -= g", [static (g, _) => -g]);
    }

    private readonly struct NegateOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, System.Numerics.IFloatingPointIeee754<T> => Elementwise.Negate(x, y);
    }
}
