namespace Autodiff;

public static partial class Ops
{
    /// <summary>A copy of <paramref name="x"/> with the elements of <paramref name="src"/> added at the positions an
    /// index tensor picks along one dimension. Same as <c>torch.scatter_add(x, dim, index, src)</c>.</summary>
    /// <remarks>Forward (for dim = 1 of a 2-D x): <c>y = x.clone(); y[i][index[i][j]] += src[i][j]</c>, so a repeated
    /// index collects every value. Backward: <c>dx = g</c>, <c>dsrc = Gather(g, dim, index)</c>. The index is not
    /// differentiable. Unlike PyTorch, src must have index's shape (PyTorch also takes a larger src and reads its
    /// leading part).</remarks>
    /// <param name="x">A floating-point tensor.</param>
    /// <param name="dim">The dimension to scatter along (negative counts from the end).</param>
    /// <param name="index">An Int64 tensor as for <see cref="Gather"/>.</param>
    /// <param name="src">The values to add, of index's shape and x's dtype.</param>
    /// <returns>A tensor of x's shape and dtype.</returns>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">index is not Int64, has another rank or is larger than x off dim; src's
    /// shape is not index's or its dtype is not x's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dim or an index value is out of range.</exception>
    public static Tensor ScatterAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        var offsets = ScatterArguments("ScatterAdd", x, dim, index, src);
        var y = x.CloneData();
        Compute.Run(x.DType, new OffsetKernel(src, offsets, y, OffsetMode.Add));
        return Tape.Record("ScatterAdd", y, [x, src], "dx += g, dsrc += g.gather(dim, index)",
            [static (g, _) => g, (g, e) => GatherCore(g, offsets, e.Inputs[1].Shape)]);
    }

    /// <summary>A copy of <paramref name="x"/> with the elements of <paramref name="src"/> written at the positions an
    /// index tensor picks along one dimension. Same as <c>torch.scatter(x, dim, index, src)</c>.</summary>
    /// <remarks>Forward (for dim = 1 of a 2-D x): <c>y = x.clone(); y[i][index[i][j]] = src[i][j]</c>. With a repeated
    /// index the value written is the last one in index's row-major order (PyTorch leaves which one unspecified).
    /// Backward: <c>dx = g</c> with the scattered positions zeroed, <c>dsrc = Gather(g, dim, index)</c> (as PyTorch,
    /// so with repeated indices every copy gets the gradient of the written position). The index is not
    /// differentiable. Unlike PyTorch, src must have index's shape.</remarks>
    /// <param name="x">A floating-point tensor.</param>
    /// <param name="dim">The dimension to scatter along (negative counts from the end).</param>
    /// <param name="index">An Int64 tensor as for <see cref="Gather"/>.</param>
    /// <param name="src">The values to write, of index's shape and x's dtype.</param>
    /// <returns>A tensor of x's shape and dtype.</returns>
    /// <exception cref="ArgumentNullException">A tensor is null.</exception>
    /// <exception cref="ArgumentException">index is not Int64, has another rank or is larger than x off dim; src's
    /// shape is not index's or its dtype is not x's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dim or an index value is out of range.</exception>
    public static Tensor Scatter(Tensor x, int dim, Tensor index, Tensor src)
    {
        var offsets = ScatterArguments("Scatter", x, dim, index, src);
        var y = x.CloneData();
        Compute.Run(x.DType, new OffsetKernel(src, offsets, y, OffsetMode.Write));
        return Tape.Record("Scatter", y, [x, src], "dx += g with dx[index] = 0, dsrc += g.gather(dim, index)",
            [(g, _) => ScatterBackward(g, offsets), (g, e) => GatherCore(g, offsets, e.Inputs[1].Shape)]);
    }

    /// <summary>Scatter's backward for x as a named op: g with the scattered positions zeroed. A projection (linear and
    /// its own adjoint), so its backward is itself.</summary>
    private static Tensor ScatterBackward(Tensor g, int[] offsets)
    {
        var y = Compute.Empty(g.Shape, g.DType);
        Compute.Copy(g, y);
        Compute.Run(g.DType, new OffsetKernel(null, offsets, y, OffsetMode.Zero));
        return Tape.Record("ScatterBackward", y, [g], "dg += dy with dg[index] = 0", [(dy, _) => ScatterBackward(dy, offsets)]);
    }

    /// <summary>Checks Scatter's and ScatterAdd's arguments and returns the offsets into x the index picks.</summary>
    private static int[] ScatterArguments(string op, Tensor x, int dim, Tensor index, Tensor src)
    {
        Check.NotNull(op, x, nameof(x));
        Check.NotNullAnyDType(op, index, nameof(index));
        Check.NotNull(op, src, nameof(src));
        Check.SameDType(op, x, src);
        int d = Check.Dim(op, dim, x.Shape);
        var offsets = ScatterOffsets(op, x.Shape, d, index, nameof(index));
        if (src.Shape != index.Shape)
            Check.Fail(op, $"src {src.Shape} must have the shape of index {index.Shape} (input {x.Shape}).", nameof(src));
        return offsets;
    }
}
