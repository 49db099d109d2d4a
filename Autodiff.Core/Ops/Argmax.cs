namespace Autodiff;

public static partial class Ops
{
    /// <summary>The index of the largest value along one dimension (first on ties), as an Int64 tensor. Same as
    /// <c>torch.argmax(x, dim, keepdim)</c>. Not differentiable: never recorded. x may be Float32, Float64 or Int64.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0, or x is Bool.</exception>
    public static Tensor Argmax(Tensor x, int dim, bool keepDim = false)
    {
        var (values, indices, _) = Extremes("Argmax", x, dim, keepDim, max: true);
        if (x.RequiresGrad) x.LastNonDifferentiableUse = "Argmax";                       // no gradient flows through an index
        var y = new Tensor(values.Shape, Array.ConvertAll(indices, i => (long)i));       // int64, as PyTorch's
        values.Dispose();
        if (DisposeScope.Current is { } scope) scope.Adopt(y);
        return y;
    }
}
