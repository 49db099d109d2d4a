using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Subtracts <paramref name="b"/> from <paramref name="a"/> element-wise with broadcasting. Same as <c>torch.sub</c>.</summary>
    /// <remarks>Forward <c>y = a - b</c>. Backward <c>da = g</c>, <c>db = -g</c>.</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or one is Float32 and the other Float64 (Int64 and Bool operands are promoted as PyTorch: see <see cref="DType"/>).</exception>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        if (Compute.Promote("Sub", Arithmetic.Sub, ref a, ref b) is { } integer) return integer;   // Int64/Bool: torch's promotion (Compute.Promotion.cs)
        var y = Compute.Binary<SubtractOperator>("Sub", a, b);                         // y = a - b

        return Tape.Record("Sub", y, [a, b], "da += g, db -= g", [static (g, _) => g, static (g, _) => -g]);
    }

    private readonly struct SubtractOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Subtract(x, y, d);

        public void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Subtract(x, y, d);

        public void Invoke<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Subtract(x, y, d);
    }
}
