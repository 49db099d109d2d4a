using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>Row-wise log-softmax and softmax-with-loss over spans, numerically stable (the row max is subtracted first).</summary>
/// <remarks>A tensor is seen as <c>[outer, size, inner]</c>, the softmax running over <c>size</c>. With <c>inner = 1</c>
/// each row is contiguous and the SIMD primitives do the work; otherwise a strided loop.</remarks>
internal static class Softmax
{
    /// <summary><c>y = x - max(x) - log Σ exp(x - max(x))</c> along each row.</summary>
    public static void LogSoftmax<T>(ReadOnlySpan<T> x, int outer, int size, int inner, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var xr = x.Slice(o * size, size);
                var yr = y.Slice(o * size, size);
                T max = TensorPrimitives.Max(xr);
                if (T.IsInfinity(max)) max = T.Zero;                 // all -inf (or a +inf) : no shift, let IEEE decide
                TensorPrimitives.Subtract(xr, max, yr);              // y = x - max
                Elementwise.Exp<T>(yr, yr);                        // y = exp(x - max)   (reused as scratch)
                T logSum = T.Log(Reduce.Sum(yr));
                TensorPrimitives.Subtract(xr, max, yr);              // y = (x - max) - log Σ exp(x - max): subtracting
                TensorPrimitives.Subtract(yr, logSum, yr);           // max + log Σ in one step rounds at the logits' scale
            }
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                T max = T.NegativeInfinity;
                for (int k = 0; k < size; k++) max = T.MaxNumber(max, x[b + k * inner]);
                if (T.IsInfinity(max)) max = T.Zero;
                T sum = T.Zero;
                for (int k = 0; k < size; k++) sum += T.Exp(x[b + k * inner] - max);
                T logSum = T.Log(sum);
                for (int k = 0; k < size; k++) y[b + k * inner] = (x[b + k * inner] - max) - logSum;
            }
        }
    }

    /// <summary><c>dx = dy - exp(y) · Σ dy</c> along each row, for <c>y = LogSoftmax(x)</c> (every element of dx is written).</summary>
    public static void LogSoftmaxBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int outer, int size, int inner, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                ReadOnlySpan<T> yr = y.Slice(o * size, size), gr = dy.Slice(o * size, size);
                var dr = dx.Slice(o * size, size);
                T sum = Reduce.Sum(gr);
                Elementwise.Exp<T>(yr, dr);                            // dx = exp(y)
                Elementwise.MultiplyAdd<T>(dr, -sum, gr, dr);          // dx = dy - exp(y)·Σ dy
            }
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int b = o * size * inner + i;
                T sum = T.Zero;
                for (int k = 0; k < size; k++) sum += dy[b + k * inner];
                for (int k = 0; k < size; k++) dx[b + k * inner] = dy[b + k * inner] - T.Exp(y[b + k * inner]) * sum;
            }
        }
    }

    /// <summary>Cross-entropy of each row of <c>logits [N, C]</c> against its class: <c>loss[n] = logsumexp(x[n]) - x[n, t[n]]</c>;
    /// also writes the row softmax into <paramref name="probabilities"/> for the backward.</summary>
    /// <remarks>With class weights <c>w</c> (empty: all 1) and label smoothing <c>ε</c>, PyTorch's
    /// <c>loss[n] = (1 - ε)·w[t]·(-log p[t]) + (ε/C)·Σ_c w[c]·(-log p[c])</c>; a row whose target is
    /// <paramref name="ignoreIndex"/> has loss 0 (its target is never read).</remarks>
    public static void CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int n, int c, int ignoreIndex,
        ReadOnlySpan<double> weight, double smoothing, Span<T> probabilities, Span<T> losses)
        where T : struct, IFloatingPointIeee754<T>
    {
        T keep = T.CreateTruncating(1 - smoothing), spread = T.CreateTruncating(smoothing / c);
        for (int r = 0; r < n; r++)
        {
            var xr = logits.Slice(r * c, c);
            var pr = probabilities.Slice(r * c, c);
            T max = TensorPrimitives.Max(xr);
            if (T.IsInfinity(max)) max = T.Zero;
            TensorPrimitives.Subtract(xr, max, pr);
            Elementwise.Exp<T>(pr, pr);                           // p = exp(x - max)
            T sum = Reduce.Sum(pr);
            TensorPrimitives.Divide(pr, sum, pr);                   // p = softmax(x)
            int t = targets[r];
            if (t == ignoreIndex)
            {
                losses[r] = T.Zero;
                continue;
            }
            T logSum = T.Log(sum);
            T nll = (max - xr[t]) + logSum;                         // -log p[t] = logsumexp(x) - x[t], max taken off first
            if (weight.IsEmpty && smoothing == 0)
            {
                losses[r] = nll;
                continue;
            }
            T loss = weight.IsEmpty ? nll : T.CreateTruncating(weight[t]) * nll;
            if (smoothing != 0)
            {
                T smooth = T.Zero;                                  // Σ_c w[c]·(-log p[c])
                for (int k = 0; k < c; k++)
                {
                    T nllk = (max - xr[k]) + logSum;
                    smooth += weight.IsEmpty ? nllk : T.CreateTruncating(weight[k]) * nllk;
                }
                loss = keep * loss + spread * smooth;
            }
            losses[r] = loss;
        }
    }

    /// <summary><c>dx[n] = scale[n] · (p[n] - onehot(t[n]))</c>: softmax-with-loss sends back probabilities minus targets.</summary>
    /// <remarks>With class weights <c>w</c> (empty: all 1) and label smoothing <c>ε</c>, the target becomes the row
    /// <c>q = (1 - ε)·w[t]·onehot(t) + (ε/C)·w</c> and <c>dx[n] = scale[n] · (s·p[n] - q)</c> with <c>s = Σ q</c>;
    /// a row whose target is <paramref name="ignoreIndex"/> gets exact zeros, whatever its scale (even ∞ or NaN).</remarks>
    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> targets, int n, int c, int ignoreIndex,
        ReadOnlySpan<double> weight, double smoothing, ReadOnlySpan<T> scale, Span<T> dx)
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
        for (int r = 0; r < n; r++)
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

    /// <summary>The dense target rows of <see cref="CrossEntropyBackward{T}"/>: <c>q[n] = (1 - ε)·w[t]·onehot(t) + (ε/C)·w</c>
    /// and <c>s[n] = Σ q[n]</c>, both zero for a row whose target is <paramref name="ignoreIndex"/>. Only the second-order
    /// rules read them.</summary>
    public static void CrossEntropyTargets<T>(ReadOnlySpan<int> targets, int c, int ignoreIndex, ReadOnlySpan<double> weight, double smoothing,
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
            s[r] = Reduce.Sum<T>(qr);
        }
    }
}
