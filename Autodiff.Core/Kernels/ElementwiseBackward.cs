using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>The fused backward kernels of the element-wise ops, each writing <c>dx = dy · ∂y/∂x</c> into its destination
/// (every element written, so the destination may be uninitialized).</summary>
/// <remarks>Each method's summary is the formula its loop computes; the op file whose named backward op calls it
/// (<c>ReluBackward</c>, <c>TanhBackward</c>, ...) repeats the formula.</remarks>
internal static class ElementwiseBackward
{
    /// <summary><c>dx = dy if x &gt; 0 else 0</c>.</summary>
    public static void Relu<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.ReluBackwardFunction(), x, dy, dx);

    /// <summary><c>dx = dy if x &gt; 0 else slope · dy</c>.</summary>
    public static void LeakyRelu<T>(ReadOnlySpan<T> x, T slope, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.LeakyReluBackwardFunction(double.CreateTruncating(slope)), x, dy, dx);

    /// <summary><c>dx = dy · (1 - y²)</c> for <c>y = tanh x</c>.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.TanhBackwardFunction(), y, dy, dx);

    /// <summary><c>dx = dy · y · (1 - y)</c> for <c>y = σ(x)</c>.</summary>
    public static void Sigmoid<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.SigmoidBackwardFunction(), y, dy, dx);

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

    /// <summary><c>dx = dy if βx &gt; threshold else dy · σ(βx)</c>.</summary>
    public static void Softplus<T>(ReadOnlySpan<T> x, T beta, T threshold, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.SoftplusBackwardFunction(double.CreateTruncating(beta), double.CreateTruncating(threshold)), x, dy, dx);

    /// <summary><c>dx = dy · (Φ(x) + x·φ(x))</c>, or the derivative of the tanh approximation when <paramref name="tanh"/>.</summary>
    public static void Gelu<T>(ReadOnlySpan<T> x, bool tanh, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.GeluBackwardFunction(tanh), x, dy, dx);

    /// <summary><c>dx = dy · (2/√π) · e^(-x²)</c>.</summary>
    public static void Erf<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.ErfBackwardFunction(), x, dy, dx);

    /// <summary><c>dx = (dy · x^(p-1)) · p</c>: one pass when <c>p - 1</c> is an exponent Pow computes with multiplies
    /// (p = 2 gives <c>(dy · x) · 2</c>), else <c>x^(p-1)</c> first and one multiply pass.</summary>
    public static void Pow<T>(ReadOnlySpan<T> x, T exponent, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        double p = double.CreateTruncating(exponent);
        if (VectorMath.IsKnownExponent(p - 1)) { VectorMath.Map2(new VectorMath.PowBackwardFunction(p), x, dy, dx); return; }
        Elementwise.Pow(x, exponent - T.One, dx);                                       // dx = x^(p-1)
        Elementwise.Multiply(dy, dx, dx);                                                // dx = dy · x^(p-1)
        Elementwise.Multiply(dx, exponent, dx);                                          // dx = (dy · x^(p-1)) · p
    }

    /// <summary><c>dx = dy · cos x</c> for <c>y = sin x</c>.</summary>
    public static void Sin<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.SinBackwardFunction(), x, dy, dx);

    /// <summary><c>dx = -(dy · sin x)</c> for <c>y = cos x</c>.</summary>
    public static void Cos<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.CosBackwardFunction(), x, dy, dx);

    /// <summary><c>dx = dy / (1 + x)</c> for <c>y = log1p x</c>.</summary>
    public static void Log1p<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.Log1pBackwardFunction(), x, dy, dx);

    /// <summary><c>dx = dy / (2y)</c> for <c>y = √x</c>.</summary>
    public static void Sqrt<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.SqrtBackwardFunction(), y, dy, dx);

    /// <summary><c>dx = -½ · (dy · y³)</c> for <c>y = 1/√x</c>.</summary>
    public static void Rsqrt<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.RsqrtBackwardFunction(), y, dy, dx);

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
