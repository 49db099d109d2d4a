using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>Running sums along one dimension of a tensor seen as <c>[outer, size, inner]</c>.</summary>
internal static class Scan
{
    /// <summary><c>destination[o, k, i] = Σ_{j ≤ k} x[o, j, i]</c>, or <c>Σ_{j ≥ k}</c> when <paramref name="reverse"/> (the
    /// adjoint: a cumulative sum's gradient is the reverse cumulative sum of g). Every element is written, in order along k,
    /// a whole inner row at a time.</summary>
    public static void CumSum<T>(ReadOnlySpan<T> x, int outer, int size, int inner, bool reverse, Span<T> destination)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        for (int o = 0; o < outer; o++)
        {
            int first = reverse ? size - 1 : 0, step = reverse ? -1 : 1;
            int b = o * size * inner;
            x.Slice(b + first * inner, inner).CopyTo(destination.Slice(b + first * inner, inner));
            for (int j = 1, k = first + step; j < size; j++, k += step)
            {
                var row = destination.Slice(b + k * inner, inner);
                TensorPrimitives.Add(destination.Slice(b + (k - step) * inner, inner), x.Slice(b + k * inner, inner), row);
            }
        }
    }
}
