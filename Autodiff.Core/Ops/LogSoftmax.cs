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
        var (outer, size, inner) = x.Shape.Around(d);
        var y = Compute.Empty(x.Shape, x.DType);
        if (x.DType == DType.Float32) Kernels.Softmax.LogSoftmax<float>(x.F32, outer, size, inner, y.F32);   // y = x - logsumexp(x)
        else Kernels.Softmax.LogSoftmax<double>(x.F64, outer, size, inner, y.F64);

        return Tape.Record("LogSoftmax", y, [x], "dx += g - exp(y)·Σg", dy =>
        {
            var dx = x.GradBuffer();                                                     // dx += g - exp(y) · Σ g
            if (x.DType == DType.Float32) Kernels.Softmax.LogSoftmaxBackward<float>(y.F32, dy.F32, outer, size, inner, dx.F32);
            else Kernels.Softmax.LogSoftmaxBackward<double>(y.F64, dy.F64, outer, size, inner, dx.F64);
        },
        dy => [dy - Exp(y) * Sum(dy, d, keepDim: true)]);
    }

    /// <summary>The softmax along one dimension: non-negative values that sum to 1 per row. Same as <c>torch.softmax</c>.</summary>
    /// <remarks>Composite: <c>Exp(LogSoftmax(x, dim))</c>, stable for any logits; its backward is
    /// <c>dx += y ⊙ (g - Σ g ⊙ y)</c> by the chain rule through the two entries.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    public static Tensor Softmax(Tensor x, int dim)
    {
        Check.NotNull("Softmax", x, nameof(x));
        Check.Dim("Softmax", dim, x.Shape);                                              // errors name Softmax, not LogSoftmax
        return Exp(LogSoftmax(x, dim));
    }
}
