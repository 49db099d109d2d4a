namespace Autodiff;

public static partial class Ops
{
    /// <summary>Reorders the dimensions: output dim i is input dim <c>dims[i]</c>. Same as <c>torch.permute</c>.</summary>
    /// <remarks>Forward <c>y[i₀..] = x[i_{p⁻¹}..]</c> (a strided copy). Backward <c>dx += g</c> permuted back (the adjoint scatter).</remarks>
    /// <exception cref="ArgumentException">dims is not a permutation of 0..rank-1 (negative dims allowed).</exception>
    public static Tensor Permute(Tensor x, params int[] dims)
    {
        Check.NotNullAnyDType("Permute", x, nameof(x));
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

    private static int[] Inverse(int[] p)
    {
        var inverse = new int[p.Length];
        for (int i = 0; i < p.Length; i++) inverse[p[i]] = i;
        return inverse;
    }

    /// <summary>The shared body of Permute and Transpose: output dim i reads input dim <c>p[i]</c>, a strided copy.</summary>
    private static Tensor PermuteCore(string op, Tensor x, int[] p)
    {
        var inStrides = x.Shape.Strides();
        var (strides, dims) = (new int[p.Length], new int[p.Length]);
        for (int i = 0; i < p.Length; i++) (strides[i], dims[i]) = (inStrides[p[i]], x.Shape[p[i]]);   // reading y walks x with these
        var y = Compute.Gather(x, 0, strides, new Shape(dims));                          // y = permute(x)

        return Tape.Record(op, y, [x], "dx += g (permuted back)", [(g, _) => PermuteCore("Permute", g, Inverse(p))]);
    }
}
