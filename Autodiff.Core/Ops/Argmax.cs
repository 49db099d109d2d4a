using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The index of the largest value along one dimension (first on ties), as values of the input's dtype.
    /// Same as <c>torch.argmax(x, dim, keepdim)</c>. Not differentiable: never recorded.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0.</exception>
    public static Tensor Argmax(Tensor x, int dim, bool keepDim = false)
    {
        var (y, indices, _) = Extremes("Argmax", x, dim, keepDim, max: true);
        if (x.RequiresGrad) x.LastNonDifferentiableUse = "Argmax";                       // no gradient flows through an index
        Compute.Run(y.DType, new IndexValuesKernel(indices, y));                          // the maxima's buffer, now the indices
        return y;
    }

    private readonly struct IndexValuesKernel(int[] indices, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var values = y.Data<T>();
            for (int i = 0; i < indices.Length; i++) values[i] = T.CreateTruncating(indices[i]);
        }
    }
}
