using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The variance along one dimension, or of all elements. Same as <c>torch.var(x, dim, correction=, keepdim=)</c>.</summary>
    /// <remarks>Forward <c>y = Σ (x - mean)² / max(0, N - correction)</c> over the N elements reduced (two passes, so a large
    /// mean does not cancel the result). <c>correction = 1</c> (the default, as PyTorch) is the unbiased sample variance,
    /// <c>0</c> the population variance; <c>N ≤ correction</c> divides by 0 (NaN or +inf, as PyTorch). Backward
    /// <c>dx = g · 2(x - mean) / (N - correction)</c>, written with ops so gradients of any order flow through it.</remarks>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to reduce (negative counts from the end), or null for every element.</param>
    /// <param name="correction">Subtracted from N in the divisor (Bessel's correction).</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1 (every dimension when <paramref name="dim"/> is null).</param>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">correction is NaN.</exception>
    public static Tensor Var(Tensor x, int? dim = null, double correction = 1, bool keepDim = false)
    {
        var (y, d, n) = Moments("Var", x, dim, correction, keepDim, sqrt: false);
        double scale = 2 / Math.Max(0, n - correction);

        return Tape.Record("Var", y, [x], "dx += g·2(x - mean)/(N - correction)",
            [(g, e) => UnreduceDim(g, d, keepDim) * Centered(e.Inputs[0], d) * scale]);
    }

    /// <summary>Checks the arguments of Var and Std and computes the variance or its root: the result, the dim normalized
    /// (null for every element) and N.</summary>
    private static (Tensor Y, int? Dim, int N) Moments(string op, Tensor x, int? dim, double correction, bool keepDim, bool sqrt)
    {
        Check.NotNull(op, x, nameof(x));
        Check.NotNaN(op, correction, nameof(correction));
        int? d = dim is int given ? Check.Dim(op, given, x.Shape) : null;
        var (outer, size, inner, shape) = ReductionView(x.Shape, d, keepDim);
        var y = Compute.Empty(shape, x.DType);
        Compute.Run(x.DType, new VarianceKernel(x, outer, size, inner, correction, sqrt, y));   // y = Σ(x - mean)²/(N - c), or its root
        return (y, d, size);
    }

    /// <summary>How a reduction over <paramref name="dim"/> (null: every element) sees the input, <c>[outer, size, inner]</c>,
    /// and the shape of its result.</summary>
    internal static (int Outer, int Size, int Inner, Shape Result) ReductionView(Shape shape, int? dim, bool keepDim)
    {
        if (dim is int d)
        {
            var (outer, size, inner) = shape.Around(d);
            return (outer, size, inner, shape.Reduce(d, keepDim));
        }
        return (1, shape.Numel, 1, keepDim ? new Shape(Enumerable.Repeat(1, shape.Rank).ToArray()) : Shape.Scalar);
    }

    /// <summary>The gradient g of a reduction's result, shaped to broadcast against its input: the reduced dim put back as
    /// size 1 when it was removed (a full reduction's g is a scalar or all ones, which broadcast as they are).</summary>
    internal static Tensor UnreduceDim(Tensor g, int? dim, bool keepDim) => dim is int d && !keepDim ? Unsqueeze(g, d) : g;

    /// <summary><c>x - mean(x)</c> along <paramref name="dim"/> (null: over every element), recorded.</summary>
    private static Tensor Centered(Tensor x, int? dim) => x - (dim is int d ? Mean(x, d, keepDim: true) : Mean(x));

    private readonly struct VarianceKernel(Tensor x, int outer, int size, int inner, double correction, bool sqrt, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Statistics.Variance<T>(x.Data<T>(), outer, size, inner, T.CreateTruncating(correction), sqrt, y.Data<T>());
    }
}
