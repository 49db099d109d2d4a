namespace Autodiff;

public static partial class Ops
{
    /// <summary>Adds two tensors element-wise with NumPy broadcasting. Same as <c>torch.add</c>.</summary>
    /// <remarks>Forward <c>y = a + b</c>. Backward <c>da += g</c>, <c>db += g</c>, each summed over the dims it was broadcast along.</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var shape = Check.Broadcast("Add", a, b);
        var y = Compute.Add(Compute.Expand(a, shape), Compute.Expand(b, shape));   // y = a + b

        return Tape.Record("Add", y, [a, b], "da += g, db += g", dy =>
        {
            if (a.RequiresGrad) a.AccumulateGrad(dy);                           // da += g
            if (b.RequiresGrad) b.AccumulateGrad(dy);                           // db += g
        },
        dy => [dy, dy]);
    }
}
