using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>The five vector operations the GEMM micro-kernel and packing use, so one generic micro-kernel serves every
/// vector width: <see cref="Gemm128{T}"/>, <see cref="Gemm256{T}"/>, <see cref="Gemm512{T}"/>. The JIT specialises each
/// instantiation and inlines these calls, so the generic code compiles to the same instructions as a hand-written kernel.</summary>
/// <remarks>T is float or double. <see cref="MultiplyAdd"/> is one fused multiply-add per lane (a single rounding), on
/// every width and in every tier of the JIT, so an element of C gets the same bits whichever width computed it.</remarks>
internal interface IGemmSimd<T, TVector> where T : struct where TVector : struct
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector at <c>source[offset ..]</c>; no alignment needed.</summary>
    static abstract TVector Load(ref T source, nuint offset);

    /// <summary>Writes <paramref name="value"/> to <c>destination[offset ..]</c>; no alignment needed.</summary>
    static abstract void Store(TVector value, ref T destination, nuint offset);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TVector Broadcast(T value);

    /// <summary><c>x + y</c> per lane.</summary>
    static abstract TVector Add(TVector x, TVector y);

    /// <summary><c>x · y + z</c> per lane, rounded once.</summary>
    static abstract TVector MultiplyAdd(TVector x, TVector y, TVector z);
}

/// <summary>128-bit vectors: the portable fallback (NEON on Arm64, SSE on x64 without AVX2/FMA, where the fused
/// multiply-add is emulated in software: correct, same bits, slow).</summary>
internal readonly struct Gemm128<T> : IGemmSimd<T, Vector128<T>> where T : struct
{
    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(ref T source, nuint offset) => Vector128.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Add(Vector128<T> x, Vector128<T> y) => x + y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> x, Vector128<T> y, Vector128<T> z) => typeof(T) == typeof(float)
        ? Vector128.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
        : Vector128.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
}

/// <summary>256-bit vectors: AVX2 + FMA (<c>vfmadd231ps/pd</c> on ymm registers).</summary>
internal readonly struct Gemm256<T> : IGemmSimd<T, Vector256<T>> where T : struct
{
    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(ref T source, nuint offset) => Vector256.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Add(Vector256<T> x, Vector256<T> y) => x + y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> x, Vector256<T> y, Vector256<T> z) => typeof(T) == typeof(float)
        ? Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
        : Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
}

/// <summary>512-bit vectors: AVX-512F (zmm registers). On a machine without AVX-512 the tests that run this width alone
/// are reported as ignored (the width-comparison test then compares only the widths it has).</summary>
internal readonly struct Gemm512<T> : IGemmSimd<T, Vector512<T>> where T : struct
{
    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(ref T source, nuint offset) => Vector512.LoadUnsafe(ref source, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, ref T destination, nuint offset) => value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Add(Vector512<T> x, Vector512<T> y) => x + y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> x, Vector512<T> y, Vector512<T> z) => typeof(T) == typeof(float)
        ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
        : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
}
