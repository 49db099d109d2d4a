using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The logistic sigmoid of every element. Same as <c>torch.sigmoid</c>.</summary>
    /// <remarks>Forward <c>y = 1 / (1 + e^-x)</c>. Backward <c>dx += g · y · (1 - y)</c>.</remarks>
    public static Tensor Sigmoid(Tensor x)
    {
        Check.NotNull("Sigmoid", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Sigmoid, Elementwise.Sigmoid);                // y = σ(x)

        return Tape.Record("Sigmoid", y, [x], "dx += g·y·(1 - y)", dy =>
            Compute.AccumulateInto(x, y, dy, ElementwiseBackward.Sigmoid, ElementwiseBackward.Sigmoid),    // dx += g · y(1 - y)
            dy => [dy * y * (1 - y)]);
    }
}
