namespace Autodiff;

public static partial class Ops
{
    /// <summary>Subtracts <paramref name="b"/> from <paramref name="a"/> element-wise with broadcasting. Same as <c>torch.sub</c>.</summary>
    /// <remarks>Forward <c>y = a - b</c>. Backward <c>da += g</c>, <c>db -= g</c>.</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var shape = Check.Broadcast("Sub", a, b);
        var y = Compute.Subtract(Compute.Expand(a, shape), Compute.Expand(b, shape));   // y = a - b

        return Tape.Record("Sub", y, [a, b], "da += g, db -= g", dy =>
        {
            if (a.RequiresGrad) a.AccumulateGrad(dy);                                // da += g
            if (b.RequiresGrad) b.AccumulateGrad(Compute.Negate(dy), owned: true);   // db -= g
        },
        dy => [dy, -dy]);
    }
}
