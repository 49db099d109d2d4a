using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The logistic sigmoid of every element. Same as <c>torch.sigmoid</c>.</summary>
    /// <remarks>Forward <c>y = 1 / (1 + e^-x)</c>. Backward <c>dx = g · y · (1 - y)</c>, one fused kernel reading the output.</remarks>
    public static Tensor Sigmoid(Tensor x)
    {
        Check.NotNull("Sigmoid", x, nameof(x));
        var y = Compute.Unary<SigmoidOperator>(x);                                       // y = σ(x)

        return Tape.Record("Sigmoid", y, [x], "dx += g·y·(1 - y)", [static (g, e) => SigmoidBackward(g, e.Output)]);
    }

    /// <summary>Sigmoid's backward as an op: <c>dx = dy · y · (1 - y)</c> for <c>y = σ(x)</c>. Its own rules,
    /// <c>d(dy) = g · y · (1 - y)</c> and <c>d(y) = g · dy · (1 - 2y)</c>, carry gradients of any order through Sigmoid.</summary>
    internal static Tensor SigmoidBackward(Tensor dy, Tensor y)
    {
        var dx = Compute.Binary<SigmoidBackwardOperator>(y, dy);                         // dx = dy · y(1 - y)

        return Tape.Record("SigmoidBackward", dx, [dy, y], "d(dy) += g·y·(1 - y), d(y) += g·dy·(1 - 2y)",
            [static (g, e) => SigmoidBackward(g, e.Inputs[1]), static (g, e) => g * e.Inputs[0] * (1 - 2 * e.Inputs[1])]);
    }

    private readonly struct SigmoidOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Sigmoid(x, y);
    }

    private readonly struct SigmoidBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Sigmoid(y, dy, dx);
    }
}
