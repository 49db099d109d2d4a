namespace Autodiff;

public static partial class Ops
{
    /// <summary>Swaps two dimensions; negative dims count from the end. Same as <c>torch.transpose</c>.</summary>
    /// <remarks>A permutation: forward <c>y = xᵀ</c> along (dim0, dim1), backward <c>dx += gᵀ</c>.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">A dim is out of range.</exception>
    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        Check.NotNullAnyDType("Transpose", x, nameof(x));
        int d0 = Check.Dim("Transpose", dim0, x.Shape), d1 = Check.Dim("Transpose", dim1, x.Shape);
        var p = new int[x.Rank];
        for (int i = 0; i < p.Length; i++) p[i] = i;
        (p[d0], p[d1]) = (p[d1], p[d0]);
        return PermuteCore("Transpose", x, p);
    }
}
