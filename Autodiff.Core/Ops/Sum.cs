using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The sum of all elements, as a scalar. Same as <c>torch.sum(x)</c>.</summary>
    /// <remarks>Forward <c>y = Σᵢ xᵢ</c> (0 for an empty tensor). Backward <c>dx += g</c> for every element.</remarks>
    public static Tensor Sum(Tensor x)
    {
        Check.NotNull("Sum", x, nameof(x));
        var y = x.DType == DType.Float32
            ? Compute.Scalar(Reduce.Sum<float>(x.F32), DType.Float32)                   // y = Σ x
            : Compute.Scalar(Reduce.Sum<double>(x.F64), DType.Float64);

        return Tape.Record("Sum", y, [x], "dx += g", dy =>
            x.AccumulateGrad(Compute.Expand(dy, x.Shape), owned: true),                // dx += g (broadcast)
            dy => [Expand(dy, x.Shape.ToArray())]);
    }

    /// <summary>The sum along one dimension. Same as <c>torch.sum(x, dim, keepdim)</c>.</summary>
    /// <remarks>Forward <c>y[.., ..] = Σₖ x[.., k, ..]</c>. Backward <c>dx[.., k, ..] += g[.., ..]</c> for every k.</remarks>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to sum over; negative counts from the end.</param>
    /// <param name="keepDim">Keep the summed dimension with size 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Sum(Tensor x, int dim, bool keepDim = false)
    {
        Check.NotNull("Sum", x, nameof(x));
        int d = Check.Dim("Sum", dim, x.Shape);
        var (outer, size, inner) = x.Shape.Around(d);
        var keptShape = x.Shape.Reduce(d, keepDim: true);
        var y = Compute.Empty(x.Shape.Reduce(d, keepDim), x.DType);
        if (x.DType == DType.Float32) Reduce.SumDim<float>(x.F32, outer, size, inner, y.F32);     // y = Σₖ x[.., k, ..]
        else Reduce.SumDim<double>(x.F64, outer, size, inner, y.F64);

        return Tape.Record("Sum", y, [x], $"dx += g (broadcast along dim {d})", dy =>
            x.AccumulateGrad(Compute.Expand(dy.View(keptShape), x.Shape), owned: true),    // dx[.., k, ..] += g
            dy => [Expand(Reshape(dy, keptShape.ToArray()), x.Shape.ToArray())]);
    }

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
