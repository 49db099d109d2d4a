using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Multiplies two tensors element-wise with broadcasting. Same as <c>torch.mul</c>.</summary>
    /// <remarks>Forward <c>y = a ⊙ b</c>. Backward <c>da = g ⊙ b</c>, <c>db = g ⊙ a</c>: each input receives the
    /// upstream gradient times the other input (the "swap" of the notes' multiply node).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or one is Float32 and the other Float64 (Int64 and Bool operands are promoted as PyTorch: see <see cref="DType"/>).</exception>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        if (Compute.Promote("Mul", Arithmetic.Mul, ref a, ref b) is { } integer) return integer;   // Int64/Bool: torch's promotion (Compute.Promotion.cs)
        var y = Compute.Binary<MultiplyOperator>("Mul", a, b);                         // y = a ⊙ b

        return Tape.Record("Mul", y, [a, b], "da += g·b, db += g·a", [static (g, e) => g * e.Inputs[1], static (g, e) => g * e.Inputs[0]]);
    }

    private readonly struct MultiplyOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Multiply(x, y, d);

        public void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Multiply(x, y, d);

        public void Invoke<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Multiply(y, x, d);
    }
}
