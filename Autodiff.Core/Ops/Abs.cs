using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The absolute value of every element. Same as <c>torch.abs</c>.</summary>
    /// <remarks>Forward <c>y = |x|</c>. Backward <c>dx += g · sign(x)</c>, with <c>sign(0) = 0</c> as PyTorch.</remarks>
    public static Tensor Abs(Tensor x)
    {
        Check.NotNull("Abs", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Abs, Elementwise.Abs);                        // y = |x|

        return Tape.Record("Abs", y, [x], "dx += g·sign(x)", dy =>
            Compute.AccumulateInto(x, x, dy, ElementwiseBackward.Abs, ElementwiseBackward.Abs),      // dx += g · sign(x)
            dy => [dy * Slope(x, ElementwiseBackward.Abs, ElementwiseBackward.Abs)]);
    }
}
