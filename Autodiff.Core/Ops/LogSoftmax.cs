using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The logarithm of the softmax along one dimension, computed stably. Same as <c>torch.log_softmax</c>.</summary>
    /// <remarks>Per row along <paramref name="dim"/>: forward <c>y = x - max(x) - log Σ exp(x - max(x))</c>, so logits of
    /// ±1000 neither overflow nor lose the answer. Backward <c>dx += g - exp(y) · Σ g</c>; only <c>y</c> is saved.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor LogSoftmax(Tensor x, int dim)
    {
        Check.NotNull("LogSoftmax", x, nameof(x));
        int d = Check.Dim("LogSoftmax", dim, x.Shape);
        var y = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new LogSoftmaxKernel(x, d, y, backward: null));                // y = x - logsumexp(x)

        return Tape.Record("LogSoftmax", y, [x], "dx += g - exp(y)·Σg", [(g, e) => LogSoftmaxBackward(g, e.Output, d)]);
    }

    /// <summary>The backward of LogSoftmax as an op (PyTorch's <c>_log_softmax_backward_data</c>):
    /// <c>dx = dy - exp(y) · Σ dy</c> along <paramref name="dim"/>, for <c>y = LogSoftmax(x, dim)</c>.</summary>
    /// <remarks>Its own derivative, against the gradient g of dx: <c>d(dy) = g - Σ g·exp(y)</c> and
    /// <c>d(y) = -g · exp(y) · Σ dy</c> (sums along dim), so gradients of any order go through it.</remarks>
    internal static Tensor LogSoftmaxBackward(Tensor dy, Tensor y, int dim)
    {
        var dx = Compute.Empty(y.Shape, y.DType);
        Compute.Run(y.DType, new LogSoftmaxKernel(y, dim, dx, backward: dy));               // dx = dy - exp(y)·Σ dy

        return Tape.Record("LogSoftmaxBackward", dx, [dy, y], "d(dy) += g - Σ g·exp(y), d(y) -= g·exp(y)·Σ dy",
            [(g, e) => g - Sum(g * Exp(e.Inputs[1]), dim, keepDim: true),
             (g, e) => -(g * Exp(e.Inputs[1]) * Sum(e.Inputs[0], dim, keepDim: true))]);
    }

    /// <summary>LogSoftmax's forward <c>y = x - logsumexp(x)</c> along dim, or, given <c>backward = dy</c> and
    /// <c>x = y</c>, its backward <c>dx = dy - exp(y)·Σ dy</c>: the pair shares the [outer, size, inner] view.</summary>
    private readonly struct LogSoftmaxKernel(Tensor x, int dim, Tensor destination, Tensor? backward) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var (outer, size, inner) = x.Shape.Around(dim);
            if (backward is null) Kernels.Softmax.Forward<T>(x.Data<T>(), size, inner, 0, outer, destination.Data<T>(), log: true);
            else Kernels.Softmax.Backward<T>(x.Data<T>(), backward.Data<T>(), size, inner, 0, outer, destination.Data<T>(), log: true);
        }
    }
}
