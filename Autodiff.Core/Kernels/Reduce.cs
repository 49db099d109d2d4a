using System.Runtime.InteropServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>Reductions over spans. A reduction along one dimension sees its input as <c>[outer, size, inner]</c>
/// and writes <c>[outer, inner]</c>.</summary>
internal static class Reduce
{
    /// <summary>The sum of all elements, vectorized, in an order that depends only on the length.</summary>
    /// <remarks>TensorPrimitives.Sum aligns its loads to the buffer's address, so where an array happens to lie in memory
    /// changes the order of the additions and the last bits of the result: two identical runs could differ. This loop
    /// always splits at the same indices (four vector accumulators from element 0, combined in a fixed order).</remarks>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : struct, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, i = 0;
        ref T r = ref MemoryMarshal.GetReference(x);
        var (a0, a1, a2, a3) = (Vector<T>.Zero, Vector<T>.Zero, Vector<T>.Zero, Vector<T>.Zero);
        for (; i + 4 * width <= x.Length; i += 4 * width)
        {
            a0 += Vector.LoadUnsafe(ref r, (nuint)i);
            a1 += Vector.LoadUnsafe(ref r, (nuint)(i + width));
            a2 += Vector.LoadUnsafe(ref r, (nuint)(i + 2 * width));
            a3 += Vector.LoadUnsafe(ref r, (nuint)(i + 3 * width));
        }
        T sum = Vector.Sum((a0 + a1) + (a2 + a3));
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    /// <summary><c>destination[o, i] = Σₖ x[o, k, i]</c>.</summary>
    public static void SumDim<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) destination[o] = Sum(x.Slice(o * size, size));
            return;
        }
        destination.Clear();
        for (int o = 0; o < outer; o++)
        {
            var row = destination.Slice(o * inner, inner);
            for (int k = 0; k < size; k++) TensorPrimitives.Add(row, x.Slice((o * size + k) * inner, inner), row);
        }
    }

    /// <summary><c>values[o, i] = max (or min) over k of x[o, k, i]</c> and <c>indices[o, i]</c> = the first k that
    /// attains it; a NaN wins (it propagates, as PyTorch). Any numeric T: Int64 tensors too.</summary>
    public static void ExtremeDim<T>(ReadOnlySpan<T> x, int outer, int size, int inner, bool max, Span<T> values, Span<int> indices)
        where T : struct, INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int baseIndex = o * size * inner + i;
                T best = x[baseIndex];
                int bestK = 0;
                for (int k = 1; k < size && !T.IsNaN(best); k++)
                {
                    T v = x[baseIndex + k * inner];
                    if (T.IsNaN(v) || (max ? v > best : v < best)) { best = v; bestK = k; }
                }
                values[o * inner + i] = best;
                indices[o * inner + i] = bestK;
            }
        }
    }

    /// <summary><c>dx[o, indices[o, i], i] += dy[o, i]</c>: the gradient of a max or min along a dim goes to the chosen element.</summary>
    public static void ScatterToIndices<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> indices, int outer, int size, int inner, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                dx[(o * size + indices[o * inner + i]) * inner + i] += dy[o * inner + i];
    }

    /// <summary><c>destination[o, i] = x[o, indices[o, i], i]</c>: the chosen elements read back, the adjoint of
    /// <see cref="ScatterToIndices{T}"/>.</summary>
    public static void GatherAtIndices<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> indices, int outer, int size, int inner, Span<T> destination)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
                destination[o * inner + i] = x[(o * size + indices[o * inner + i]) * inner + i];
    }

    /// <summary>The largest (or smallest) element, NaN if any is NaN. Any numeric T: Int64 tensors too.</summary>
    public static T Extreme<T>(ReadOnlySpan<T> x, bool max) where T : struct, INumber<T> =>
        max ? TensorPrimitives.Max(x) : TensorPrimitives.Min(x);

    /// <summary><c>dx[i] += dy / count</c> where <c>x[i] == value</c>: a full max or min shares its gradient evenly among
    /// ties (as PyTorch's <c>max()</c> without a dim).</summary>
    public static void ShareAmongEqual<T>(ReadOnlySpan<T> x, T value, T dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        int count = 0;
        foreach (T v in x) if (v == value || (T.IsNaN(v) && T.IsNaN(value))) count++;
        T share = dy / T.CreateTruncating(count);
        for (int i = 0; i < x.Length; i++) if (x[i] == value || (T.IsNaN(x[i]) && T.IsNaN(value))) dx[i] += share;
    }
}
