using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Picks from <paramref name="a"/> where <paramref name="condition"/> is non-zero and from <paramref name="b"/>
    /// elsewhere, with broadcasting of all three. Same as <c>torch.where(condition, a, b)</c>.</summary>
    /// <remarks>Forward <c>y = c ? a : b</c>. Backward <c>da += g where c</c>, <c>db += g where not c</c>; the condition gets no gradient.</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Check.NotNull("Where", condition, nameof(condition));
        var ab = Check.Broadcast("Where", a, b);
        Check.SameDType("Where", condition, a);
        var shape = Shape.TryBroadcast(condition.Shape, ab)
            ?? throw new ArgumentException($"Where: condition {condition.Shape} cannot be broadcast with {a.Shape} and {b.Shape}.", nameof(condition));
        var c = Compute.Expand(condition, shape);
        var y = Compute.Empty(shape, a.DType);
        var (aFull, bFull) = (Compute.Expand(a, shape), Compute.Expand(b, shape));
        if (y.DType == DType.Float32) Elementwise.Where<float>(c.F32, aFull.F32, bFull.F32, y.F32);   // y = c ? a : b
        else Elementwise.Where<double>(c.F64, aFull.F64, bFull.F64, y.F64);

        return Tape.Record("Where", y, [condition, a, b], "da += g·[c], db += g·[!c]", dy =>
        {
            if (a.RequiresGrad) a.AccumulateGrad(Masked(c, whereTrue: true, dy), owned: true);    // da += g where c
            if (b.RequiresGrad) b.AccumulateGrad(Masked(c, whereTrue: false, dy), owned: true);   // db += g where not c
        },
        dy =>
        {
            var ones = Compute.Full(y.Shape, y.DType, 1);
            return [null, dy * Masked(c, whereTrue: true, ones), dy * Masked(c, whereTrue: false, ones)];
        });
    }

    private static Tensor Masked(Tensor condition, bool whereTrue, Tensor dy)
    {
        var d = Compute.Zeros(dy.Shape, dy.DType);
        if (d.DType == DType.Float32) ElementwiseBackward.Where<float>(condition.F32, whereTrue, dy.F32, d.F32);
        else ElementwiseBackward.Where<double>(condition.F64, whereTrue, dy.F64, d.F64);
        return d;
    }
}
