using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>The local derivatives of the element-wise ops, each accumulating <c>dx += dy · ∂y/∂x</c> into its destination.</summary>
/// <remarks>Each method's summary is the formula its loop computes; the op file that calls it repeats the formula.</remarks>
internal static class ElementwiseBackward
{
    /// <summary><c>dx += dy if x &gt; 0 else 0</c>.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<T>.Count <= x.Length; i += Vector<T>.Count)
            {
                var positive = Vector.GreaterThan(new Vector<T>(x.Slice(i)), Vector<T>.Zero);
                var sum = new Vector<T>(dx.Slice(i)) + new Vector<T>(dy.Slice(i));
                Vector.ConditionalSelect(positive, sum, new Vector<T>(dx.Slice(i))).CopyTo(dx.Slice(i));   // same as the loop below
            }
        for (; i < x.Length; i++) if (x[i] > T.Zero) dx[i] += dy[i];
    }

    /// <summary><c>dx += dy if x &gt; 0 else slope · dy</c>.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, T slope, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += x[i] > T.Zero ? dy[i] : slope * dy[i];
    }

    /// <summary><c>dx += dy · (1 - y²)</c> for <c>y = tanh x</c>.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) dx[i] += dy[i] * (T.One - y[i] * y[i]);
    }

    /// <summary><c>dx += dy · y · (1 - y)</c> for <c>y = σ(x)</c>.</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < y.Length; i++) dx[i] += dy[i] * y[i] * (T.One - y[i]);
    }

    /// <summary><c>dx += dy / (2y)</c> for <c>y = √x</c> (infinite at x = 0, as PyTorch).</summary>
    public static void Sqrt<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        T two = T.One + T.One;
        for (int i = 0; i < y.Length; i++) dx[i] += dy[i] / (two * y[i]);
    }

    /// <summary><c>dx += dy · sign(x)</c> with <c>sign(0) = 0</c> (as PyTorch).</summary>
    public static void Abs<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += x[i] > T.Zero ? dy[i] : x[i] < T.Zero ? -dy[i] : T.Zero;
    }

    /// <summary><c>dx += dy · p · x^(p-1)</c>; zero where p = 0 (as PyTorch).</summary>
    public static void Pow<T>(ReadOnlySpan<T> x, T p, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        if (p == T.Zero) return;
        for (int i = 0; i < x.Length; i++) dx[i] += dy[i] * p * T.Pow(x[i], p - T.One);
    }

    /// <summary><c>dx += dy / (1 + x)</c> for <c>y = log(1 + x)</c>.</summary>
    public static void Log1p<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += dy[i] / (T.One + x[i]);
    }

    /// <summary><c>dx += dy if min ≤ x ≤ max else 0</c> (the bounds pass the gradient, as PyTorch).</summary>
    public static void Clamp<T>(ReadOnlySpan<T> x, T min, T max, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) if (x[i] >= min && x[i] <= max) dx[i] += dy[i];
    }

    /// <summary><c>dx += dy · σ(βx)</c>, and <c>dy</c> where <c>βx &gt; threshold</c>.</summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, T beta, T threshold, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T bx = beta * x[i];
            dx[i] += bx > threshold ? dy[i] : dy[i] / (T.One + T.Exp(-bx));
        }
    }

    /// <summary><c>dx += dy · (2/√π) e^(-x²)</c>, the derivative of erf.</summary>
    public static void Erf<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            dx[i] += dy[i] * T.CreateTruncating(2 / Math.Sqrt(Math.PI) * Math.Exp(-v * v));
        }
    }

    /// <summary><c>dx += dy · (Φ(x) + x·φ(x))</c>, or the derivative of the tanh approximation when <paramref name="tanh"/>.</summary>
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
            dx[i] += dy[i] * T.CreateTruncating(d);
        }
    }

    /// <summary>For <c>y = max(a, b)</c> (or min): <c>da += dy</c> where a wins, <c>dy/2</c> on a tie (as PyTorch).</summary>
    /// <param name="a">The input whose gradient is accumulated.</param>
    /// <param name="b">The other input.</param>
    /// <param name="max">True for maximum, false for minimum.</param>
    /// <param name="dy">The incoming gradient.</param>
    /// <param name="da">Where the gradient of <paramref name="a"/> accumulates.</param>
    public static void MaximumOrMinimum<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool max, ReadOnlySpan<T> dy, Span<T> da) where T : struct, IFloatingPointIeee754<T>
    {
        T half = T.One / (T.One + T.One);
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == b[i]) da[i] += dy[i] * half;
            else if (max ? a[i] > b[i] : a[i] < b[i]) da[i] += dy[i];
        }
    }

    /// <summary><c>dx += dy</c> where <c>condition != 0</c> (or where it is 0, when <paramref name="whereTrue"/> is false).</summary>
    public static void Where<T>(ReadOnlySpan<T> condition, bool whereTrue, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < dy.Length; i++) if ((condition[i] != T.Zero) == whereTrue) dx[i] += dy[i];
    }
}
