using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Leaky ReLU of every element. Same as <c>torch.nn.functional.leaky_relu</c>.</summary>
    /// <remarks>Forward <c>y = x if x &gt; 0 else slope·x</c>. Backward <c>dx += g if x &gt; 0 else slope·g</c>.</remarks>
    /// <exception cref="ArgumentException">The slope is NaN.</exception>
    public static Tensor LeakyRelu(Tensor x, double negativeSlope = 0.01)
    {
        Check.NotNull("LeakyRelu", x, nameof(x));
        Check.NotNaN("LeakyRelu", negativeSlope, nameof(negativeSlope));
        float s32 = (float)negativeSlope;
        var y = Compute.Map(x, (s, d) => Elementwise.LeakyRelu(s, s32, d), (s, d) => Elementwise.LeakyRelu(s, negativeSlope, d));

        return Tape.Record("LeakyRelu", y, [x], $"dx += g·(x > 0 ? 1 : {negativeSlope})", dy =>
            Compute.AccumulateInto(x, x, dy,                                             // dx += g · (x > 0 ? 1 : slope)
                (s, g, d) => ElementwiseBackward.LeakyRelu(s, s32, g, d), (s, g, d) => ElementwiseBackward.LeakyRelu(s, negativeSlope, g, d)),
            dy => [dy * Slope(x, (s, g, d) => ElementwiseBackward.LeakyRelu(s, s32, g, d), (s, g, d) => ElementwiseBackward.LeakyRelu(s, negativeSlope, g, d))]);
    }
}
