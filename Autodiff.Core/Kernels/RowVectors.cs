using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>A lane-wise function of up to two vectors: the body of one <see cref="RowVectors"/> loop (a row's sum, dot,
/// exp-sum or element-wise map), as TensorPrimitives' operator structs. Fields carry the row's scalars (its max, mean, ...).</summary>
internal interface IRowMap<T> where T : struct
{
    /// <summary>True when <see cref="Invoke"/> reads its second argument (a second row); false for a function of one row.</summary>
    static abstract bool Binary { get; }

    /// <summary>The function, lane by lane.</summary>
    Vector256<T> Invoke(Vector256<T> a, Vector256<T> b);
}

/// <summary>The <see cref="Vector256{T}"/> loops of the row kernels (softmax, normalization, losses): a row's sum of f,
/// its max, and element-wise maps, for float and double alike, in an order fixed by the row's length alone.</summary>
/// <remarks>
/// <para>Determinism: a reduction keeps four vector accumulators that take the row's vectors in turn from element 0 (never
/// from the first aligned address), puts the last partial vector in the fourth, then adds <c>(a0 + a1) + (a2 + a3)</c> and
/// the lanes in a fixed tree. So the bits of a result depend on the values and the length of the row only: not on the
/// buffer's address, the thread, or the CPU's vector width (always 256 bits; .NET emulates it where the hardware lacks it,
/// with the same IEEE operations). A row's last partial vector is its last whole vector, overlapping the one before (the
/// lanes already done are masked out of a sum, or get the same bits again in a map), and a row shorter than a vector goes
/// element by element through the same vector function, so an element's map does not depend on its position either. No
/// fused multiply-add is used anywhere.</para>
/// <para>Exp is <see cref="Exp{T}"/>: VectorMath's exp for float and double (Kernels/VectorMath.cs).</para>
/// <para>The loops here and the row kernels built on them are <see cref="MethodImplOptions.AggressiveOptimization"/>, as the
/// GEMM micro-kernel: measured, tiered compilation left them at two to nine times their fully optimized time in some
/// processes and not others (rows of 32: 17 µs or up to 175 µs for the same call), while full optimization from the
/// first call gave the fast code every time.</para>
/// </remarks>
internal static class RowVectors
{
    /// <summary><c>eˣ</c> lane by lane: VectorMath's deterministic float or double exp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp<T>(Vector256<T> x) where T : struct =>
        typeof(T) == typeof(float) ? VectorMath.Exp(x.AsSingle()).As<float, T>() : VectorMath.Exp(x.AsDouble()).As<double, T>();

    /// <summary>The vector at element <paramref name="i"/> of <paramref name="x"/> (which holds a whole vector there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load<T>(ReadOnlySpan<T> x, int i) where T : struct =>
        Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(x), (nuint)i);

    /// <summary>Stores <paramref name="v"/> at element <paramref name="i"/> of <paramref name="x"/> (which has room for it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(Vector256<T> v, Span<T> x, int i) where T : struct =>
        v.StoreUnsafe(ref MemoryMarshal.GetReference(x), (nuint)i);

    /// <summary>The sum of the lanes, in a fixed order: the halves added, then <c>(l0 + l2) + (l1 + l3)</c> (float) or
    /// <c>l0 + l1</c> (double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T HorizontalSum<T>(Vector256<T> v) where T : struct, IFloatingPointIeee754<T>
    {
        var h = v.GetLower() + v.GetUpper();
        return Vector128<T>.Count == 4
            ? (h.GetElement(0) + h.GetElement(2)) + (h.GetElement(1) + h.GetElement(3))
            : h.GetElement(0) + h.GetElement(1);
    }

    /// <summary>Σ f(a[i], b[i]) over the row, in the fixed order of the class remarks; 0 for an empty row.</summary>
    /// <remarks>One call site of f, so the JIT inlines it (an exp) once: four copies overran its inlining budget and left
    /// calls. Vector k is added into the accumulators in turn (they rotate); the last, partial vector is the row's last whole
    /// vector (it overlaps the one before), its lanes already counted set to 0; a row shorter than a vector is summed
    /// element by element, in order.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T Sum<T, TMap>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, TMap f) where T : struct, IFloatingPointIeee754<T>
        where TMap : struct, IRowMap<T>
    {
        int w = Vector256<T>.Count, n = a.Length, last = n - w;
        if (n < w) return ShortSum(a, b, f);
        var (s0, s1, s2, s3) = (Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero);
        for (int i = 0; ; i += w)
        {
            int at = Math.Min(i, last);
            var v = f.Invoke(Load(a, at), TMap.Binary ? Load(b, at) : default);
            if (at < i) v = Vector256.ConditionalSelect(LastLanes<T>(n - i), v, Vector256<T>.Zero);   // lanes already summed: dropped
            (s0, s1, s2, s3) = (s1, s2, s3, s0 + v);
            if (at == last) break;
        }
        return HorizontalSum((s0 + s1) + (s2 + s3));
    }

    /// <summary>Σ f over a row shorter than a vector, element by element in order (each through lane 0 of the vector function).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T ShortSum<T, TMap>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, TMap f) where T : struct, IFloatingPointIeee754<T>
        where TMap : struct, IRowMap<T>
    {
        T total = T.Zero;
        for (int i = 0; i < a.Length; i++)
            total += f.Invoke(Vector256.CreateScalar(a[i]), TMap.Binary ? Vector256.CreateScalar(b[i]) : default).ToScalar();
        return total;
    }

    /// <summary>The mask of the last <paramref name="count"/> lanes (the new elements of an overlapping last vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> LastLanes<T>(int count) where T : struct, INumberBase<T> =>
        Vector256.GreaterThanOrEqual(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(Vector256<T>.Count - count)));

    /// <summary>The largest element of a non-empty row, for the shift of a softmax.</summary>
    /// <remarks>Lanes take <see cref="Vector256.MaxNative{T}"/> (one instruction, against several for IEEE's maximum): with a
    /// NaN in the row it may return NaN or a number, but either way the NaN reaches the row's sum of exponentials and makes
    /// the row NaN, so no result depends on it.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T Max<T>(ReadOnlySpan<T> x) where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count, n = x.Length, i = 0;
        T max = T.NegativeInfinity;
        if (n < w)
        {
            foreach (T v in x) max = T.Max(max, v);
            return max;
        }
        var m = Load(x, 0);
        for (i = w; i + w <= n; i += w) m = Vector256.MaxNative(m, Load(x, i));
        if (i < n) m = Vector256.MaxNative(m, Load(x, n - w));          // overlaps: max is idempotent
        var h = Vector128.Max(m.GetLower(), m.GetUpper());
        for (int k = 0; k < Vector128<T>.Count; k++) max = T.Max(max, h.GetElement(k));
        return max;
    }

    /// <summary><c>destination[i] = f(a[i], b[i])</c> over the row, with one call site of f (see <see cref="Sum{T, TMap}"/>).
    /// A row's last, partial vector is its last whole vector: computed first, stored last, so the destination may be one of
    /// the inputs and the lanes it shares with the vector before get the same bits again. A row shorter than a vector goes
    /// element by element through the same vector function (in lane 0 of a register). So every element gets the bits a
    /// whole vector gives it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Map<T, TMap>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, TMap f) where T : struct
        where TMap : struct, IRowMap<T>
    {
        int w = Vector256<T>.Count, n = a.Length, last = n - w;
        if (n < w)
        {
            ShortMap(a, b, destination, f);
            return;
        }
        var tail = Vector256<T>.Zero;
        for (int i = -w; i < last; i += w)                                          // i = -w: the last vector, first
        {
            int at = i < 0 ? last : i;
            var v = f.Invoke(Load(a, at), TMap.Binary ? Load(b, at) : default);
            if (i < 0) tail = v;
            else Store(v, destination, at);
        }
        Store(tail, destination, last);
    }

    /// <summary><see cref="Map{T, TMap}"/> of a row shorter than a vector, element by element.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ShortMap<T, TMap>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, TMap f) where T : struct
        where TMap : struct, IRowMap<T>
    {
        for (int i = 0; i < a.Length; i++)
            destination[i] = f.Invoke(Vector256.CreateScalar(a[i]), TMap.Binary ? Vector256.CreateScalar(b[i]) : default).ToScalar();
    }

    /// <summary><c>destination[i] = f(a[i], b[i])</c> as <see cref="Map{T, TMap}"/>, returning the sum of what it stored (in
    /// an order fixed by the row's length, as <see cref="Sum{T, TMap}"/>'s): one pass instead of a map and a sum.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static T MapSum<T, TMap>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, TMap f) where T : struct, IFloatingPointIeee754<T>
        where TMap : struct, IRowMap<T>
    {
        int w = Vector256<T>.Count, n = a.Length, last = n - w;
        if (n < w)
        {
            ShortMap(a, b, destination, f);
            T total = T.Zero;
            foreach (T v in destination[..n]) total += v;
            return total;
        }
        var tail = Vector256<T>.Zero;
        var (s0, s1, s2, s3) = (Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero);
        for (int i = -w; i < last; i += w)                                          // i = -w: the last vector, first
        {
            int at = i < 0 ? last : i;
            var v = f.Invoke(Load(a, at), TMap.Binary ? Load(b, at) : default);
            if (i < 0)
            {
                tail = v;
                if (n % w != 0) v = Vector256.ConditionalSelect(LastLanes<T>(n % w), v, Vector256<T>.Zero);   // its new lanes only
            }
            else Store(v, destination, at);
            (s0, s1, s2, s3) = (s1, s2, s3, s0 + v);
        }
        Store(tail, destination, last);
        return HorizontalSum((s0 + s1) + (s2 + s3));
    }

    /// <summary><c>f(a) = a</c>: for a plain sum.</summary>
    public readonly struct Identity<T> : IRowMap<T> where T : struct
    {
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a;
    }

    /// <summary><c>f(a, b) = a·b</c>: for a dot product.</summary>
    public readonly struct Product<T> : IRowMap<T> where T : struct
    {
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * b;
    }

    /// <summary><c>f(a) = (a - shift)²</c>: for a variance about a known mean.</summary>
    public readonly struct SquaredDeviation<T>(T shift) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _shift = Vector256.Create(shift);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => (a - _shift) * (a - _shift);
    }

    /// <summary><c>f(a) = exp(a - shift)</c>: for the sum of a softmax row.</summary>
    public readonly struct ExpShifted<T>(T shift) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _shift = Vector256.Create(shift);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Exp(a - _shift);
    }

    /// <summary><c>f(a) = exp(a)</c>.</summary>
    public readonly struct ExpOf<T> : IRowMap<T> where T : struct
    {
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => Exp(a);
    }

    /// <summary><c>f(a) = a / divisor</c>: a softmax row normalized by its sum.</summary>
    public readonly struct DivideBy<T>(T divisor) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _divisor = Vector256.Create(divisor);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a / _divisor;
    }

    /// <summary>The sum of a row.</summary>
    public static T Sum<T>(ReadOnlySpan<T> x) where T : struct, IFloatingPointIeee754<T> => Sum(x, x, default(Identity<T>));

    /// <summary><c>Σ a[i]·b[i]</c>.</summary>
    public static T Dot<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : struct, IFloatingPointIeee754<T> => Sum(a, b, default(Product<T>));
}
