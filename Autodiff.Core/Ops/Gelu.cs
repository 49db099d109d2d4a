using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The Gaussian error linear unit of every element. Same as <c>torch.nn.functional.gelu</c>.</summary>
    /// <remarks>Forward <c>y = x·Φ(x)</c> with Φ the standard normal CDF; backward <c>dx = g·(Φ(x) + x·φ(x))</c>.
    /// With <paramref name="approximateTanh"/> (PyTorch's <c>approximate='tanh'</c>):
    /// <c>y = ½x(1 + tanh u)</c>, <c>u = √(2/π)(x + 0.044715x³)</c>, and <c>dx = g·(½(1 + tanh u) + ½x(1 - tanh²u)·u')</c>.
    /// The backward is one fused kernel.</remarks>
    public static Tensor Gelu(Tensor x, bool approximateTanh = false)
    {
        Check.NotNull("Gelu", x, nameof(x));
        var y = Compute.Unary(x, new GeluOperator(approximateTanh));                    // y = x·Φ(x), or its tanh form
        Derivative dx = approximateTanh ? static (g, e) => GeluBackward(g, e.Inputs[0], approximateTanh: true)
                                        : static (g, e) => GeluBackward(g, e.Inputs[0], approximateTanh: false);

        return Tape.Record("Gelu", y, [x], approximateTanh ? "dx += g·(½(1+tanh u) + ½x(1-tanh²u)u')" : "dx += g·(Φ(x) + x·φ(x))", [dx]);
    }

    /// <summary>Gelu's backward as an op: <c>dx = dy · Gelu'(x)</c>. Its own rules are <c>d(dy) = g · Gelu'(x)</c> (itself)
    /// and <c>d(x) = g · dy · Gelu''(x)</c> (see <see cref="GeluSecondDerivative"/>), so gradients of any order flow through Gelu.</summary>
    internal static Tensor GeluBackward(Tensor dy, Tensor x, bool approximateTanh)
    {
        var dx = Compute.Binary(x, dy, new GeluBackwardOperator(approximateTanh));       // dx = dy · Gelu'(x)
        Derivative ddy = approximateTanh ? static (g, e) => GeluBackward(g, e.Inputs[1], approximateTanh: true)
                                         : static (g, e) => GeluBackward(g, e.Inputs[1], approximateTanh: false);
        Derivative ddx = approximateTanh ? static (g, e) => g * e.Inputs[0] * GeluSecondDerivative(e.Inputs[1], approximateTanh: true)
                                         : static (g, e) => g * e.Inputs[0] * GeluSecondDerivative(e.Inputs[1], approximateTanh: false);

        return Tape.Record("GeluBackward", dx, [dy, x], "d(dy) += g·Gelu'(x), d(x) += g·dy·Gelu''(x)", [ddy, ddx]);
    }

    /// <summary>∂²Gelu/∂x² written with ops: <c>φ(x)·(2 - x²)</c> with <c>φ(x) = e^(-x²/2)/√(2π)</c>; or, for the tanh form
    /// with <c>t = tanh u</c>, <c>u' = √(2/π)(1 + 3·0.044715x²)</c>, <c>u'' = 6·0.044715·√(2/π)·x</c>:
    /// <c>(1 - t²)·(u'·(1 - x·t·u') + ½x·u'')</c>.</summary>
    private static Tensor GeluSecondDerivative(Tensor x, bool approximateTanh)
    {
        var x2 = x * x;
        if (!approximateTanh) return Exp(-0.5 * x2) * (1 / Math.Sqrt(2 * Math.PI)) * (2 - x2);
        const double a = 0.044715;
        double c = Math.Sqrt(2 / Math.PI);
        var t = Tanh(c * (x + a * (x2 * x)));
        var du = c * (1 + 3 * a * x2);
        return (1 - t * t) * (du * (1 - x * t * du) + 3 * a * c * x2);
    }

    private readonly struct GeluOperator(bool approximateTanh) : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Gelu(x, approximateTanh, y);
    }

    private readonly struct GeluBackwardOperator(bool approximateTanh) : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Gelu(x, approximateTanh, dy, dx);
    }
}
