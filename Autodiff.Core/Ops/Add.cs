using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Adds two tensors element-wise with NumPy broadcasting. Same as <c>torch.add</c>.</summary>
    /// <remarks>Forward <c>y = a + b</c>. Backward <c>da = g</c>, <c>db = g</c> (the engine sums each over the dims it
    /// was broadcast along).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or one is Float32 and the other Float64 (Int64 and Bool operands are promoted as PyTorch: see <see cref="DType"/>).</exception>
    public static Tensor Add(Tensor a, Tensor b)
    {
        if (Compute.Promote("Add", Arithmetic.Add, ref a, ref b) is { } integer) return integer;   // Int64/Bool: torch's promotion (Compute.Promotion.cs)
        var y = Compute.Binary<AddOperator>("Add", a, b);                              // y = a + b

        return Tape.Record("Add", y, [a, b], "da += g, db += g", [static (g, _) => g, static (g, _) => g]);
    }

    private readonly struct AddOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Add(x, y, d);

        public void Invoke<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Add(x, y, d);

        public void Invoke<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T> =>
            Elementwise.Add(y, x, d);
    }
}
