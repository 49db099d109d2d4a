using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The rectified linear unit of every element. Same as <c>torch.relu</c>.</summary>
    /// <remarks>Forward <c>y = max(x, 0)</c>. Backward <c>dx = g if x &gt; 0 else 0</c> (the gradient at exactly 0 is 0, as
    /// PyTorch), one fused kernel.</remarks>
    public static Tensor Relu(Tensor x)
    {
        Check.NotNull("Relu", x, nameof(x));
        var y = Compute.Unary<ReluOperator>(x);                                          // y = max(x, 0)

        return Tape.Record("Relu", y, [x], "dx += g·[x > 0]", [static (g, e) => ReluBackward(g, e.Inputs[0])]);
    }

    /// <summary>Relu's backward as an op: <c>dx = dy · [x &gt; 0]</c>. It is linear in dy, so its rule for dy is itself;
    /// its slope in x is 0 wherever it is defined, so x gets none. Gradients of any order flow through Relu.</summary>
    internal static Tensor ReluBackward(Tensor dy, Tensor x)
    {
        var dx = Compute.Binary<ReluBackwardOperator>(x, dy);                            // dx = dy · [x > 0]

        return Tape.Record("ReluBackward", dx, [dy, x], "d(dy) += g·[x > 0]", [static (g, e) => ReluBackward(g, e.Inputs[1]), static (_, _) => null]);
    }

    private readonly struct ReluOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T> => Elementwise.Relu(x, y);
    }

    private readonly struct ReluBackwardOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
            ElementwiseBackward.Relu(x, dy, dx);
    }
}
