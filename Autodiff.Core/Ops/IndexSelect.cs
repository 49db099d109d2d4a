using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The slices at the given indices along one dimension, in that order (repeats allowed).
    /// Same as <c>torch.index_select</c>.</summary>
    /// <remarks>Forward <c>y[.., j, ..] = x[.., idx[j], ..]</c>. Backward <c>dx[.., idx[j], ..] += g[.., j, ..]</c>, so a
    /// repeated index collects every copy's gradient.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim or an index is out of range.</exception>
    public static Tensor IndexSelect(Tensor x, int dim, int[] indices)
    {
        Check.NotNull("IndexSelect", x, nameof(x));
        Check.NotNullArg("IndexSelect", indices, nameof(indices));
        int d = Check.Dim("IndexSelect", dim, x.Shape);
        foreach (int i in indices)
            if ((uint)i >= (uint)x.Shape[d])
                Check.FailRange("IndexSelect", $"index {i} is out of range for dim {dim} of size {x.Shape[d]} (input {x.Shape}).", nameof(indices));
        return IndexSelectCore(x, d, (int[])indices.Clone());                            // the indices as they are now
    }

    /// <summary>The slices at the indices held in a 1-D Int64 tensor along one dimension, in that order (repeats
    /// allowed). Same as <c>torch.index_select(x, dim, index)</c>.</summary>
    /// <remarks>As the <c>int[]</c> overload: forward <c>y[.., j, ..] = x[.., index[j], ..]</c>, backward
    /// <c>dx[.., index[j], ..] += g[.., j, ..]</c>. The index is read once, at the call, and is not differentiable.</remarks>
    /// <exception cref="ArgumentNullException">x or index is null.</exception>
    /// <exception cref="ArgumentException">index is not a 1-D Int64 tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The dim or an index is out of range.</exception>
    public static Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        Check.NotNull("IndexSelect", x, nameof(x));
        Check.NotNullAnyDType("IndexSelect", index, nameof(index));
        if (index.DType != DType.Int64)
            Check.Fail("IndexSelect", $"index {index.Label} is {index.DType}; indices are Int64 (convert with To(DType.Int64)).", nameof(index));
        if (index.Rank != 1) Check.Fail("IndexSelect", $"index {index.Shape} must be 1-D (input {x.Shape}).", nameof(index));
        int d = Check.Dim("IndexSelect", dim, x.Shape);
        var values = index.ToInt64Array();
        var indices = new int[values.Length];
        for (int j = 0; j < values.Length; j++)
        {
            if (values[j] < 0 || values[j] >= x.Shape[d])
                Check.FailRange("IndexSelect", $"index {values[j]} at position {j} is out of range for dim {dim} of size {x.Shape[d]} (input {x.Shape}).", nameof(index));
            indices[j] = (int)values[j];
        }
        return IndexSelectCore(x, d, indices);
    }

    /// <summary>IndexSelect on checked arguments, with indices the op may keep: the forward, and the adjoint of
    /// <see cref="IndexSelectBackward"/>.</summary>
    private static Tensor IndexSelectCore(Tensor x, int d, int[] indices)
    {
        var (outer, size, inner) = x.Shape.Around(d);
        var dims = x.Shape.ToArray();
        dims[d] = indices.Length;
        var y = Compute.Empty(new Shape(dims), x.DType);
        Compute.Run(x.DType, new IndexKernel(x, indices, outer, size, inner, y, add: false));   // y[.., j, ..] = x[.., idx[j], ..]

        return Tape.Record("IndexSelect", y, [x], "dx[idx[j]] += g[j]",
            [(g, e) => IndexSelectBackward(g, d, indices, e.Inputs[0].Shape)]);
    }

    /// <summary>IndexSelect's backward as a named op: zeros of the input's <paramref name="shape"/> with each slice of g
    /// added at its index (an index-add). It is linear; its backward selects those slices again.</summary>
    private static Tensor IndexSelectBackward(Tensor g, int d, int[] indices, Shape shape)
    {
        var (outer, size, inner) = shape.Around(d);
        var y = Compute.Zeros(shape, g.DType);
        Compute.Run(g.DType, new IndexKernel(g, indices, outer, size, inner, y, add: true));   // y[.., idx[j], ..] += g[.., j, ..]

        return Tape.Record("IndexSelectBackward", y, [g], "dg[j] += dy[idx[j]]", [(dy, _) => IndexSelectCore(dy, d, indices)]);
    }

    /// <summary>Slices of <c>[outer, size, inner]</c> at the indices: copied out (<c>add: false</c>, the forward) or
    /// added back in (<c>add: true</c>, its adjoint).</summary>
    private readonly struct IndexKernel(Tensor source, int[] indices, int outer, int size, int inner, Tensor destination, bool add) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            if (add) Layout.IndexAdd<T>(source.Data<T>(), indices, outer, size, inner, destination.Data<T>());
            else Layout.IndexCopy<T>(source.Data<T>(), indices, outer, size, inner, destination.Data<T>());
        }
    }
}
