using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>One row per index with a 1 in that index's column and 0 elsewhere. Same as
    /// <c>torch.nn.functional.one_hot</c>, but returning Float32 (PyTorch returns int64; an Int64 dtype comes later).</summary>
    /// <remarks>Forward <c>y[n, c] = 1 if c = indices[n] else 0</c>. Not differentiable: the result requires no grad.
    /// Convert with <c>.To(DType.Float64)</c> for a float64 model.</remarks>
    /// <param name="indices">Class indices, each in <c>[0, numClasses)</c>.</param>
    /// <param name="numClasses">The number of columns; -1 (the default, as PyTorch) takes the largest index + 1.</param>
    /// <returns>A Float32 tensor of shape <c>[indices.Length, numClasses]</c>.</returns>
    /// <exception cref="ArgumentNullException">indices is null.</exception>
    /// <exception cref="ArgumentException">numClasses is below -1, or is -1 with no indices to infer it from, or the result
    /// would have too many elements.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is negative or not below numClasses.</exception>
    public static Tensor OneHot(int[] indices, int numClasses = -1)
    {
        const string op = "OneHot";
        Check.NotNullArg(op, indices, nameof(indices));
        if (numClasses < -1) Check.Fail(op, $"numClasses must be non-negative, or -1 to infer it, got {numClasses}.", nameof(numClasses));
        for (int n = 0; n < indices.Length; n++)
            if (indices[n] < 0) Check.FailRange(op, $"index {indices[n]} at position {n} is negative; class indices start at 0.", nameof(indices));
        if (numClasses == -1)
        {
            if (indices.Length == 0) Check.Fail(op, "cannot infer numClasses from no indices; pass numClasses.", nameof(numClasses));
            numClasses = (int)Math.Min((long)indices.Max() + 1, int.MaxValue);
        }
        for (int n = 0; n < indices.Length; n++)
            if (indices[n] >= numClasses)
                Check.FailRange(op, $"index {indices[n]} at position {n} is out of range for numClasses {numClasses}.", nameof(indices));
        var y = Compute.Zeros(Check.ShapeArg(op, [indices.Length, numClasses]), DType.Float32);
        Compute.Run(y.DType, new OneHotKernel(indices, numClasses, y));                 // y[n, indices[n]] = 1
        return y;
    }

    private readonly struct OneHotKernel(int[] indices, int classes, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Masking.OneHot<T>(indices, classes, y.Data<T>());
    }
}
