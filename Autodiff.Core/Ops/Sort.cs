namespace Autodiff;

public static partial class Ops
{
    /// <summary>The elements sorted along one dimension, and the indices they came from. Same as
    /// <c>torch.sort(x, dim, descending, stable=True)</c>.</summary>
    /// <remarks>Forward: <c>Values[.., j, ..] = x[.., Indices[.., j, ..], ..]</c> in increasing (or decreasing) order;
    /// the sort is stable (equal elements keep their index order) and NaN counts as larger than every number. Backward:
    /// <c>dx[.., Indices[.., j, ..], ..] += g[.., j, ..]</c> (the inverse permutation). <c>Indices</c> is
    /// <see cref="DType.Int64"/> and not differentiable. An Int64 <paramref name="x"/> gives Int64 values, not
    /// differentiable either.</remarks>
    /// <param name="x">A Float32, Float64 or Int64 tensor.</param>
    /// <param name="dim">The dimension to sort along (negative counts from the end).</param>
    /// <param name="descending">True for largest first.</param>
    /// <returns>The sorted values (x's dtype and shape) and their Int64 indices.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">x is Bool.</exception>
    public static (Tensor Values, Tensor Indices) Sort(Tensor x, int dim = -1, bool descending = false)
    {
        Check.Numeric("Sort", x, nameof(x));                                             // Int64 too: values Int64, unrecorded
        int d = Check.Dim("Sort", dim, x.Shape);
        return SelectAlong("Sort", x, x.Shape[d], d, descending, keepIndexOrder: false);
    }

    /// <summary>The indices that sort <paramref name="x"/> along one dimension. Same as
    /// <c>torch.argsort(x, dim, descending, stable=True)</c>.</summary>
    /// <remarks>The <c>Indices</c> of <see cref="Sort"/>: stable, NaN last in increasing order. Not differentiable: never
    /// recorded.</remarks>
    /// <param name="x">A Float32, Float64 or Int64 tensor.</param>
    /// <param name="dim">The dimension to sort along (negative counts from the end).</param>
    /// <param name="descending">True for largest first.</param>
    /// <returns>An Int64 tensor of x's shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">x is Bool.</exception>
    public static Tensor ArgSort(Tensor x, int dim = -1, bool descending = false)
    {
        Check.Numeric("ArgSort", x, nameof(x));
        int d = Check.Dim("ArgSort", dim, x.Shape);
        var (outer, size, inner) = x.Shape.Around(d);
        var indices = new int[outer * size * inner];
        Compute.RunNumber(x.DType, new SelectKernel(x, outer, size, inner, size, descending, false, indices));
        if (x.RequiresGrad) x.LastNonDifferentiableUse = "ArgSort";
        return Tensor.FromArray(Array.ConvertAll(indices, i => (long)i), x.Shape.ToArray());
    }
}
