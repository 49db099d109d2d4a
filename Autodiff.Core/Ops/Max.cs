using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The largest element, as a scalar. Same as <c>torch.max(x)</c>.</summary>
    /// <remarks>Forward <c>y = maxᵢ xᵢ</c>, NaN if any element is NaN. Backward: <c>g</c> is shared evenly among all
    /// elements equal to the maximum (as PyTorch's <c>max()</c> without a dim).</remarks>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public static Tensor Max(Tensor x) => ExtremeAll("Max", x, max: true);

    /// <summary>The smallest element, as a scalar. Same as <c>torch.min(x)</c>.</summary>
    /// <remarks>As <see cref="Max(Tensor)"/> with min: ties share the gradient evenly.</remarks>
    /// <exception cref="ArgumentException">The tensor is empty.</exception>
    public static Tensor Min(Tensor x) => ExtremeAll("Min", x, max: false);

    /// <summary>The largest value along one dimension. Same as <c>torch.max(x, dim, keepdim).values</c>.</summary>
    /// <remarks>Forward <c>y[.., ..] = maxₖ x[.., k, ..]</c>. Backward: <c>g</c> goes to the first index attaining the
    /// maximum (the index <see cref="Argmax(Tensor, int, bool)"/> returns), as PyTorch's CPU kernel.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0.</exception>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) => ExtremeDim("Max", x, dim, keepDim, max: true);

    /// <summary>The smallest value along one dimension. Same as <c>torch.min(x, dim, keepdim).values</c>.</summary>
    /// <remarks>As <see cref="Max(Tensor, int, bool)"/> with min.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0.</exception>
    public static Tensor Min(Tensor x, int dim, bool keepDim = false) => ExtremeDim("Min", x, dim, keepDim, max: false);

    /// <summary>The index of the largest value along one dimension (first on ties), as values of the input's dtype.
    /// Same as <c>torch.argmax(x, dim, keepdim)</c>. Not differentiable: never recorded.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0.</exception>
    public static Tensor Argmax(Tensor x, int dim, bool keepDim = false)
    {
        var (_, indices, shape) = Extremes("Argmax", x, dim, keepDim, max: true);
        if (x.RequiresGrad) x.LastNonDifferentiableUse = "Argmax";                       // no gradient flows through an index
        var y = Compute.Empty(shape, x.DType);
        for (int i = 0; i < indices.Length; i++)
            if (y.DType == DType.Float32) y.F32[i] = indices[i]; else y.F64[i] = indices[i];
        return y;
    }

    /// <summary>The indices of the largest value of each row along <paramref name="dim"/>, as integers (first on ties).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0.</exception>
    public static int[] ArgmaxIndices(Tensor x, int dim = -1)
    {
        var indices = Extremes("ArgmaxIndices", x, dim, keepDim: false, max: true).Indices;
        if (x.RequiresGrad) x.LastNonDifferentiableUse = "ArgmaxIndices";               // no gradient flows through an index
        return indices;
    }

    private static Tensor ExtremeAll(string op, Tensor x, bool max)
    {
        Check.NotNull(op, x, nameof(x));
        if (x.Numel == 0) Check.Fail(op, $"cannot reduce an empty tensor {x.Shape}; give a dim or check the input.");
        var y = x.DType == DType.Float32
            ? Compute.Scalar(Reduce.Extreme<float>(x.F32, max), DType.Float32)           // y = max x
            : Compute.Scalar(Reduce.Extreme<double>(x.F64, max), DType.Float64);

        return Tape.Record(op, y, [x], "dx += g/count where x = y", dy =>
        {
            var dx = x.GradBuffer();                                                     // dx += g / #ties where x = y
            if (x.DType == DType.Float32) Reduce.ShareAmongEqual<float>(x.F32, y.F32[0], dy.F32[0], dx.F32);
            else Reduce.ShareAmongEqual<double>(x.F64, y.F64[0], dy.F64[0], dx.F64);
        },
        dy =>
        {
            var share = Compute.Zeros(x.Shape, x.DType);                                 // 1/#ties where x = y: a constant
            if (x.DType == DType.Float32) Reduce.ShareAmongEqual<float>(x.F32, y.F32[0], 1f, share.F32);
            else Reduce.ShareAmongEqual<double>(x.F64, y.F64[0], 1.0, share.F64);
            return [dy * share];
        });
    }

    private static Tensor ExtremeDim(string op, Tensor x, int dim, bool keepDim, bool max)
    {
        var (y, indices, _) = Extremes(op, x, dim, keepDim, max);
        int d = Check.Dim(op, dim, x.Shape);
        var (outer, size, inner) = x.Shape.Around(d);

        return Tape.Record(op, y, [x], "dx[argmax] += g", dy =>
        {
            var dx = x.GradBuffer();                                                     // dx[.., argmax, ..] += g
            if (x.DType == DType.Float32) Reduce.ScatterToIndices<float>(dy.F32, indices, outer, size, inner, dx.F32);
            else Reduce.ScatterToIndices<double>(dy.F64, indices, outer, size, inner, dx.F64);
        },
        dy =>
        {
            var ones = Compute.Full(y.Shape, y.DType, 1);
            var chosen = Compute.Zeros(x.Shape, x.DType);                                // 1 at each argmax: a constant
            if (x.DType == DType.Float32) Reduce.ScatterToIndices<float>(ones.F32, indices, outer, size, inner, chosen.F32);
            else Reduce.ScatterToIndices<double>(ones.F64, indices, outer, size, inner, chosen.F64);
            return [(keepDim ? dy : Unsqueeze(dy, d)) * chosen];
        });
    }

    private static (Tensor Values, int[] Indices, Shape Shape) Extremes(string op, Tensor x, int dim, bool keepDim, bool max)
    {
        Check.NotNull(op, x, nameof(x));
        int d = Check.Dim(op, dim, x.Shape);
        if (x.Shape[d] == 0) Check.Fail(op, $"cannot reduce dim {dim} of size 0 in shape {x.Shape}.");
        var (outer, size, inner) = x.Shape.Around(d);
        var shape = x.Shape.Reduce(d, keepDim);
        var values = Compute.Empty(shape, x.DType);
        var indices = new int[outer * inner];
        if (x.DType == DType.Float32) Reduce.ExtremeDim<float>(x.F32, outer, size, inner, max, values.F32, indices);
        else Reduce.ExtremeDim<double>(x.F64, outer, size, inner, max, values.F64, indices);
        return (values, indices, shape);
    }
}
