namespace Autodiff;

public static partial class Ops
{
    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/> (in <c>[-rank-1, rank]</c>). Same as <c>torch.unsqueeze</c>.</summary>
    /// <remarks>A reshape: backward <c>dx += g</c> read as x's shape.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Unsqueeze(Tensor x, int dim)
    {
        Check.NotNullAnyDType("Unsqueeze", x, nameof(x));
        int d = Check.Dim("Unsqueeze", dim, x.Shape, x.Rank + 1);
        var dims = new int[x.Rank + 1];
        for (int i = 0; i < dims.Length; i++) dims[i] = i < d ? x.Shape[i] : i == d ? 1 : x.Shape[i - 1];
        return ViewAs("Unsqueeze", x, new Shape(dims));
    }
}
