namespace Autodiff;

public static partial class Ops
{
    /// <summary>The smallest element, as a scalar. Same as <c>torch.min(x)</c>.</summary>
    /// <remarks>As <see cref="Max(Tensor)"/> with min: ties share the gradient evenly; Int64 in, Int64 out.</remarks>
    /// <exception cref="ArgumentException">The tensor is empty, or it is Bool.</exception>
    public static Tensor Min(Tensor x) => ExtremeAll("Min", x, max: false);

    /// <summary>The smallest value along one dimension. Same as <c>torch.min(x, dim, keepdim).values</c>.</summary>
    /// <remarks>As <see cref="Max(Tensor, int, bool)"/> with min.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0, or the tensor is Bool.</exception>
    public static Tensor Min(Tensor x, int dim, bool keepDim = false) => ExtremeDim("Min", x, dim, keepDim, max: false);
}
