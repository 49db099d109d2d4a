using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>The fused backward kernels of the element-wise ops, each writing <c>dx = dy · ∂y/∂x</c> into its destination
/// (every element written, so the destination may be uninitialized).</summary>
/// <remarks>Each method's summary is the formula its loop computes; the op file whose named backward op calls it
/// (<c>ReluBackward</c>, <c>TanhBackward</c>, ...) repeats the formula.</remarks>
internal static class ElementwiseBackward
{
    /// <summary><c>dx = dy if x &gt; 0 else 0</c>.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<T>.Count <= x.Length; i += Vector<T>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<T>(x.Slice(i)), Vector<T>.Zero);
                Vector.ConditionalSelect(positive, new Vector<T>(dy.Slice(i)), Vector<T>.Zero).CopyTo(dx.Slice(i));   // same as the loop below
            }
        for (; i < x.Length; i++) dx[i] = x[i] > T.Zero ? dy[i] : T.Zero;
    }

    /// <summary><c>dx = dy if x &gt; 0 else slope · dy</c>.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, T slope, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > T.Zero ? dy[i] : slope * dy[i];
    }

    /// <summary><c>dx = dy · (1 - y²)</c> for <c>y = tanh x</c>.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * (T.One - y[i] * y[i]);
    }

    /// <summary><c>dx = dy · y · (1 - y)</c> for <c>y = σ(x)</c>.</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) dx[i] = dy[i] * y[i] * (T.One - y[i]);
    }

    /// <summary><c>dx = dy · sign(x)</c> with <c>sign(0) = 0</c> (as PyTorch).</summary>
    public static void Abs<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] > T.Zero ? dy[i] : x[i] < T.Zero ? -dy[i] : T.Zero;
    }

    /// <summary><c>dx = dy if min ≤ x ≤ max else 0</c> (the bounds pass the gradient, as PyTorch; NaN gets 0).</summary>
    public static void Clamp<T>(ReadOnlySpan<T> x, T min, T max, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] = x[i] >= min && x[i] <= max ? dy[i] : T.Zero;
    }

    /// <summary><c>linear = 1 where βx &gt; threshold else 0</c>: where softplus is x itself, so its derivative is 1.</summary>
    public static void SoftplusIsLinear<T>(ReadOnlySpan<T> x, T beta, T threshold, Span<T> linear) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) linear[i] = beta * x[i] > threshold ? T.One : T.Zero;
    }

    /// <summary><c>dx = dy · (Φ(x) + x·φ(x))</c>, or the derivative of the tanh approximation when <paramref name="tanh"/>.</summary>
    public static void Gelu<T>(ReadOnlySpan<T> x, bool tanh, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            double d;
            if (tanh)
            {
                double t = Math.Tanh(SpecialFunctions.GeluTanhInner(v));
                d = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * SpecialFunctions.GeluTanhInnerDerivative(v);
            }
            else
            {
                d = SpecialFunctions.NormalCdf(v) + v * SpecialFunctions.NormalPdf(v);
            }
            dx[i] = dy[i] * T.CreateTruncating(d);
        }
    }

    /// <summary>For <c>y = max(a, b)</c> (or min): <c>da = dy</c> where a wins, <c>dy/2</c> on a tie, 0 where it loses
    /// or either is NaN (as PyTorch).</summary>
    /// <param name="a">The input whose gradient is computed.</param>
    /// <param name="b">The other input.</param>
    /// <param name="max">True for maximum, false for minimum.</param>
    /// <param name="dy">The incoming gradient.</param>
    /// <param name="da">The gradient of <paramref name="a"/>.</param>
    public static void MaximumOrMinimum<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool max, ReadOnlySpan<T> dy, Span<T> da) where T : struct, IFloatingPointIeee754<T>
    {
        T half = T.One / (T.One + T.One);
        for (int i = 0; i < a.Length; i++)
            da[i] = a[i] == b[i] ? dy[i] * half : (max ? a[i] > b[i] : a[i] < b[i]) ? dy[i] : T.Zero;
    }
}
