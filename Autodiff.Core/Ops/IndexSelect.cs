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
        var saved = (int[])indices.Clone();
        var (outer, size, inner) = x.Shape.Around(d);
        var dims = x.Shape.ToArray();
        dims[d] = saved.Length;
        var y = Compute.Empty(new Shape(dims), x.DType);
        if (x.DType == DType.Float32) Layout.IndexCopy<float>(x.F32, saved, outer, size, inner, y.F32);   // y[.., j, ..] = x[.., idx[j], ..]
        else Layout.IndexCopy<double>(x.F64, saved, outer, size, inner, y.F64);

        return Tape.Record("IndexSelect", y, [x], "dx[idx[j]] += g[j]", dy =>
            IndexAdd(dy, saved, outer, size, inner, x.GradBuffer()),                     // dx[.., idx[j], ..] += g[.., j, ..]
            dy => [IndexSelectScatter(dy, d, saved, x.Shape)]);
    }

    /// <summary>IndexSelect's backward as a recorded op (for <c>createGraph</c>): zeros of the input's shape with each slice
    /// of g added at its index. It is linear; its backward selects those slices again.</summary>
    private static Tensor IndexSelectScatter(Tensor g, int d, int[] indices, Shape shape)
    {
        var (outer, size, inner) = shape.Around(d);
        var y = Compute.Zeros(shape, g.DType);
        IndexAdd(g, indices, outer, size, inner, y);                                     // y[.., idx[j], ..] += g[.., j, ..]

        return Tape.Record("IndexSelectBackward", y, [g], "dg[j] += dy[idx[j]]", dy =>
        {
            var dg = Compute.Empty(g.Shape, g.DType);                                    // dg[.., j, ..] += dy[.., idx[j], ..]
            if (dg.DType == DType.Float32) Layout.IndexCopy<float>(dy.F32, indices, outer, size, inner, dg.F32);
            else Layout.IndexCopy<double>(dy.F64, indices, outer, size, inner, dg.F64);
            g.AccumulateGrad(dg, owned: true);
        },
        dy => [IndexSelect(dy, d, indices)]);
    }

    /// <summary><c>into[.., idx[j], ..] += g[.., j, ..]</c>.</summary>
    private static void IndexAdd(Tensor g, int[] indices, int outer, int size, int inner, Tensor into)
    {
        if (into.DType == DType.Float32) Layout.IndexAdd<float>(g.F32, indices, outer, size, inner, into.F32);
        else Layout.IndexAdd<double>(g.F64, indices, outer, size, inner, into.F64);
    }
}
