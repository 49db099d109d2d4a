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
                (s, g, d) => ElementwiseBackward.Gelu(s, approximateTanh, g, d), (s, g, d) => ElementwiseBackward.Gelu(s, approximateTanh, g, d)),
            dy => [dy * GeluDerivative(x, approximateTanh)]);
    }

    /// <summary>∂Gelu/∂x written with ops, for a differentiable backward: <c>Φ(x) + x·φ(x)</c> with
    /// <c>Φ(x) = ½(1 + erf(x/√2))</c>, <c>φ(x) = e^(-x²/2)/√(2π)</c>; or, for the tanh form with <c>u = √(2/π)(x + 0.044715x³)</c>,
    /// <c>½(1 + tanh u) + ½x(1 - tanh²u)·√(2/π)(1 + 3·0.044715x²)</c>.</summary>
    private static Tensor GeluDerivative(Tensor x, bool approximateTanh)
    {
        if (!approximateTanh)
            return 0.5 * (1 + Erf(x * (1 / Math.Sqrt(2)))) + x * Exp(-0.5 * (x * x)) * (1 / Math.Sqrt(2 * Math.PI));
        const double a = 0.044715;
        double c = Math.Sqrt(2 / Math.PI);
        var t = Tanh(c * (x + a * (x * x * x)));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (c * (1 + 3 * a * (x * x)));
    }
}
