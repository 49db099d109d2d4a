using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The logarithm of the sum of exponentials along one dimension, computed stably. Same as <c>torch.logsumexp</c>.</summary>
    /// <remarks>Per row along <paramref name="dim"/>: forward <c>y = m + log Σₖ exp(xₖ - m)</c> with <c>m = max x</c>, so
    /// logits of ±1000 neither overflow nor lose the answer (all -inf gives -inf, an empty dim -inf). Backward
    /// <c>dx = g · exp(x - y)</c>, the softmax of the row, written with ops so gradients of any order flow through it.</remarks>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to reduce; negative counts from the end.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor LogSumExp(Tensor x, int dim, bool keepDim = false)
    {
        Check.NotNull("LogSumExp", x, nameof(x));
        int d = Check.Dim("LogSumExp", dim, x.Shape);
        var (outer, size, inner) = x.Shape.Around(d);
        var y = Compute.Empty(x.Shape.Reduce(d, keepDim), x.DType);
        Compute.Run(x.DType, new LogSumExpKernel(x, outer, size, inner, y));            // y = m + log Σ exp(x - m)

        return Tape.Record("LogSumExp", y, [x], "dx += g·exp(x - y)", [keepDim
            ? static (g, e) => g * Exp(e.Inputs[0] - e.Output)
            : (g, e) => Unsqueeze(g, d) * Exp(e.Inputs[0] - Unsqueeze(e.Output, d))]);
    }

    private readonly struct LogSumExpKernel(Tensor x, int outer, int size, int inner, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Statistics.LogSumExp<T>(x.Data<T>(), outer, size, inner, y.Data<T>());
    }
}
