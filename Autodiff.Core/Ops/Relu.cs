using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The rectified linear unit of every element. Same as <c>torch.relu</c>.</summary>
    /// <remarks>Forward <c>y = max(x, 0)</c>. Backward <c>dx += g if x &gt; 0 else 0</c> (the gradient at exactly 0 is 0, as PyTorch).</remarks>
    public static Tensor Relu(Tensor x)
    {
        Check.NotNull("Relu", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Relu, Elementwise.Relu);                      // y = max(x, 0)

        return Tape.Record("Relu", y, [x], "dx += g·[x > 0]", dy =>
            Compute.AccumulateInto(x, x, dy, ElementwiseBackward.Relu, ElementwiseBackward.Relu),    // dx += g · [x > 0]
            dy => [dy * Slope(x, ElementwiseBackward.Relu, ElementwiseBackward.Relu)]);
    }
}
