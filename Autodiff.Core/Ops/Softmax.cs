using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The softmax along one dimension: non-negative values that sum to 1 per row. Same as <c>torch.softmax</c>.</summary>
    /// <remarks>Per row along <paramref name="dim"/>: forward <c>y = exp(x - max(x)) / Σ exp(x - max(x))</c>, stable for any
    /// logits, in one fused kernel (any dim: strided rows are not transposed). Backward <c>dx += y ⊙ (g - Σ g ⊙ y)</c> through
    /// the op <c>SoftmaxBackward</c>; only <c>y</c> is saved.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Softmax(Tensor x, int dim)
    {
        Check.NotNull("Softmax", x, nameof(x));
        int d = Check.Dim("Softmax", dim, x.Shape);
        var y = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new SoftmaxKernel(x, d, y, backward: null));                  // y = exp(x - max) / Σ exp(x - max)

        return Tape.Record("Softmax", y, [x], "dx += y·(g - Σ g·y)", [(g, e) => SoftmaxBackward(g, e.Output, d)]);
    }

    /// <summary>The backward of Softmax as an op (PyTorch's <c>_softmax_backward_data</c>): <c>dx = y ⊙ (dy - Σ dy ⊙ y)</c>
    /// along <paramref name="dim"/>, for <c>y = Softmax(x, dim)</c>.</summary>
    /// <remarks>Its own derivative, against the gradient g of dx: <c>d(dy) = y ⊙ (g - Σ g ⊙ y)</c> (the same map: the
    /// softmax's Jacobian is symmetric) and <c>d(y) = g ⊙ (dy - Σ dy ⊙ y) - dy · Σ g ⊙ y</c> (sums along dim), so gradients
    /// of any order go through it.</remarks>
    internal static Tensor SoftmaxBackward(Tensor dy, Tensor y, int dim)
    {
        var dx = Compute.Empty(y.Shape, y.DType);
        Compute.Run(y.DType, new SoftmaxKernel(y, dim, dx, backward: dy));                 // dx = y·(dy - Σ dy·y)

        return Tape.Record("SoftmaxBackward", dx, [dy, y], "d(dy) += y·(g - Σ g·y), d(y) += g·(dy - Σ dy·y) - dy·Σ g·y",
            [(g, e) => SoftmaxBackward(g, e.Inputs[1], dim),
             (g, e) => g * (e.Inputs[0] - Sum(e.Inputs[0] * e.Inputs[1], dim, keepDim: true))
                       - e.Inputs[0] * Sum(g * e.Inputs[1], dim, keepDim: true)]);
    }

    /// <summary>Softmax's forward along dim, or, given <c>backward = dy</c> and <c>x = y</c>, its backward
    /// <c>dx = y·(dy - Σ dy·y)</c>: the pair shares the [outer, size, inner] view.</summary>
    private readonly struct SoftmaxKernel(Tensor x, int dim, Tensor destination, Tensor? backward) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var (outer, size, inner) = x.Shape.Around(dim);
            if (backward is null) Kernels.Softmax.Forward<T>(x.Data<T>(), size, inner, 0, outer, destination.Data<T>(), log: false);
            else Kernels.Softmax.Backward<T>(x.Data<T>(), backward.Data<T>(), size, inner, 0, outer, destination.Data<T>(), log: false);
        }
    }
}
