using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>The smooth gated activations SiLU and Mish and their fused derivatives, over spans (inputs first,
/// destination last; every destination element is written), vectorized through <see cref="VectorMath"/>.</summary>
internal static class Activations
{
    /// <summary><c>destination[i] = x[i] · σ(x[i])</c>.</summary>
    public static void Silu<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.SiluFunction(), x, destination);

    /// <summary><c>dx = dy · σ(x) · (1 + x·(1 - σ(x)))</c>, the derivative of <c>x·σ(x)</c>, in one pass.</summary>
    public static void SiluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.SiluBackwardFunction(), x, dy, dx);

    /// <summary><c>destination[i] = x · tanh(softplus(x))</c> with <c>softplus(x) = log(1 + eˣ)</c>.</summary>
    public static void Mish<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map(new VectorMath.MishFunction(), x, destination);

    /// <summary><c>dx = dy · (t + x·σ(x)·(1 - t²))</c> with <c>t = tanh(softplus(x))</c>, the derivative of Mish, in one pass.</summary>
    public static void MishBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T> =>
        VectorMath.Map2(new VectorMath.MishBackwardFunction(), x, dy, dx);
}
