namespace Autodiff;

public static partial class Ops
{
    /// <summary>Divides <paramref name="a"/> by <paramref name="b"/> element-wise with broadcasting. Same as <c>torch.div</c>.</summary>
    /// <remarks>Forward <c>y = a / b</c> (IEEE: x/0 is ±inf, 0/0 is NaN). Backward <c>da += g / b</c>, <c>db -= g · y / b</c>
    /// (that is, <c>-g·a/b²</c>).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Div(Tensor a, Tensor b)
    {
        var shape = Check.Broadcast("Div", a, b);
        var bFull = Compute.Expand(b, shape);
        var y = Compute.Divide(Compute.Expand(a, shape), bFull);                         // y = a / b

        return Tape.Record("Div", y, [a, b], "da += g/b, db -= g·y/b", dy =>
        {
            var gOverB = Compute.Divide(dy, bFull);
            if (b.RequiresGrad) b.AccumulateGrad(Compute.Negate(Compute.Multiply(gOverB, y)), owned: true);   // db -= g·y/b
            if (a.RequiresGrad) a.AccumulateGrad(gOverB, owned: true);                                     // da += g/b
        },
        dy => [dy / b, -(dy * y / b)]);
    }
}
