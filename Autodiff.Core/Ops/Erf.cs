using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The error function of every element. Same as <c>torch.erf</c>.</summary>
    /// <remarks>Forward <c>y = erf(x) = (2/√π) ∫₀ˣ e^(-t²) dt</c>. Backward <c>dx += g · (2/√π) e^(-x²)</c>.</remarks>
    public static Tensor Erf(Tensor x)
    {
        Check.NotNull("Erf", x, nameof(x));
        var y = Compute.Map(x, Elementwise.Erf, Elementwise.Erf);                        // y = erf(x)

        return Tape.Record("Erf", y, [x], "dx += g·(2/√π)·exp(-x²)", dy =>
            Compute.AccumulateInto(x, x, dy, ElementwiseBackward.Erf, ElementwiseBackward.Erf),   // dx += g · (2/√π) e^(-x²)
            dy => [dy * Exp(-(x * x)) * (2 / Math.Sqrt(Math.PI))]);
    }
}
