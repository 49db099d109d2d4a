using System.Numerics;
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static Autodiff.Kernels.RowVectors;

namespace Autodiff.Kernels;

/// <summary>Softmax-with-loss over the rows of <c>logits [N, C]</c>: the fused forward (softmax and cross-entropy in one
/// visit of a row) and its backward "probabilities minus targets".</summary>
/// <remarks>Rows are visited over a range <c>[start, end)</c> and only those rows are written, so the rows can be split
/// across threads; a row's softmax uses the <see cref="RowVectors"/> loops (results independent of the buffer's address).</remarks>
internal static class CrossEntropy
{
    /// <summary>Cross-entropy of each row of <c>logits [N, C]</c> against its class: <c>loss[n] = logsumexp(x[n]) - x[n, t[n]]</c>;
    /// also writes the row softmax into <paramref name="probabilities"/> for the backward.</summary>
    /// <remarks>With class weights <c>w</c> (empty: all 1) and label smoothing <c>ε</c>, PyTorch's
    /// <c>loss[n] = (1 - ε)·w[t]·(-log p[t]) + (ε/C)·Σ_c w[c]·(-log p[c])</c>; a row whose target is
    /// <paramref name="ignoreIndex"/> has loss 0 (its target is never read).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int c, int ignoreIndex, ReadOnlySpan<double> weight,
        double smoothing, int start, int end, Span<T> probabilities, Span<T> losses)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (c < Vector256<T>.Count)
        {
            ShortRowsForward(logits, targets, c, ignoreIndex, weight, smoothing, start, end, probabilities, losses);
            return;
        }
        for (int r = start; r < end; r++)
        {
            var xr = logits.Slice(r * c, c);
            var pr = probabilities.Slice(r * c, c);
            T max = Max(xr);
            if (T.IsInfinity(max)) max = T.Zero;                    // all -∞ (or a +∞): no shift, let IEEE decide
            T sum = MapSum(xr, xr, pr, new ExpShifted<T>(max));     // p = exp(x - max), and Σ of it
            Map(pr, pr, pr, new DivideBy<T>(sum));                  // p = softmax(x)
            losses[r] = Loss(xr, targets[r], ignoreIndex, weight, smoothing, max, sum);
        }
    }

    /// <summary><see cref="Forward{T}"/> for fewer classes than a vector holds (<c>[N, 2]</c>): element by element, except
    /// the exponentials, which run as one vectorized map over a chunk of rows (the lane function of the other path, so the
    /// same bits); each row's sum is taken in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortRowsForward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int c, int ignoreIndex,
        ReadOnlySpan<double> weight, double smoothing, int start, int end, Span<T> probabilities, Span<T> losses)
        where T : struct, IFloatingPointIeee754<T>
    {
        const int chunkRows = 256;
        Span<T> maxes = MemoryMarshal.Cast<byte, T>(stackalloc byte[chunkRows * 8])[..chunkRows];
        for (int r0 = start; r0 < end; r0 += chunkRows)
        {
            int rows = Math.Min(chunkRows, end - r0);
            ReadOnlySpan<T> xc = logits.Slice(r0 * c, rows * c);
            var pc = probabilities.Slice(r0 * c, rows * c);
            for (int r = 0; r < rows; r++)
            {
                T max = xc[r * c];
                for (int k = 1; k < c; k++) max = T.Max(max, xc[r * c + k]);
                if (T.IsInfinity(max)) max = T.Zero;
                maxes[r] = max;
                for (int k = 0; k < c; k++) pc[r * c + k] = xc[r * c + k] - max;
            }
            Map(pc, pc, pc, default(ExpOf<T>));                                          // p = exp(x - max), the chunk at once
            for (int r = 0; r < rows; r++)
            {
                T sum = T.Zero;
                for (int k = 0; k < c; k++) sum += pc[r * c + k];
                for (int k = 0; k < c; k++) pc[r * c + k] /= sum;                        // p = softmax(x)
                losses[r0 + r] = Loss(xc.Slice(r * c, c), targets[r0 + r], ignoreIndex, weight, smoothing, maxes[r], sum);
            }
        }
    }

    /// <summary>One row's loss from its logits, max and <c>Σ exp(x - max)</c>: <c>(1 - ε)·w[t]·(-log p[t]) + (ε/C)·Σ_c
    /// w[c]·(-log p[c])</c>, with <c>-log p[c] = (max - x[c]) + log Σ</c>; 0 when the target is ignored.</summary>
    private static T Loss<T>(ReadOnlySpan<T> x, int t, int ignoreIndex, ReadOnlySpan<double> weight, double smoothing, T max, T sum)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (t == ignoreIndex) return T.Zero;
        T logSum = T.Log(sum);
        T nll = (max - x[t]) + logSum;                              // -log p[t] = logsumexp(x) - x[t], max taken off first
        if (weight.IsEmpty && smoothing == 0) return nll;
        T loss = weight.IsEmpty ? nll : T.CreateTruncating(weight[t]) * nll;
        if (smoothing == 0) return loss;
        T smooth;                                                   // Σ_c w[c]·(-log p[c])
        if (weight.IsEmpty) smooth = Sum(x, x, new NegativeLogProbability<T>(max, logSum));
        else
        {
            smooth = T.Zero;
            for (int k = 0; k < x.Length; k++) smooth += T.CreateTruncating(weight[k]) * ((max - x[k]) + logSum);
        }
        int c = x.Length;
        return T.CreateTruncating(1 - smoothing) * loss + T.CreateTruncating(smoothing / c) * smooth;
    }

    /// <summary><c>dx[n] = scale[n] · (p[n] - onehot(t[n]))</c> for the rows <c>[start, end)</c>: softmax-with-loss sends back
    /// probabilities minus targets.</summary>
    /// <remarks>With class weights <c>w</c> (empty: all 1) and label smoothing <c>ε</c>, the target becomes the row
    /// <c>q = (1 - ε)·w[t]·onehot(t) + (ε/C)·w</c> and <c>dx[n] = scale[n] · (s·p[n] - q)</c> with <c>s = Σ q</c>;
    /// a row whose target is <paramref name="ignoreIndex"/> gets exact zeros, whatever its scale (even ∞ or NaN).
    /// Every operation is element-wise (no sum), so TensorPrimitives' bits do not depend on the address.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> targets, int c, int ignoreIndex,
        ReadOnlySpan<double> weight, double smoothing, ReadOnlySpan<T> scale, int start, int end, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        T keep = T.CreateTruncating(1 - smoothing), spread = T.CreateTruncating(smoothing / c);
        T weightSum = T.CreateTruncating(c);
        if (!weight.IsEmpty)
        {
            double total = 0;
            foreach (double w in weight) total += w;
            weightSum = T.CreateTruncating(total);
        }
        for (int r = start; r < end; r++)
        {
            var dr = dx.Slice(r * c, c);
            int t = targets[r];
            if (t == ignoreIndex)
            {
                dr.Clear();
                continue;
            }
            if (weight.IsEmpty && smoothing == 0)
            {
                TensorPrimitives.Multiply(probabilities.Slice(r * c, c), scale[r], dr);
                dr[t] -= scale[r];
                continue;
            }
            T g = scale[r];
            T wt = weight.IsEmpty ? T.One : T.CreateTruncating(weight[t]);
            TensorPrimitives.Multiply(probabilities.Slice(r * c, c), g * (keep * wt + spread * weightSum), dr);   // g·s·p
            dr[t] -= g * keep * wt;                                                                             // - g·(1 - ε)·w[t]
            if (smoothing == 0) continue;
            if (weight.IsEmpty) TensorPrimitives.Subtract(dr, g * spread, dr);                                  // - g·(ε/C)·w
            else for (int k = 0; k < c; k++) dr[k] -= g * spread * T.CreateTruncating(weight[k]);
        }
    }

    /// <summary>The dense target rows of <see cref="Backward{T}"/>: <c>q[n] = (1 - ε)·w[t]·onehot(t) + (ε/C)·w</c>
    /// and <c>s[n] = Σ q[n]</c>, both zero for a row whose target is <paramref name="ignoreIndex"/>. Only the second-order
    /// rules read them.</summary>
    public static void Targets<T>(ReadOnlySpan<int> targets, int c, int ignoreIndex, ReadOnlySpan<double> weight, double smoothing,
        Span<T> q, Span<T> s)
        where T : struct, IFloatingPointIeee754<T>
    {
        T keep = T.CreateTruncating(1 - smoothing), spread = T.CreateTruncating(smoothing / c);
        for (int r = 0; r < targets.Length; r++)
        {
            var qr = q.Slice(r * c, c);
            qr.Clear();
            s[r] = T.Zero;
            int t = targets[r];
            if (t == ignoreIndex) continue;
            if (smoothing != 0)
                for (int k = 0; k < c; k++) qr[k] = spread * (weight.IsEmpty ? T.One : T.CreateTruncating(weight[k]));
            qr[t] += keep * (weight.IsEmpty ? T.One : T.CreateTruncating(weight[t]));
            s[r] = Sum<T>(qr);
        }
    }

    /// <summary><c>f(x) = (max - x) + logSum = -log p</c>, for the smoothing term's sum.</summary>
    private readonly struct NegativeLogProbability<T>(T max, T logSum) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _max = Vector256.Create(max), _logSum = Vector256.Create(logSum);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => (_max - a) + _logSum;
    }
}
