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
    public static void CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, int n, int c, Span<T> probabilities, Span<T> losses)
        where T : struct, IFloatingPointIeee754<T>
    {
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
            losses[r] = (max - xr[targets[r]]) + T.Log(sum);        // -log p[t] = logsumexp(x) - x[t], max taken off first
        }
    }

    /// <summary><c>dx[n] = scale[n] · (p[n] - onehot(t[n]))</c>: softmax-with-loss sends back probabilities minus targets.</summary>
    public static void CrossEntropyBackward<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<int> targets, int n, int c, ReadOnlySpan<T> scale, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < n; r++)
        {
            var dr = dx.Slice(r * c, c);
            TensorPrimitives.Multiply(probabilities.Slice(r * c, c), scale[r], dr);
            dr[targets[r]] -= scale[r];
        }
    }
}
