using System.Numerics;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>Sine and cosine over spans: inputs first, destination last.</summary>
/// <remarks>Float32 goes through <see cref="VectorMath"/> (vectorized, every result a function of its input alone), not
/// TensorPrimitives: its vector sin branches per vector (a fast path when every lane is small, a scalar path for short
/// spans and large values) and aligns its loop to the buffer's address, so the same tensor gave different last bits when
/// it lay elsewhere in memory (measured: 23 of 4000 float64 values, 6 of 4000 large float32 values). Float64, used for
/// gradient checks, stays a scalar loop over <see cref="Math"/>, as Exp and Log do.</remarks>
internal static class Trigonometry
{
    /// <summary><c>destination[i] = sin(x[i])</c>.</summary>
    public static void Sin<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) VectorMath.Map<VectorMath.SinFunction>(AsFloat(x), AsFloat(destination));
        else for (int i = 0; i < x.Length; i++) destination[i] = T.Sin(x[i]);
    }

    /// <summary><c>destination[i] = cos(x[i])</c>.</summary>
    public static void Cos<T>(ReadOnlySpan<T> x, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) VectorMath.Map<VectorMath.CosFunction>(AsFloat(x), AsFloat(destination));
        else for (int i = 0; i < x.Length; i++) destination[i] = T.Cos(x[i]);
    }

    private static ReadOnlySpan<float> AsFloat<T>(ReadOnlySpan<T> x) where T : struct => MemoryMarshal.Cast<T, float>(x);
    private static Span<float> AsFloat<T>(Span<T> x) where T : struct => MemoryMarshal.Cast<T, float>(x);
}
