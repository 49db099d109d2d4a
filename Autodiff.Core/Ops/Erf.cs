using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The error function of every element. Same as <c>torch.erf</c>.</summary>
    /// <remarks>Forward <c>y = erf(x) = (2/√π) ∫₀ˣ e^(-t²) dt</c>. Backward <c>dx = g · (2/√π) e^(-x²)</c>.</remarks>
    public static Tensor Erf(Tensor x)
    {
        Check.NotNull("Erf", x, nameof(x));
        var y = Compute.Unary<ErfOperator>(x);                                           // y = erf(x)

        return Tape.Record("Erf", y, [x], "dx += g·(2/√π)·exp(-x²)",
            [static (g, e) => g * Exp(-(e.Inputs[0] * e.Inputs[0])) * (2 / Math.Sqrt(Math.PI))]);
    }

    private readonly struct ErfOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Erf(x, y);
    }
}
