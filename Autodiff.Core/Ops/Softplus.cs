using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Softplus of every element, a smooth ReLU. Same as <c>torch.nn.functional.softplus</c>.</summary>
    /// <remarks>Forward <c>y = ln(1 + e^(βx)) / β</c>, and <c>y = x</c> where <c>βx &gt; threshold</c>.
    /// Backward <c>dx += g · σ(βx)</c>, and <c>dx += g</c> past the threshold.</remarks>
    /// <exception cref="ArgumentException">β is zero or NaN, or the threshold is NaN.</exception>
    public static Tensor Softplus(Tensor x, double beta = 1, double threshold = 20)
    {
        Check.NotNull("Softplus", x, nameof(x));
        if (beta == 0 || double.IsNaN(beta)) Check.Fail("Softplus", $"beta must be a non-zero number, got {beta}.", nameof(beta));
        Check.NotNaN("Softplus", threshold, nameof(threshold));
        var (b32, t32) = ((float)beta, (float)threshold);
        var y = Compute.Map(x, (s, d) => Elementwise.Softplus(s, b32, t32, d), (s, d) => Elementwise.Softplus(s, beta, threshold, d));

        return Tape.Record("Softplus", y, [x], "dx += g·σ(βx)", dy =>
            Compute.AccumulateInto(x, x, dy,                                             // dx += g · σ(βx)
                (s, g, d) => ElementwiseBackward.Softplus(s, b32, t32, g, d), (s, g, d) => ElementwiseBackward.Softplus(s, beta, threshold, g, d)),
            dy =>
            {
                var linear = Mask(x, v => beta * v > threshold);                         // where softplus is x itself
                return [dy * (Sigmoid(x * beta) * (1 - linear) + linear)];
            });
    }
}
