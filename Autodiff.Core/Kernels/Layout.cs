using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>Strided copies: the one kernel behind Permute, Transpose, Expand, Slice, Cat and broadcasting, and its adjoint.</summary>
/// <remarks>A contiguous tensor of shape <c>shape</c> is walked in row-major order; the other side is addressed as
/// <c>offset + Σ index[d] · strides[d]</c>. A stride of 0 repeats an element (broadcasting).</remarks>
internal static class Layout
{
    /// <summary><c>destination[i] (+)= source[offset + Σ idx(i)[d] · strides[d]]</c> for every i in row-major order of <paramref name="shape"/>.</summary>
    public static void Gather<T>(ReadOnlySpan<T> source, int offset, ReadOnlySpan<int> strides, ReadOnlySpan<int> shape, Span<T> destination, bool accumulate)
        where T : struct, IFloatingPointIeee754<T>
    {
        int rank = shape.Length;
        if (rank == 0)
        {
            destination[0] = accumulate ? destination[0] + source[offset] : source[offset];
            return;
        }
        int lastSize = shape[rank - 1], lastStride = strides[rank - 1];
        int rows = lastSize == 0 ? 0 : destination.Length / lastSize;
        Span<int> index = stackalloc int[rank];
        int position = offset;
        for (int r = 0; r < rows; r++)
        {
            var row = destination.Slice(r * lastSize, lastSize);
            if (lastStride == 1)
            {
                var src = source.Slice(position, lastSize);
                if (accumulate) TensorPrimitives.Add(row, src, row); else src.CopyTo(row);
            }
            else if (lastStride == 0 && !accumulate)
                row.Fill(source[position]);                                  // a broadcast row: one value repeated
            else
            {
                for (int j = 0, p = position; j < lastSize; j++, p += lastStride)
                    row[j] = accumulate ? row[j] + source[p] : source[p];
            }
            position = Advance(index, shape, strides, position);
        }
    }

    /// <summary><c>y[o, j, :] = x[o, indices[j], :]</c> for x seen as <c>[outer, size, inner]</c> and y as
    /// <c>[outer, indices.Length, inner]</c>: IndexSelect's forward, one contiguous block copy per selected slice.</summary>
    public static void IndexCopy<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> indices, int outer, int size, int inner, Span<T> y)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < indices.Length; j++)
                x.Slice((o * size + indices[j]) * inner, inner).CopyTo(y.Slice((o * indices.Length + j) * inner, inner));
    }

    /// <summary><c>dx[o, indices[j], :] += dy[o, j, :]</c>, j ascending (a repeated index sums its gradients in that order):
    /// the adjoint of <see cref="IndexCopy"/>.</summary>
    public static void IndexAdd<T>(ReadOnlySpan<T> dy, ReadOnlySpan<int> indices, int outer, int size, int inner, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < indices.Length; j++)
            {
                var row = dx.Slice((o * size + indices[j]) * inner, inner);
                TensorPrimitives.Add(row, dy.Slice((o * indices.Length + j) * inner, inner), row);
            }
    }

    /// <summary><c>destination[offset + Σ idx(i)[d] · strides[d]] += source[i]</c>: the adjoint of <see cref="Gather"/>, so
    /// repeated (stride 0) positions sum their contributions.</summary>
    public static void ScatterAdd<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> shape, Span<T> destination, int offset, ReadOnlySpan<int> strides)
        where T : struct, IFloatingPointIeee754<T>
    {
        int rank = shape.Length;
        if (rank == 0)
        {
            destination[offset] += source[0];
            return;
        }
        int lastSize = shape[rank - 1], lastStride = strides[rank - 1];
        int rows = lastSize == 0 ? 0 : source.Length / lastSize;
        Span<int> index = stackalloc int[rank];
        int position = offset;
        for (int r = 0; r < rows; r++)
        {
            var row = source.Slice(r * lastSize, lastSize);
            if (lastStride == 1)
            {
                var dst = destination.Slice(position, lastSize);
                TensorPrimitives.Add(dst, row, dst);
            }
            else if (lastStride == 0)
            {
                destination[position] += Reduce.Sum(row);
            }
            else
            {
                for (int j = 0, p = position; j < lastSize; j++, p += lastStride) destination[p] += row[j];
            }
            position = Advance(index, shape, strides, position);
        }
    }

    /// <summary><c>destination[i, :] = table[indices[i], :]</c> for rows of <paramref name="width"/> elements (an embedding
    /// lookup), or zeros where the index is <paramref name="skip"/> (-1 skips nothing).</summary>
    public static void GatherRows<T>(ReadOnlySpan<T> table, ReadOnlySpan<int> indices, int width, int skip, Span<T> destination)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < indices.Length; i++)
        {
            var row = destination.Slice(i * width, width);
            if (indices[i] == skip) row.Clear();
            else table.Slice(indices[i] * width, width).CopyTo(row);
        }
    }

    /// <summary><c>table[indices[i], :] += source[i, :]</c> in order of i, skipping rows whose index is <paramref name="skip"/>:
    /// the adjoint of <see cref="GatherRows{T}"/>, so a repeated index collects every copy.</summary>
    public static void ScatterAddRows<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> indices, int width, int skip, Span<T> table)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if (indices[i] == skip) continue;
            var row = table.Slice(indices[i] * width, width);
            TensorPrimitives.Add(row, source.Slice(i * width, width), row);
        }
    }

    /// <summary>Steps the multi-index over all dimensions but the last, odometer style, and returns the new position.</summary>
    private static int Advance(Span<int> index, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int position)
    {
        for (int d = shape.Length - 2; d >= 0; d--)
        {
            index[d]++;
            position += strides[d];
            if (index[d] < shape[d]) return position;
            position -= strides[d] * shape[d];
            index[d] = 0;
        }
        return position;
    }
}
