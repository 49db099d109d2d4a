namespace Autodiff;

public static partial class Ops
{
    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1 (otherwise returns the same values, as PyTorch).
    /// Same as <c>torch.squeeze(x, dim)</c>.</summary>
    /// <remarks>A reshape: backward <c>dx += g</c> read as x's shape.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Squeeze(Tensor x, int dim)
    {
        Check.NotNullAnyDType("Squeeze", x, nameof(x));
        int d = Check.Dim("Squeeze", dim, x.Shape);
        return x.Shape[d] != 1 ? ViewAs("Squeeze", x, x.Shape) : ViewAs("Squeeze", x, x.Shape.Reduce(d, keepDim: false));
    }

    /// <summary>Removes every dimension of size 1. Same as <c>torch.squeeze(x)</c>.</summary>
    /// <remarks>A reshape: backward <c>dx += g</c> read as x's shape.</remarks>
    public static Tensor Squeeze(Tensor x)
    {
        Check.NotNullAnyDType("Squeeze", x, nameof(x));
        return ViewAs("Squeeze", x, new Shape([.. x.Shape.Where(s => s != 1)]));
    }
}
