using System.Numerics;
using System.Numerics.Tensors;

namespace Autodiff.Kernels;

/// <summary>The smooth gated activations SiLU and Mish and their fused derivatives, over spans (inputs first,
/// destination last; every destination element is written).</summary>
internal static class Activations
{
    /// <summary><c>destination[i] = x[i] · σ(x[i])</c>.</summary>
    /// <remarks>σ through <see cref="Elementwise.Sigmoid{T}"/> (bit-reproducible in float32), then one exact multiply.</remarks>
    public static void Silu<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        Elementwise.Sigmoid(x, destination);                                   // y = σ(x)
        TensorPrimitives.Multiply(x, destination, destination);                // y = x·σ(x)
    }

    /// <summary><c>dx = dy · σ(x) · (1 + x·(1 - σ(x)))</c>, the derivative of <c>x·σ(x)</c>.</summary>
    /// <remarks>The vector body and the scalar tail do the same operations in the same order (never fused), so an
    /// element's bits do not depend on where it lies in the buffer.</remarks>
    public static void SiluBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        Elementwise.Sigmoid(x, dx);                                            // dx = s = σ(x), then overwritten in place
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<T>.Count <= x.Length; i += Vector<T>.Count)
            {
                var s = new Vector<T>(dx.Slice(i));
                var v = new Vector<T>(x.Slice(i));
                (new Vector<T>(dy.Slice(i)) * s * (Vector<T>.One + v * (Vector<T>.One - s))).CopyTo(dx.Slice(i));
            }
        for (; i < x.Length; i++)
        {
            T s = dx[i];
            dx[i] = dy[i] * s * (T.One + x[i] * (T.One - s));
        }
    }

    /// <summary><c>destination[i] = x · tanh(softplus(x))</c> with <c>softplus(x) = log(1 + eˣ)</c>, computed in double.</summary>
    public static void Mish<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            destination[i] = T.CreateTruncating(v * Math.Tanh(Softplus(v)));
        }
    }

    /// <summary><c>dx = dy · (t + x·σ(x)·(1 - t²))</c> with <c>t = tanh(softplus(x))</c>, the derivative of Mish, computed in double.</summary>
    public static void MishBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            double t = Math.Tanh(Softplus(v));
            double s = 1.0 / (1.0 + Math.Exp(-v));
            dx[i] = dy[i] * T.CreateTruncating(t + v * s * (1.0 - t * t));
        }
    }

    /// <summary><c>log(1 + eᵛ)</c> without overflow: <c>max(v, 0) + log(1 + e^-|v|)</c>.</summary>
    private static double Softplus(double v) => Math.Max(v, 0.0) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(v)));
}
