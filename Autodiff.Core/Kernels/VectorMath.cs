using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>Vectorized exp, log, log1p, tanh, sigmoid, erf, softplus, sin, cos, pow and the activations built on them,
/// for float and double, with results that depend only on the input value: not on the vector width (Vector512 where the
/// CPU has it, else Vector256), the JIT tier, the CPU's ISA extensions, the buffer's alignment, the element's position
/// or the thread count.</summary>
/// <remarks>
/// <para>Why not TensorPrimitives: its vectorized versions take ISA-dependent paths (FMA or not, other widths) and a
/// different code path for the edges, so precompiled and re-jitted code gave different last bits and a training run
/// changed after warm-up.</para>
/// <para>How: every formula uses only operations that IEEE 754 rounds exactly once per lane (add, subtract, multiply,
/// divide, square root, compare, select, bit operations, int-to-float of small integers) and no fused multiply-add, so
/// no instruction choice can change a bit; float-to-int conversion, whose out-of-range result differs between hardware
/// and software, is avoided (rounding uses the 1.5·2^(p-1) trick instead). Each formula is written once, generic over
/// the vector type (<see cref="ILanes{TV, T}"/>), so a lane computes the same operations in the same order at width 256
/// and 512; a branch taken per vector ("does any lane need the slow path?") only decides whether a lane-wise
/// alternative is computed, never which value a lane gets. The tail of a span goes through the same vector function in a
/// padded stack vector, never through a scalar formula. Where Vector256 is not hardware-accelerated, .NET emulates it
/// lane by lane with the same IEEE operations: slower, same bits.</para>
/// <para>Accuracy, measured against double precision (float) or <see cref="Math"/> (double) over a strided sweep of all
/// 2³² float bit patterns and the special values (Autodiff.Tests/Kernels/VectorMathTests.cs); each formula's summary
/// states its bound. Special values follow <see cref="MathF"/> and <see cref="Math"/>: exp(-∞) = 0, log(0) = -∞,
/// log(x &lt; 0) = NaN, tanh(±∞) = ±1, erf(±∞) = ±1, sin(±∞) = NaN, NaN in gives NaN out.</para>
/// <para>The destination may be an input itself, but must not otherwise overlap it.</para>
/// </remarks>
internal static partial class VectorMath
{
    /// <summary>One function of a vector of <typeparamref name="T"/>, applied lane by lane at any width.</summary>
    internal interface IVectorFunction<T> where T : struct
    {
        TV Invoke<TV, TL>(TV x)
            where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
                IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
            where TL : ILanes<TV, T>;
    }

    /// <summary>One function of two vectors of <typeparamref name="T"/>, applied lane by lane at any width.</summary>
    internal interface IVectorFunction2<T> where T : struct
    {
        TV Invoke<TV, TL>(TV a, TV b)
            where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
                IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
            where TL : ILanes<TV, T>;
    }

    /// <summary>A function for both float and double lanes: what <see cref="Map{TFunction}(ReadOnlySpan{float}, Span{float})"/> and the generic
    /// <see cref="Map{TFunction, T}"/> apply.</summary>
    internal interface IFunction : IVectorFunction<float>, IVectorFunction<double> { }

    /// <summary>A two-input function for both float and double lanes (<see cref="Map2{TFunction, T}"/>).</summary>
    internal interface IFunction2 : IVectorFunction2<float>, IVectorFunction2<double> { }

    /// <summary>True when the kernels run on Vector512 (the CPU has AVX-512); else they run on Vector256.</summary>
    internal static bool UsesVector512 => Vector512.IsHardwareAccelerated;

    // ---- drivers --------------------------------------------------------------------------------------------------

    /// <summary><c>destination[i] = f(x[i])</c> for float: whole vectors, then the tail padded into one more vector.</summary>
    public static void Map<TFunction>(ReadOnlySpan<float> x, Span<float> destination) where TFunction : struct, IVectorFunction<float>
    {
        if (Vector512.IsHardwareAccelerated) MapCore<TFunction, float, Simd512<float>, Lanes512<float>>(default, x, destination);
        else MapCore<TFunction, float, Simd256<float>, Lanes256<float>>(default, x, destination);
    }

    /// <summary><c>destination[i] = f(x[i])</c> for float or double.</summary>
    public static void Map<TFunction, T>(TFunction f, ReadOnlySpan<T> x, Span<T> destination) where TFunction : struct, IFunction where T : struct
    {
        if (typeof(T) == typeof(float)) Map(f, Cast<T, float>(x), Cast<T, float>(destination), Vector512.IsHardwareAccelerated);
        else if (typeof(T) == typeof(double)) Map(f, Cast<T, double>(x), Cast<T, double>(destination), Vector512.IsHardwareAccelerated);
        else throw new NotSupportedException($"VectorMath: {typeof(T).Name} lanes are not supported.");
    }

    /// <summary><c>destination[i] = f(a[i], b[i])</c> for float or double; the spans have one length.</summary>
    public static void Map2<TFunction, T>(TFunction f, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination) where TFunction : struct, IFunction2 where T : struct
    {
        if (typeof(T) == typeof(float)) Map2(f, Cast<T, float>(a), Cast<T, float>(b), Cast<T, float>(destination), Vector512.IsHardwareAccelerated);
        else if (typeof(T) == typeof(double)) Map2(f, Cast<T, double>(a), Cast<T, double>(b), Cast<T, double>(destination), Vector512.IsHardwareAccelerated);
        else throw new NotSupportedException($"VectorMath: {typeof(T).Name} lanes are not supported.");
    }

    /// <summary><see cref="Map{TFunction, T}"/> at a chosen width (tests compare the two; <paramref name="wide"/> needs
    /// AVX-512 to be fast, and is emulated lane by lane otherwise).</summary>
    internal static void Map<TFunction>(TFunction f, ReadOnlySpan<float> x, Span<float> destination, bool wide) where TFunction : struct, IVectorFunction<float>
    {
        if (wide) MapCore<TFunction, float, Simd512<float>, Lanes512<float>>(f, x, destination);
        else MapCore<TFunction, float, Simd256<float>, Lanes256<float>>(f, x, destination);
    }

    /// <inheritdoc cref="Map{TFunction}(TFunction, ReadOnlySpan{float}, Span{float}, bool)"/>
    internal static void Map<TFunction>(TFunction f, ReadOnlySpan<double> x, Span<double> destination, bool wide) where TFunction : struct, IVectorFunction<double>
    {
        if (wide) MapCore<TFunction, double, Simd512<double>, Lanes512<double>>(f, x, destination);
        else MapCore<TFunction, double, Simd256<double>, Lanes256<double>>(f, x, destination);
    }

    /// <summary><see cref="Map2{TFunction, T}"/> at a chosen width.</summary>
    internal static void Map2<TFunction>(TFunction f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination, bool wide) where TFunction : struct, IVectorFunction2<float>
    {
        if (wide) Map2Core<TFunction, float, Simd512<float>, Lanes512<float>>(f, a, b, destination);
        else Map2Core<TFunction, float, Simd256<float>, Lanes256<float>>(f, a, b, destination);
    }

    /// <inheritdoc cref="Map2{TFunction}(TFunction, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
    internal static void Map2<TFunction>(TFunction f, ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> destination, bool wide) where TFunction : struct, IVectorFunction2<double>
    {
        if (wide) Map2Core<TFunction, double, Simd512<double>, Lanes512<double>>(f, a, b, destination);
        else Map2Core<TFunction, double, Simd256<double>, Lanes256<double>>(f, a, b, destination);
    }

    private static void MapCore<TFunction, T, TV, TL>(TFunction f, ReadOnlySpan<T> x, Span<T> destination)
        where TFunction : struct, IVectorFunction<T> where T : unmanaged
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, T>
    {
        int width = TL.Count, n = x.Length, i = 0;
        ref T xRef = ref MemoryMarshal.GetReference(x);
        ref T dRef = ref MemoryMarshal.GetReference(destination);
        for (; i <= n - width; i += width)
            TL.Store(f.Invoke<TV, TL>(TL.Load(ref xRef, (nuint)i)), ref dRef, (nuint)i);
        if (i == n) return;
        Span<T> tail = stackalloc T[width];
        tail.Clear();
        x[i..].CopyTo(tail);
        ref T tRef = ref MemoryMarshal.GetReference(tail);
        TL.Store(f.Invoke<TV, TL>(TL.Load(ref tRef, 0)), ref tRef, 0);
        tail[..(n - i)].CopyTo(destination[i..]);
    }

    private static void Map2Core<TFunction, T, TV, TL>(TFunction f, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination)
        where TFunction : struct, IVectorFunction2<T> where T : unmanaged
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, T>
    {
        int width = TL.Count, n = a.Length, i = 0;
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T dRef = ref MemoryMarshal.GetReference(destination);
        for (; i <= n - width; i += width)
            TL.Store(f.Invoke<TV, TL>(TL.Load(ref aRef, (nuint)i), TL.Load(ref bRef, (nuint)i)), ref dRef, (nuint)i);
        if (i == n) return;
        Span<T> tail = stackalloc T[2 * width];
        tail.Clear();
        a[i..].CopyTo(tail);
        b[i..].CopyTo(tail[width..]);
        ref T tRef = ref MemoryMarshal.GetReference(tail);
        TL.Store(f.Invoke<TV, TL>(TL.Load(ref tRef, 0), TL.Load(ref tRef, (nuint)width)), ref tRef, 0);
        tail[..(n - i)].CopyTo(destination[i..]);
    }

    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> x) where TFrom : struct where TTo : struct => MemoryMarshal.Cast<TFrom, TTo>(x);
    private static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> x) where TFrom : struct where TTo : struct => MemoryMarshal.Cast<TFrom, TTo>(x);

    // ---- single vectors, for kernels that fuse these functions into their own loops (Softmax, LayerNorm, ...) ---------

    /// <summary><c>eˣ</c> lane by lane; see <see cref="ExpSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => ExpSingle<Simd256<float>, Lanes256<float>>(new(x)).Value;

    /// <inheritdoc cref="Exp(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x) => ExpSingle<Simd512<float>, Lanes512<float>>(new(x)).Value;

    /// <summary><c>eˣ</c> lane by lane; see <see cref="ExpDouble{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x) => ExpDouble<Simd256<double>, Lanes256<double>>(new(x)).Value;

    /// <inheritdoc cref="Exp(Vector256{double})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x) => ExpDouble<Simd512<double>, Lanes512<double>>(new(x)).Value;

    /// <summary><c>ln x</c> lane by lane; see <see cref="LogSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x) => LogSingle<Simd256<float>, Lanes256<float>>(new(x)).Value;

    /// <inheritdoc cref="Log(Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x) => LogSingle<Simd512<float>, Lanes512<float>>(new(x)).Value;

    /// <summary><c>tanh x</c> lane by lane; see <see cref="TanhSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x) => TanhSingle<Simd256<float>, Lanes256<float>>(new(x)).Value;

    /// <summary><c>σ(x)</c> lane by lane; see <see cref="SigmoidSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => SigmoidSingle<Simd256<float>, Lanes256<float>>(new(x)).Value;

    /// <summary><c>sin x</c>, or <c>cos x</c> when <paramref name="cosine"/>, lane by lane; see <see cref="SinCosSingle{TV, TL}"/>.</summary>
    public static Vector256<float> SinCos(Vector256<float> x, bool cosine) => SinCosSingle<Simd256<float>, Lanes256<float>>(new(x), cosine).Value;
}
