using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>Span loops for Int64 arithmetic, PyTorch's integer tensors: two's complement, wrapping on overflow as
/// PyTorch's int64 ops do (no exception, no saturation). Integer sums are exact, so their order does not matter.</summary>
internal static class IntegerMath
{
    /// <summary><c>destination[i] = x[i] + y[i]</c>.</summary>
    public static void Add(ReadOnlySpan<long> x, ReadOnlySpan<long> y, Span<long> destination) => TensorPrimitives.Add(x, y, destination);

    /// <summary><c>destination[i] = x[i] - y[i]</c>.</summary>
    public static void Subtract(ReadOnlySpan<long> x, ReadOnlySpan<long> y, Span<long> destination) => TensorPrimitives.Subtract(x, y, destination);

    /// <summary><c>destination[i] = x[i] · y[i]</c>.</summary>
    public static void Multiply(ReadOnlySpan<long> x, ReadOnlySpan<long> y, Span<long> destination) => TensorPrimitives.Multiply(x, y, destination);

    /// <summary><c>destination[i] = -x[i]</c> (<c>long.MinValue</c> stays itself, as in two's complement).</summary>
    public static void Negate(ReadOnlySpan<long> x, Span<long> destination) => TensorPrimitives.Negate(x, destination);

    /// <summary>The sum of all elements (0 when empty).</summary>
    public static long Sum(ReadOnlySpan<long> x)
    {
        long sum = 0;
        foreach (long v in x) sum = unchecked(sum + v);
        return sum;
    }

    /// <summary><c>destination[o, i] = Σₖ x[o, k, i]</c>.</summary>
    public static void SumDim(ReadOnlySpan<long> x, int outer, int size, int inner, Span<long> destination)
    {
        destination.Clear();
        for (int o = 0; o < outer; o++)
        {
            var row = destination.Slice(o * inner, inner);
            for (int k = 0; k < size; k++) TensorPrimitives.Add(row, x.Slice((o * size + k) * inner, inner), row);
        }
    }
}
