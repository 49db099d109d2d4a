using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The error function of every element. Same as <c>torch.erf</c>.</summary>
    /// <remarks>Forward <c>y = erf(x) = (2/√π) ∫₀ˣ e^(-t²) dt</c>, vectorized (within 2 ulp in float). Backward
    /// <c>dx = g · (2/√π) e^(-x²)</c>, one fused pass (<see cref="ErfBackward"/>).</remarks>
    public static Tensor Erf(Tensor x)
    {
        Check.NotNull("Erf", x, nameof(x));
        var y = Compute.Unary<ErfOperator>(x);                                           // y = erf(x)

        return Tape.Record("Erf", y, [x], "dx += g·(2/√π)·exp(-x²)", [static (g, e) => ErfBackward(g, e.Inputs[0])]);
    }

    /// <summary>Erf's backward as an op: <c>dx = dy · (2/√π) e^(-x²)</c>. Its own rules, <c>d(dy) = g · (2/√π) e^(-x²)</c>
    /// (itself) and <c>d(x) = -2x · ErfBackward(g · dy, x)</c>, carry gradients of any order through Erf.</summary>
    internal static Tensor ErfBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<ErfBackwardOperator>(x, dy);                             // dx = dy · e^(-x²) · 2/√π

        return Tape.Record("ErfBackward", dx, [dy, x], "d(dy) += g·(2/√π)·exp(-x²), d(x) += -2x·g·dy·(2/√π)·exp(-x²)",
            [static (g, e) => ErfBackward(g, e.Inputs[1]), static (g, e) => -2 * (e.Inputs[1] * ErfBackward(g * e.Inputs[0], e.Inputs[1]))]);
    }

    private readonly struct ErfBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Erf(x, dy, dx);
    }

    private readonly struct ErfOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Erf(x, y);
    }
}
