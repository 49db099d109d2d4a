using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The exponential of every element. Same as <c>torch.exp</c>.</summary>
    /// <remarks>Forward <c>y = eˣ</c> (overflows to +inf past about 88.7 in float32). Backward <c>dx += g · y</c>.</remarks>
    public static Tensor Exp(Tensor x)
    {
        Check.NotNull("Exp", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Exp, Elementwise.Exp);                        // y = eˣ

        return Tape.Record("Exp", y, [x], "dx += g·y", dy =>
            x.AccumulateGrad(Compute.Multiply(dy, y), owned: true),                    // dx += g · y
            dy => [dy * y]);
    }
}
