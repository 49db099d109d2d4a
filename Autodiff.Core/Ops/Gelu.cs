using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The Gaussian error linear unit of every element. Same as <c>torch.nn.functional.gelu</c>.</summary>
    /// <remarks>Forward <c>y = x·Φ(x)</c> with Φ the standard normal CDF; backward <c>dx += g·(Φ(x) + x·φ(x))</c>.
    /// With <paramref name="approximateTanh"/> (PyTorch's <c>approximate='tanh'</c>):
    /// <c>y = ½x(1 + tanh u)</c>, <c>u = √(2/π)(x + 0.044715x³)</c>, and <c>dx += g·(½(1 + tanh u) + ½x(1 - tanh²u)·u')</c>.</remarks>
    public static Tensor Gelu(Tensor x, bool approximateTanh = false)
    {
        Check.NotNull("Gelu", x, nameof(x));
        var y = Compute.Map(x, (s, d) => Elementwise.Gelu(s, approximateTanh, d), (s, d) => Elementwise.Gelu(s, approximateTanh, d));

        return Tape.Record("Gelu", y, [x], approximateTanh ? "dx += g·(½(1+tanh u) + ½x(1-tanh²u)u')" : "dx += g·(Φ(x) + x·φ(x))", dy =>
            Compute.AccumulateInto(x, x, dy,
                (s, g, d) => ElementwiseBackward.Gelu(s, approximateTanh, g, d), (s, g, d) => ElementwiseBackward.Gelu(s, approximateTanh, g, d)));
    }
}
