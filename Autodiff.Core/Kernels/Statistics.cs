using System.Numerics;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>Reductions beyond the sum: variance, log-sum-exp and vector norms. As in <see cref="Reduce"/>, a reduction
/// along one dimension sees its input as <c>[outer, size, inner]</c> and writes <c>[outer, inner]</c>; a reduction over
/// every element is the case <c>outer = inner = 1</c>.</summary>
/// <remarks>Contiguous rows (<c>inner = 1</c>) are summed with a fixed split into vector accumulators, as
/// <see cref="Reduce.Sum{T}"/>, so a result never depends on where the buffer lies in memory; strided rows are plain loops.</remarks>
internal static class Statistics
{
    /// <summary><c>destination[o, i] = Σₖ (x[o, k, i] - mean)² / max(0, size - correction)</c> with <c>mean = Σₖ x[o, k, i] / size</c>
    /// (two passes), or its square root when <paramref name="sqrt"/>. NaN for an empty row (the mean is 0/0), as PyTorch.</summary>
    public static void Variance<T>(ReadOnlySpan<T> x, int outer, int size, int inner, T correction, bool sqrt, Span<T> destination)
        where T : struct, IFloatingPointIeee754<T>
    {
        T n = T.CreateTruncating(size);
        T divisor = T.Max(T.Zero, n - correction);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                T mean, squares;
                if (inner == 1)
                {
                    var row = x.Slice(o * size, size);
                    mean = Reduce.Sum(row) / n;
                    squares = SumOfSquaredDeviations(row, mean);
                }
                else
                {
                    int b = o * size * inner + i;
                    T sum = T.Zero;
                    for (int k = 0; k < size; k++) sum += x[b + k * inner];
                    mean = sum / n;
                    squares = T.Zero;
                    for (int k = 0; k < size; k++)
                    {
                        T d = x[b + k * inner] - mean;
                        squares += d * d;
                    }
                }
                T variance = squares / divisor;
                destination[o * inner + i] = sqrt ? T.Sqrt(variance) : variance;
            }
    }

    /// <summary><c>Σ (x[k] - c)²</c>, vectorized in an order that depends only on the length.</summary>
    public static T SumOfSquaredDeviations<T>(ReadOnlySpan<T> x, T c) where T : struct, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count, i = 0;
        ref T r = ref MemoryMarshal.GetReference(x);
        var vc = new Vector<T>(c);
        var (a0, a1) = (Vector<T>.Zero, Vector<T>.Zero);
        for (; i + 2 * width <= x.Length; i += 2 * width)
        {
            var d0 = Vector.LoadUnsafe(ref r, (nuint)i) - vc;
            var d1 = Vector.LoadUnsafe(ref r, (nuint)(i + width)) - vc;
            a0 += d0 * d0;
            a1 += d1 * d1;
        }
        T sum = Vector.Sum(a0 + a1);
        for (; i < x.Length; i++)
        {
            T d = x[i] - c;
            sum += d * d;
        }
        return sum;
    }

    /// <summary><c>destination[o, i] = m + log Σₖ exp(x[o, k, i] - m)</c> with <c>m = maxₖ x[o, k, i]</c>, so large logits
    /// do not overflow. An infinite m shifts by 0 instead (all -inf gives -inf, a +inf gives +inf); an empty row gives -inf.</summary>
    public static void LogSumExp<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        var scratch = inner == 1 ? new T[size] : null;                          // exp(x - m) of one contiguous row
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                T m = T.NegativeInfinity, sum = T.Zero;
                if (inner == 1)
                {
                    var row = x.Slice(o * size, size);
                    foreach (T v in row) m = T.MaxNumber(m, v);
                    if (T.IsInfinity(m)) m = T.Zero;
                    var e = scratch.AsSpan();
                    for (int k = 0; k < size; k++) e[k] = row[k] - m;
                    Elementwise.Exp<T>(e, e);
                    sum = Reduce.Sum<T>(e);
                }
                else
                {
                    int b = o * size * inner + i;
                    for (int k = 0; k < size; k++) m = T.MaxNumber(m, x[b + k * inner]);
                    if (T.IsInfinity(m)) m = T.Zero;
                    for (int k = 0; k < size; k++) sum += T.Exp(x[b + k * inner] - m);
                }
                destination[o * inner + i] = m + T.Log(sum);
            }
    }

    /// <summary><c>destination[o, i] = ‖x[o, :, i]‖ₚ</c>: <c>(Σ |x|ᵖ)^(1/p)</c>, with the special cases of
    /// <c>torch.linalg.vector_norm</c>: p = 2 is <c>√Σ x²</c>, p = 1 is <c>Σ |x|</c>, p = ∞ is <c>max |x|</c>, p = -∞ is
    /// <c>min |x|</c> (NaN propagates through both), and p = 0 counts the non-zero elements. The caller rejects ±∞ on an empty row.</summary>
    public static void Norm<T>(ReadOnlySpan<T> x, int outer, int size, int inner, double p, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        T tp = T.CreateTruncating(p), inverse = T.One / tp;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                T r;
                if (p == 2)
                {
                    if (inner == 1) r = SumOfSquaredDeviations(x.Slice(o * size, size), T.Zero);
                    else
                    {
                        r = T.Zero;
                        for (int k = 0; k < size; k++) r += x[b + k * inner] * x[b + k * inner];
                    }
                    r = T.Sqrt(r);
                }
                else if (double.IsInfinity(p))
                {
                    r = T.Abs(x[b]);
                    for (int k = 1; k < size && !T.IsNaN(r); k++)
                    {
                        T a = T.Abs(x[b + k * inner]);
                        if (T.IsNaN(a) || (p > 0 ? a > r : a < r)) r = a;
                    }
                }
                else
                {
                    r = T.Zero;
                    for (int k = 0; k < size; k++)
                    {
                        T a = T.Abs(x[b + k * inner]);
                        r += p == 0 ? (a != T.Zero ? T.One : T.Zero) : p == 1 ? a : T.Pow(a, tp);
                    }
                    if (p != 0 && p != 1) r = T.Pow(r, inverse);
                }
                destination[o * inner + i] = r;
            }
    }

    /// <summary>The slope of the ±∞-norm: <c>share[o, k, i] = sign(x) / count</c> where <c>|x[o, k, i]|</c> equals the norm
    /// <c>y[o, i]</c> or is NaN, 0 elsewhere, with count the number of such elements in the row (ties share evenly, as PyTorch).</summary>
    public static void NormExtremeShare<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, int outer, int size, int inner, Span<T> share)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i, count = 0;
                T target = y[o * inner + i];
                for (int k = 0; k < size; k++)
                {
                    T a = T.Abs(x[b + k * inner]);
                    if (a == target || T.IsNaN(a)) count++;
                }
                T each = T.One / T.CreateTruncating(count);
                for (int k = 0; k < size; k++)
                {
                    T v = x[b + k * inner], a = T.Abs(v);
                    share[b + k * inner] = a == target || T.IsNaN(a) ? (v > T.Zero ? each : v < T.Zero ? -each : T.IsNaN(v) ? v : T.Zero) : T.Zero;
                }
            }
    }
}
