using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The hyperbolic tangent of every element. Same as <c>torch.tanh</c>.</summary>
    /// <remarks>Forward <c>y = tanh x</c>. Backward <c>dx += g · (1 - y²)</c>.</remarks>
    public static Tensor Tanh(Tensor x)
    {
        Check.NotNull("Tanh", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Tanh, Elementwise.Tanh);                      // y = tanh x

        return Tape.Record("Tanh", y, [x], "dx += g·(1 - y²)", dy =>
            Compute.AccumulateInto(x, y, dy, ElementwiseBackward.Tanh, ElementwiseBackward.Tanh),    // dx += g · (1 - y²)
            dy => [dy * (1 - y * y)]);
    }
}
