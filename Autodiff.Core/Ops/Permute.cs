namespace Autodiff;

public static partial class Ops
{
    /// <summary>Reorders the dimensions: output dim i is input dim <c>dims[i]</c>. Same as <c>torch.permute</c>.</summary>
    /// <remarks>Forward <c>y[i₀..] = x[i_{p⁻¹}..]</c> (a strided copy). Backward <c>dx += g</c> permuted back (the adjoint scatter).</remarks>
    /// <exception cref="ArgumentException">dims is not a permutation of 0..rank-1 (negative dims allowed).</exception>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        Check.NotNull("Permute", x, nameof(x));
        Check.NotNullArg("Permute", dims, nameof(dims));
        if (dims.Length != x.Rank)
            Check.Fail("Permute", $"dims {Shape.Format(dims)} must name each of the {x.Rank} dims of {x.Shape} once.", nameof(dims));
        var seen = new bool[x.Rank];
        var p = new int[x.Rank];
        for (int i = 0; i < dims.Length; i++)
        {
            p[i] = Check.Dim("Permute", dims[i], x.Shape);
            if (seen[p[i]]) Check.Fail("Permute", $"dims {Shape.Format(dims)} repeat dim {dims[i]} (input {x.Shape}).", nameof(dims));
            seen[p[i]] = true;
        }
        return PermuteCore("Permute", x, p);
    }

    /// <summary>Swaps two dimensions; negative dims count from the end. Same as <c>torch.transpose</c>.</summary>
    /// <remarks>A permutation: forward <c>y = xᵀ</c> along (dim0, dim1), backward <c>dx += gᵀ</c>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A dim is out of range.</exception>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        Check.NotNull("Transpose", x, nameof(x));
        int d0 = Check.Dim("Transpose", dim0, x.Shape), d1 = Check.Dim("Transpose", dim1, x.Shape);
        var p = Enumerable.Range(0, x.Rank).ToArray();
        (p[d0], p[d1]) = (p[d1], p[d0]);
        return PermuteCore("Transpose", x, p);
    }

    private static int[] Inverse(int[] p)
    {
        var inverse = new int[p.Length];
        for (int i = 0; i < p.Length; i++) inverse[p[i]] = i;
        return inverse;
    }

    private static Tensor PermuteCore(string op, Tensor x, int[] p)
    {
        var inStrides = x.Shape.Strides();
        var strides = p.Select(d => inStrides[d]).ToArray();                             // reading y walks x with these
        var y = Compute.Gather(x, 0, strides, new Shape([.. p.Select(d => x.Shape[d])])); // y = permute(x)

        return Tape.Record(op, y, [x], "dx += g (permuted back)", dy =>
            Compute.ScatterAdd(dy, x.GradBuffer(), 0, strides),                         // dx += permute⁻¹(g)
            dy => [Permute(dy, Inverse(p))]);
    }
}
