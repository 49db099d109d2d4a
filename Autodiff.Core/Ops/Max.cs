using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The largest element, as a scalar. Same as <c>torch.max(x)</c>.</summary>
    /// <remarks>Forward <c>y = maxᵢ xᵢ</c>, NaN if any element is NaN. Backward: <c>g</c> is shared evenly among all
    /// elements equal to the maximum (as PyTorch's <c>max()</c> without a dim). An Int64 tensor gives an Int64 result, not
    /// differentiable.</remarks>
    /// <exception cref="ArgumentException">The tensor is empty, or it is Bool.</exception>
    public static Tensor Max(Tensor x) => ExtremeAll("Max", x, max: true);

    /// <summary>The largest value along one dimension. Same as <c>torch.max(x, dim, keepdim).values</c>.</summary>
    /// <remarks>Forward <c>y[.., ..] = maxₖ x[.., k, ..]</c>. Backward: <c>g</c> goes to the first index attaining the
    /// maximum (the index <see cref="Argmax(Tensor, int, bool)"/> returns), as PyTorch's CPU kernel. An Int64 tensor gives
    /// Int64 values, not differentiable.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">The dimension has size 0, or the tensor is Bool.</exception>
    public static Tensor Max(Tensor x, int dim, bool keepDim = false) => ExtremeDim("Max", x, dim, keepDim, max: true);

    // ---- shared by Max, Min, Argmax and ArgmaxIndices --------------------------------------------------------------

    private static Tensor ExtremeAll(string op, Tensor x, bool max)
    {
        Check.Numeric(op, x, nameof(x));                                                 // Int64 too: its result is Int64, unrecorded
        if (x.Numel == 0) Check.Fail(op, $"cannot reduce an empty tensor {x.Shape}; give a dim or check the input.");
        var y = Compute.Empty(Shape.Scalar, x.DType);
        Compute.RunNumber(x.DType, new ExtremeKernel(x, max, y));                       // y = max x

        return Tape.Record(op, y, [x], "dx += g/count where x = y", [max
            ? static (g, e) => ExtremeAllBackward("MaxBackward", g, e.Inputs[0], e.Output)
            : static (g, e) => ExtremeAllBackward("MinBackward", g, e.Inputs[0], e.Output)]);
    }

    /// <summary>Max or Min of all elements' backward as a named op: <c>dy/#ties</c> where x equals the extreme y, 0
    /// elsewhere. Linear in dy; piecewise constant in x and y, which get no gradient through it.</summary>
    private static Tensor ExtremeAllBackward(string op, Tensor dy, Tensor x, Tensor y)
    {
        var dx = Compute.Zeros(x.Shape, x.DType);
        Compute.Run(x.DType, new TieShareKernel(x, y, dy, dx));                         // dx = dy/#ties where x = y

        return Tape.Record(op, dx, [dy, x, y], "d(dy) += Σ g/count where x = y",
            [static (g, e) => Sum(g * TieShare(e.Inputs[1], e.Inputs[2])), static (_, _) => null, static (_, _) => null]);
    }

    /// <summary><c>1/#ties</c> where x equals y, 0 elsewhere: a constant (unrecorded).</summary>
    private static Tensor TieShare(Tensor x, Tensor y)
    {
        var share = Compute.Zeros(x.Shape, x.DType);
        Compute.Run(x.DType, new TieShareKernel(x, y, Compute.Scalar(1, x.DType), share));
        return share;
    }

    private static Tensor ExtremeDim(string op, Tensor x, int dim, bool keepDim, bool max)
    {
        var (y, indices, d) = Extremes(op, x, dim, keepDim, max);

        return Tape.Record(op, y, [x], "dx[argmax] += g", [(g, e) => ExtremeScatter(max, g, indices, d, e.Inputs[0].Shape)]);
    }

    /// <summary>Max or Min along a dim's backward, as a named op: zeros of <paramref name="shape"/> (the input's) with
    /// <c>g[o, i]</c> at <c>[o, indices[o, i], i]</c> along dim <paramref name="d"/>. It is linear in g; its own backward
    /// reads those positions again (<see cref="ExtremeGather"/>).</summary>
    private static Tensor ExtremeScatter(bool max, Tensor g, int[] indices, int d, Shape shape)
    {
        var (outer, size, inner) = shape.Around(d);
        var y = Compute.Zeros(shape, g.DType);
        Compute.Run(g.DType, new ChosenKernel(g, indices, outer, size, inner, y, scatter: true));   // y[o, idx, i] = g[o, i]

        return Tape.Record(max ? "MaxBackward" : "MinBackward", y, [g], "dg += dy[argmax]",
            [(dy, e) => ExtremeGather(max, dy, indices, d, e.Inputs[0].Shape)]);
    }

    /// <summary>The elements at <c>[o, indices[o, i], i]</c> along dim <paramref name="d"/>, as <paramref name="shape"/>:
    /// Max or Min along a dim with the winners fixed, the adjoint of <see cref="ExtremeScatter"/>.</summary>
    private static Tensor ExtremeGather(bool max, Tensor x, int[] indices, int d, Shape shape)
    {
        var (outer, size, inner) = x.Shape.Around(d);
        var y = Compute.Empty(shape, x.DType);
        Compute.Run(x.DType, new ChosenKernel(x, indices, outer, size, inner, y, scatter: false));  // y[o, i] = x[o, idx, i]

        return Tape.Record(max ? "Max" : "Min", y, [x], "dx[argmax] += g",
            [(g, e) => ExtremeScatter(max, g, indices, d, e.Inputs[0].Shape)]);
    }

    /// <summary>The extreme values along <paramref name="dim"/>, the index of the first one attaining each, and the dim checked.</summary>
    private static (Tensor Values, int[] Indices, int Dim) Extremes(string op, Tensor x, int dim, bool keepDim, bool max)
    {
        Check.Numeric(op, x, nameof(x));                                                 // Int64 too: values Int64, unrecorded
        int d = Check.Dim(op, dim, x.Shape);
        if (x.Shape[d] == 0) Check.Fail(op, $"cannot reduce dim {dim} of size 0 in shape {x.Shape}.");
        var (outer, size, inner) = x.Shape.Around(d);
        var values = Compute.Empty(x.Shape.Reduce(d, keepDim), x.DType);
        var indices = new int[outer * inner];
        Compute.RunNumber(x.DType, new ExtremeDimKernel(x, outer, size, inner, max, values, indices));
        return (values, indices, d);
    }

    private readonly struct ExtremeKernel(Tensor x, bool max, Tensor y) : INumberKernel
    {
        public void Run<T>() where T : struct, INumber<T> => y.Data<T>()[0] = Reduce.Extreme<T>(x.Data<T>(), max);
    }

    private readonly struct TieShareKernel(Tensor x, Tensor y, Tensor g, Tensor dx) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Reduce.ShareAmongEqual<T>(x.Data<T>(), y.Data<T>()[0], g.Data<T>()[0], dx.Data<T>());
    }

    private readonly struct ExtremeDimKernel(Tensor x, int outer, int size, int inner, bool max, Tensor values, int[] indices) : INumberKernel
    {
        public void Run<T>() where T : struct, INumber<T> =>
            Reduce.ExtremeDim<T>(x.Data<T>(), outer, size, inner, max, values.Data<T>(), indices);
    }

    /// <summary>The chosen element of each row along a dim: scattered into zeros, or gathered back (the two directions of one map).</summary>
    private readonly struct ChosenKernel(Tensor source, int[] indices, int outer, int size, int inner, Tensor destination, bool scatter) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            if (scatter) Reduce.ScatterToIndices<T>(source.Data<T>(), indices, outer, size, inner, destination.Data<T>());
            else Reduce.GatherAtIndices<T>(source.Data<T>(), indices, outer, size, inner, destination.Data<T>());
        }
    }
}
