namespace Autodiff;

public static partial class Ops
{
    /// <summary>The mean of all elements, as a scalar (NaN for an empty tensor). Same as <c>torch.mean(x)</c>.</summary>
    /// <remarks>Composite: <c>Sum(x) · (1/n)</c>, so its backward is <c>dx += g/n</c>.</remarks>
    public static Tensor Mean(Tensor x)
    {
        Check.NotNull("Mean", x, nameof(x));
        return Mul(Sum(x), Compute.Scalar(1.0 / x.Numel, x.DType));
    }

    /// <summary>The mean along one dimension. Same as <c>torch.mean(x, dim, keepdim)</c>.</summary>
    /// <remarks>Composite: <c>Sum(x, dim) · (1/n)</c> with n the size of that dimension.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Mean(Tensor x, int dim, bool keepDim = false)
    {
        Check.NotNull("Mean", x, nameof(x));
        int d = Check.Dim("Mean", dim, x.Shape);
        return Mul(Sum(x, d, keepDim), Compute.Scalar(1.0 / x.Shape[d], x.DType));
    }
}
