namespace Autodiff;

public static partial class Ops
{
    /// <summary>Multiplies two tensors element-wise with broadcasting. Same as <c>torch.mul</c>.</summary>
    /// <remarks>Forward <c>y = a ⊙ b</c>. Backward <c>da += g ⊙ b</c>, <c>db += g ⊙ a</c>: each input receives the
    /// upstream gradient times the other input (the "swap" of the notes' multiply node).</remarks>
    /// <exception cref="ArgumentException">The shapes cannot be broadcast together, or the dtypes differ.</exception>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var shape = Check.Broadcast("Mul", a, b);
        var (aFull, bFull) = (Compute.Expand(a, shape), Compute.Expand(b, shape));
        var y = Compute.Multiply(aFull, bFull);                                         // y = a ⊙ b

        return Tape.Record("Mul", y, [a, b], "da += g·b, db += g·a", dy =>
        {
            if (a.RequiresGrad) a.AccumulateGrad(Compute.Multiply(dy, bFull), owned: true);   // da += g ⊙ b
            if (b.RequiresGrad) b.AccumulateGrad(Compute.Multiply(dy, aFull), owned: true);   // db += g ⊙ a
        },
        dy => [dy * b, dy * a]);
    }
}
