using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The element-wise maximum of two tensors with broadcasting. Same as <c>torch.maximum</c>.</summary>
    /// <remarks>Forward <c>y = max(a, b)</c>, NaN if either is NaN. Backward: the larger input gets <c>g</c>; on a tie
    /// each gets <c>g/2</c> (as PyTorch).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Maximum(Tensor a, Tensor b) => Extremum("Maximum", a, b, max: true);

    /// <summary>The element-wise minimum of two tensors with broadcasting. Same as <c>torch.minimum</c>.</summary>
    /// <remarks>Forward <c>y = min(a, b)</c>, NaN if either is NaN. Backward: the smaller input gets <c>g</c>; on a tie
    /// each gets <c>g/2</c> (as PyTorch).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Minimum(Tensor a, Tensor b) => Extremum("Minimum", a, b, max: false);

    private static Tensor Extremum(string op, Tensor a, Tensor b, bool max)
    {
        var shape = Check.Broadcast(op, a, b);
        var (aFull, bFull) = (Compute.Expand(a, shape), Compute.Expand(b, shape));
        var y = max ? Compute.Map(aFull, bFull, Elementwise.Maximum, Elementwise.Maximum)     // y = max(a, b)
                    : Compute.Map(aFull, bFull, Elementwise.Minimum, Elementwise.Minimum);    // y = min(a, b)

        return Tape.Record(op, y, [a, b], "da += g·[a wins] (g/2 on ties), db likewise", dy =>
        {
            if (a.RequiresGrad) a.AccumulateGrad(Winner(aFull, bFull, max, dy), owned: true);   // da += g where a wins, g/2 on ties
            if (b.RequiresGrad) b.AccumulateGrad(Winner(bFull, aFull, max, dy), owned: true);   // db += g where b wins, g/2 on ties
        },
        dy =>
        {
            var ones = Compute.Full(y.Shape, y.DType, 1);                             // the winner masks are constants
            return [dy * Winner(aFull, bFull, max, ones), dy * Winner(bFull, aFull, max, ones)];
        });
    }

    private static Tensor Winner(Tensor self, Tensor other, bool max, Tensor dy)
    {
        var d = Compute.Zeros(dy.Shape, dy.DType);
        if (d.DType == DType.Float32) ElementwiseBackward.MaximumOrMinimum<float>(self.F32, other.F32, max, dy.F32, d.F32);
        else ElementwiseBackward.MaximumOrMinimum<double>(self.F64, other.F64, max, dy.F64, d.F64);
        return d;
    }
}
