using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Divides <paramref name="a"/> by <paramref name="b"/> element-wise with broadcasting. Same as <c>torch.div</c>.</summary>
    /// <remarks>Forward <c>y = a / b</c> (IEEE: x/0 is ±inf, 0/0 is NaN). Backward <c>da = g / b</c>, <c>db = -g · y / b</c>
    /// (that is, <c>-g·a/b²</c>).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or one is Float32 and the other Float64 (Int64 and Bool operands are promoted as PyTorch: see <see cref="DType"/>).</exception>
    public static Tensor Div(Tensor a, Tensor b)
    {
        if (Compute.Promote("Div", Arithmetic.Div, ref a, ref b) is { } integer) return integer;   // Int64/Bool: torch's promotion (Compute.Promotion.cs)
        var y = Compute.Binary<DivideOperator>("Div", a, b);                           // y = a / b

        return Tape.Record("Div", y, [a, b], "da += g/b, db -= g·y/b", [static (g, e) => g / e.Inputs[1], static (g, e) => -(g * e.Output / e.Inputs[1])]);
    }

    private readonly struct DivideOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Divide(x, y, d);

        public void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Divide(x, y, d);

        public void Invoke<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Divide(x, y, d);
    }
}
