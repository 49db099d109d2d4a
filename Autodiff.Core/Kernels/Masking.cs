using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>Selecting and filling elements by position or by a mask: the triangles of matrices and one-hot rows (a masked
/// fill is <see cref="Broadcast.Where"/> with the value as a scalar).</summary>
internal static class Masking
{
    /// <summary>For each of <paramref name="count"/> row-major <c>[rows, cols]</c> matrices, copies the lower triangle
    /// (<c>c - r ≤ diagonal</c>) or, unless <paramref name="lower"/>, the upper one (<c>c - r ≥ diagonal</c>) and writes 0
    /// elsewhere. Every element of the destination is written.</summary>
    public static void Triangle<T>(ReadOnlySpan<T> x, int count, int rows, int cols, long diagonal, bool lower, Span<T> destination)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int m = 0; m < count; m++)
            for (int r = 0; r < rows; r++)
            {
                int at = (m * rows + r) * cols;
                // the kept columns are one contiguous run [start, end)
                int start = lower ? 0 : (int)Math.Clamp(r + diagonal, 0, cols);
                int end = lower ? (int)Math.Clamp(r + diagonal + 1, 0, cols) : cols;
                var source = x.Slice(at, cols);
                var row = destination.Slice(at, cols);
                row[..start].Clear();
                source[start..end].CopyTo(row[start..end]);
                row[end..].Clear();
            }
    }

    /// <summary><c>destination[n, indices[n]] = 1</c> in a zeroed <c>[indices.Length, classes]</c> destination; the caller checked the indices.</summary>
    public static void OneHot<T>(ReadOnlySpan<int> indices, int classes, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < indices.Length; n++) destination[n * classes + indices[n]] = T.One;
    }

    /// <summary><c>mask[i] = 1 where x[i] = 0 else 0</c>.</summary>
    public static void IsZero<T>(ReadOnlySpan<T> x, Span<T> mask) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) mask[i] = x[i] == T.Zero ? T.One : T.Zero;
    }
}
