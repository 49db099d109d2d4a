using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The p-norm of a vector along one dimension, or of all elements. Same as <c>torch.linalg.vector_norm(x, ord=p, dim, keepdim)</c>.</summary>
    /// <remarks>
    /// <para>Forward <c>y = (Σ |x|ᵖ)^(1/p)</c> over the elements reduced, with the special cases of PyTorch: p = 2 is
    /// <c>√Σ x²</c>, p = ∞ is <c>max |x|</c>, p = -∞ is <c>min |x|</c> (NaN propagates), p = 0 counts the non-zero elements;
    /// negative p is allowed.</para>
    /// <para>Backward as PyTorch's: p = 2: <c>dx = g · x / y</c>, and 0 where y = 0 (so the norm of a zero vector has
    /// gradient 0, not NaN); p = 1: <c>dx = g · sign(x)</c>; p = ±∞: <c>g · sign(x)</c> shared evenly among the elements whose
    /// |x| attains y; p = 0: zeros; otherwise <c>dx = g · sign(x)·|x|^(p-1) / y^(p-1)</c>, 0 where y = 0. Written with ops,
    /// so gradients of any order flow through it.</para>
    /// </remarks>
    /// <param name="x">The input.</param>
    /// <param name="p">The order: any number, or <see cref="double.PositiveInfinity"/> / <see cref="double.NegativeInfinity"/>.</param>
    /// <param name="dim">The dimension to reduce (negative counts from the end), or null for every element.</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1 (every dimension when <paramref name="dim"/> is null).</param>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">p is NaN, or p is ±∞ and the reduced dimension is empty (max and min of nothing are undefined).</exception>
    public static Tensor Norm(Tensor x, double p = 2, int? dim = null, bool keepDim = false)
    {
        const string op = "Norm";
        Check.NotNull(op, x, nameof(x));
        Check.NotNaN(op, p, nameof(p));
        int? d = dim is int given ? Check.Dim(op, given, x.Shape) : null;
        var (outer, size, inner, shape) = ReductionView(x.Shape, d, keepDim);
        if (double.IsInfinity(p) && size == 0)
            Check.Fail(op, $"the {(p > 0 ? "inf" : "-inf")} norm of an empty {(d is null ? "tensor" : $"dim {d}")} is undefined (input {x.Shape}); it has no identity.", nameof(x));
        var y = Compute.Empty(shape, x.DType);
        Compute.Run(x.DType, new NormKernel(x, outer, size, inner, p, y));              // y = (Σ |x|ᵖ)^(1/p)

        return p switch
        {
            0 => Tape.Record(op, y, [x], "dx += 0", [static (_, e) => Tensor.ZerosLike(e.Inputs[0])]),
            1 => Tape.Record(op, y, [x], "dx += g·sign(x)",
                [(g, e) => AbsBackward(ExpandAs(UnreduceDim(g, d, keepDim), e.Inputs[0]), e.Inputs[0])]),
            2 => Tape.Record(op, y, [x], "dx += g·x/y, 0 where y = 0",
                [(g, e) => UnreduceDim(OverNormOrZero(g, e.Output, power: 1), d, keepDim) * e.Inputs[0]]),
            double.PositiveInfinity or double.NegativeInfinity => Tape.Record(op, y, [x], "dx += g·sign(x)/count where |x| = y",
                [(g, e) => UnreduceDim(g, d, keepDim) * NormExtremeShare(e.Inputs[0], e.Output, outer, size, inner)]),
            _ => Tape.Record(op, y, [x], $"dx += g·sign(x)|x|^{p - 1}/y^{p - 1}, 0 where y = 0", [(g, e) =>
                {
                    var x = e.Inputs[0];
                    return AbsBackward(Pow(Abs(x), p - 1), x) * UnreduceDim(OverNormOrZero(g, e.Output, power: p - 1), d, keepDim);
                }]),
        };
    }

    /// <summary><c>g / yᵏ</c> with k = <paramref name="power"/>, and exactly 0 where y = 0, written so that no 0/0 or ∞·0
    /// appears in it or its derivatives: the denominator there is 1 (a constant 0/1 mask added) and the numerator 0. The rule
    /// of a norm or a standard deviation at a zero result, as PyTorch's <c>masked_fill_(norm == 0, 0)</c>.</summary>
    private static Tensor OverNormOrZero(Tensor g, Tensor y, double power)
    {
        var zero = Compute.Unary<IsZeroOperator>(y);                                     // a constant mask: 1 where y = 0
        var safe = y + zero;
        return Where(zero, Compute.Scalar(0, g.DType), g) / (power == 1 ? safe : Pow(safe, power));
    }

    /// <summary>The slope of the ±∞-norm, a constant (unrecorded): <c>sign(x)/count</c> where |x| attains y, 0 elsewhere.</summary>
    private static Tensor NormExtremeShare(Tensor x, Tensor y, int outer, int size, int inner)
    {
        var share = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new NormExtremeShareKernel(x, y, outer, size, inner, share));
        return share;
    }

    private readonly struct NormKernel(Tensor x, int outer, int size, int inner, double p, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> => Statistics.Norm<T>(x.Data<T>(), outer, size, inner, p, y.Data<T>());
    }

    private readonly struct NormExtremeShareKernel(Tensor x, Tensor y, int outer, int size, int inner, Tensor share) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Statistics.NormExtremeShare<T>(x.Data<T>(), y.Data<T>(), outer, size, inner, share.Data<T>());
    }

    /// <summary><c>mask = 1 where x = 0 else 0</c>.</summary>
    private readonly struct IsZeroOperator : IUnaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, Span<T> mask) where T : struct, IFloatingPointIeee754<T> => Masking.IsZero(x, mask);
    }
}
