using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary><c>ln(1 + x)</c> of every element, accurate for tiny x. Same as <c>torch.log1p</c>.</summary>
    /// <remarks>Forward <c>y = ln(1 + x)</c>. Backward <c>dx += g / (1 + x)</c>.</remarks>
    public static Tensor Log1p(Tensor x)
    {
        Check.NotNull("Log1p", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Log1p, Elementwise.Log1p);                    // y = ln(1 + x)

        return Tape.Record("Log1p", y, [x], "dx += g/(1 + x)", dy =>
            Compute.AccumulateInto(x, x, dy, ElementwiseBackward.Log1p, ElementwiseBackward.Log1p),    // dx += g / (1 + x)
            dy => [dy / (x + 1)]);
    }
}
