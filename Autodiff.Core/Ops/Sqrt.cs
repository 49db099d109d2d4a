using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The square root of every element. Same as <c>torch.sqrt</c>.</summary>
    /// <remarks>Forward <c>y = √x</c> (NaN for negative x). Backward <c>dx += g / (2y)</c>, which is +inf at x = 0 as in PyTorch.</remarks>
    public static Tensor Sqrt(Tensor x)
    {
        Check.NotNull("Sqrt", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Sqrt, Elementwise.Sqrt);                      // y = √x

        return Tape.Record("Sqrt", y, [x], "dx += g/(2y)", dy =>
            Compute.AccumulateInto(x, y, dy, ElementwiseBackward.Sqrt, ElementwiseBackward.Sqrt),    // dx += g / (2y)
            dy => [dy / (2 * y)]);
    }
}
