using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The elements of <paramref name="x"/> picked along one dimension by an index tensor. Same as
    /// <c>torch.gather(x, dim, index)</c>.</summary>
    /// <remarks>Forward (for dim = 1 of a 3-D x): <c>y[i][j][k] = x[i][index[i][j][k]][k]</c>; y has index's shape.
    /// Backward: <c>dx[i][index[i][j][k]][k] += g[i][j][k]</c>, zero elsewhere (a named scatter-add, GatherBackward,
    /// whose own backward is Gather again, so higher orders work). The index is not differentiable.</remarks>
    /// <param name="x">A floating-point tensor.</param>
    /// <param name="dim">The dimension to pick along (negative counts from the end).</param>
    /// <param name="index">An Int64 tensor of x's rank with <c>index.Shape[d] &lt;= x.Shape[d]</c> for every d other
    /// than dim, and every value in <c>[0, x.Shape[dim])</c>.</param>
    /// <returns>A tensor of index's shape and x's dtype.</returns>
    /// <exception cref="ArgumentNullException">x or index is null.</exception>
    /// <exception cref="ArgumentException">index is not Int64, has another rank, or is larger than x in a dim other than dim.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dim or an index value is out of range.</exception>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        Check.NotNull("Gather", x, nameof(x));
        int d = Check.Dim("Gather", dim, x.Shape);
        var offsets = ScatterOffsets("Gather", x.Shape, d, index, nameof(index));
        return GatherCore(x, offsets, index.Shape);
    }

    /// <summary>The flat offsets into a contiguous tensor of <paramref name="shape"/> that an index tensor picks along
    /// dim <paramref name="d"/>: <c>offsets[p]</c> is the offset of <c>x[.., index[p], ..]</c> for each position p of
    /// index (row-major). Checks the index (Int64, same rank, no larger than the shape off dim, values in range) for
    /// Gather, Scatter and ScatterAdd.</summary>
    private static int[] ScatterOffsets(string op, Shape shape, int d, Tensor? index, string paramName)
    {
        Check.NotNullAnyDType(op, index, paramName);
        if (index.DType != DType.Int64)
            Check.Fail(op, $"{paramName} {index.Label} is {index.DType}; indices are Int64 (convert with To(DType.Int64)).", paramName);
        if (index.Rank != shape.Rank)
            Check.Fail(op, $"{paramName} {index.Shape} must have the rank of the input {shape} ({shape.Rank}).", paramName);
        for (int k = 0; k < shape.Rank; k++)
            if (k != d && index.Shape[k] > shape[k])
                Check.Fail(op, $"{paramName} {index.Shape} is larger than the input {shape} in dim {k}; only dim {d} may differ.", paramName);

        var values = index.ToInt64Array();
        var offsets = new int[values.Length];
        int rank = shape.Rank;
        var strides = new int[rank];
        for (int k = rank - 1, s = 1; k >= 0; k--) { strides[k] = s; s *= shape[k]; }
        var position = new int[rank];                                                     // index's multi-index of p
        for (int p = 0; p < values.Length; p++)
        {
            long v = values[p];
            if (v < 0 || v >= shape[d])
                Check.FailRange(op, $"index {v} at position {Shape.Format(position)} is out of range for dim {d} of size {shape[d]} " +
                    $"(input {shape}, {paramName} {index.Shape}).", paramName);
            int offset = 0;
            for (int k = 0; k < rank; k++) offset += (k == d ? (int)v : position[k]) * strides[k];
            offsets[p] = offset;
            for (int k = rank - 1; k >= 0; k--)                                          // next position, row-major
            {
                if (++position[k] < index.Shape[k]) break;
                position[k] = 0;
            }
        }
        return offsets;
    }

    /// <summary>Gather on checked offsets: <c>y[p] = x[offsets[p]]</c> as <paramref name="shape"/>; the forward, and the
    /// adjoint of <see cref="GatherBackward"/>.</summary>
    private static Tensor GatherCore(Tensor x, int[] offsets, Shape shape)
    {
        var y = Compute.Empty(shape, x.DType);
        Compute.Run(x.DType, new OffsetKernel(x, offsets, y, OffsetMode.Gather));
        return Tape.Record("Gather", y, [x], "dx[index] += g",
            [(g, e) => GatherBackward(g, offsets, e.Inputs[0].Shape)]);
    }

    /// <summary>Gather's backward as a named op: zeros of <paramref name="shape"/> with <c>g[p]</c> added at
    /// <c>offsets[p]</c> (a scatter-add). Linear in g; its backward is Gather again.</summary>
    private static Tensor GatherBackward(Tensor g, int[] offsets, Shape shape)
    {
        var y = Compute.Zeros(shape, g.DType);
        Compute.Run(g.DType, new OffsetKernel(g, offsets, y, OffsetMode.Add));
        return Tape.Record("GatherBackward", y, [g], "dg += dy[index]",
            [(dy, e) => GatherCore(dy, offsets, e.Inputs[0].Shape)]);
    }

    /// <summary>How <see cref="OffsetKernel"/> moves elements between a compact source and the offsets of a destination.</summary>
    private enum OffsetMode
    {
        /// <summary><c>destination[p] = source[offsets[p]]</c>.</summary>
        Gather,
        /// <summary><c>destination[offsets[p]] += source[p]</c>.</summary>
        Add,
        /// <summary><c>destination[offsets[p]] = source[p]</c>, in order of p (the last write wins).</summary>
        Write,
        /// <summary><c>destination[offsets[p]] = 0</c> (source unused).</summary>
        Zero,
    }

    /// <summary>The one kernel of Gather, Scatter, ScatterAdd and their backwards.</summary>
    private readonly struct OffsetKernel(Tensor? source, int[] offsets, Tensor destination, OffsetMode mode) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var dst = destination.Data<T>();
            ReadOnlySpan<T> src = source is null ? default : source.Data<T>();
            switch (mode)
            {
                case OffsetMode.Gather: for (int p = 0; p < offsets.Length; p++) dst[p] = src[offsets[p]]; break;
                case OffsetMode.Add: for (int p = 0; p < offsets.Length; p++) dst[offsets[p]] += src[p]; break;
                case OffsetMode.Write: for (int p = 0; p < offsets.Length; p++) dst[offsets[p]] = src[p]; break;
                default: for (int p = 0; p < offsets.Length; p++) dst[offsets[p]] = T.Zero; break;
            }
        }
    }
}
