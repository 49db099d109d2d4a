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
        var inStrides = x.Shape.Strides();
        var dims = x.Shape.ToArray();
        dims[d] = 1;
        var slice = new Shape(dims);                                                     // one selected slice
        var parts = new Tensor[saved.Length];
        for (int j = 0; j < saved.Length; j++) parts[j] = Compute.Gather(x, saved[j] * inStrides[d], inStrides, slice);
        dims[d] = saved.Length;
        var y = Compute.Zeros(new Shape(dims), x.DType);
        var outStrides = y.Shape.Strides();
        for (int j = 0; j < saved.Length; j++) Compute.ScatterAdd(parts[j], y, j * outStrides[d], outStrides);   // y[.., j, ..] = x[.., idx[j], ..]

        return Tape.Record("IndexSelect", y, [x], "dx[idx[j]] += g[j]", dy =>
        {
            var dx = x.GradBuffer();
            for (int j = 0; j < saved.Length; j++)                                       // dx[.., idx[j], ..] += g[.., j, ..]
                Compute.ScatterAdd(Compute.Gather(dy, j * outStrides[d], outStrides, slice), dx, saved[j] * inStrides[d], inStrides);
        });
    }
}
