namespace Autodiff;

public static partial class Ops
{
    /// <summary>Negates every element. Same as <c>torch.neg</c>.</summary>
    /// <remarks>Forward <c>y = -x</c>. Backward <c>dx -= g</c>.</remarks>
    public static Tensor Neg(Tensor x)
    {
        Check.NotNull("Neg", x, nameof(x));
        var y = Compute.Negate(x);                                                       // y = -x

        return Tape.Record("Neg", y, [x], "dx -= g", dy =>
            x.AccumulateGrad(Compute.Negate(dy), owned: true),                         // dx -= g
            dy => [-dy]);
    }
}
