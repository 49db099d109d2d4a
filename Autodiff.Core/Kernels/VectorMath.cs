using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>Float32 exp, log, tanh, sigmoid, sin and cos over spans in <see cref="Vector256{T}"/>, with results that depend only
/// on the input value: not on the JIT tier, the CPU's ISA extensions, the buffer's alignment or the element's position.</summary>
/// <remarks>
/// <para>Why not TensorPrimitives: its vectorized versions take ISA-dependent paths (FMA or not, other widths) and a
/// different code path for the edges, so precompiled and re-jitted code gave different last bits and a training run
/// changed after warm-up.</para>
/// <para>How: every formula uses only operations that IEEE 754 rounds exactly once per lane (add, subtract, multiply,
/// divide, compare, select, bit operations, int-to-float of small integers) and no fused multiply-add, so no
/// instruction choice can change a bit; float-to-int conversion, whose out-of-range result differs between hardware and
/// software, is avoided (rounding uses the 1.5·2²³ trick instead). The tail of a span goes through the same vector
/// function in a padded stack vector, never through a scalar formula. Where Vector256 is not hardware-accelerated, .NET
/// emulates it lane by lane with the same IEEE operations: slower, same bits.</para>
/// <para>Accuracy (tested against double precision): exp and log within 2 ulp, tanh and sigmoid within a few ulp;
/// special values as <see cref="MathF"/> (exp(-∞) = 0, log(0) = -∞, log(x &lt; 0) = NaN, tanh(±∞) = ±1, ...).
/// The destination may be the input itself, but must not otherwise overlap it.</para>
/// </remarks>
internal static class VectorMath
{
    /// <summary>One function of a vector, applied lane by lane.</summary>
    internal interface IFunction
    {
        static abstract Vector256<float> Invoke(Vector256<float> x);
    }

    internal readonly struct ExpFunction : IFunction { public static Vector256<float> Invoke(Vector256<float> x) => Exp(x); }
    internal readonly struct LogFunction : IFunction { public static Vector256<float> Invoke(Vector256<float> x) => Log(x); }
    internal readonly struct TanhFunction : IFunction { public static Vector256<float> Invoke(Vector256<float> x) => Tanh(x); }
    internal readonly struct SigmoidFunction : IFunction { public static Vector256<float> Invoke(Vector256<float> x) => Sigmoid(x); }
    internal readonly struct SinFunction : IFunction { public static Vector256<float> Invoke(Vector256<float> x) => SinCos(x, cosine: false); }
    internal readonly struct CosFunction : IFunction { public static Vector256<float> Invoke(Vector256<float> x) => SinCos(x, cosine: true); }

    /// <summary><c>destination[i] = f(x[i])</c>: whole vectors, then the tail padded into one more vector.</summary>
    public static void Map<TFunction>(ReadOnlySpan<float> x, Span<float> destination) where TFunction : IFunction
    {
        const int width = 8;                                     // Vector256<float>.Count
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float dRef = ref MemoryMarshal.GetReference(destination);
        int n = x.Length, i = 0;
        for (; i <= n - width; i += width)
            TFunction.Invoke(Vector256.LoadUnsafe(ref xRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        if (i == n) return;
        Span<float> tail = stackalloc float[width];
        tail.Clear();
        x[i..].CopyTo(tail);
        TFunction.Invoke(Vector256.Create<float>(tail)).CopyTo(tail);
        tail[..(n - i)].CopyTo(destination[i..]);
    }

    // ---- exp ------------------------------------------------------------------------------------------------------

    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;                 // 9 significant bits: n · Ln2Hi is exact for |n| < 2^15
    private const float Ln2Lo = -2.12194440e-4f;              // ln 2 - Ln2Hi
    private const float RoundingMagic = 12582912f;            // 1.5 · 2^23: t + magic - magic rounds t to an integer
    private const int RoundingMagicBits = 0x4B400000;

    /// <summary><c>eˣ</c>: <c>x = n·ln2 + r</c> with <c>|r| ≤ ln2/2</c> (Cody–Waite, two-part ln 2), <c>eʳ</c> by the
    /// Cephes expf polynomial, then <c>eʳ · 2^n</c> as two power-of-two factors so results near overflow and in the
    /// denormal range round once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        // Clamp so n stays in [-150, 129]: beyond, exp is +∞ or rounds to 0 anyway. NaN fails both tests and stays NaN.
        x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(89f)), Vector256.Create(89f), x);
        x = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-104f)), Vector256.Create(-104f), x);

        var k = x * Vector256.Create(Log2E) + Vector256.Create(RoundingMagic);
        var n = k - Vector256.Create(RoundingMagic);                                     // round(x · log2 e), as float
        var r = (x - n * Vector256.Create(Ln2Hi)) - n * Vector256.Create(Ln2Lo);

        var p = Vector256.Create(1.9875691500e-4f);
        p = p * r + Vector256.Create(1.3981999507e-3f);
        p = p * r + Vector256.Create(8.3334519073e-3f);
        p = p * r + Vector256.Create(4.1665795894e-2f);
        p = p * r + Vector256.Create(1.6666665459e-1f);
        p = p * r + Vector256.Create(5.0000001201e-1f);
        p = p * (r * r) + r + Vector256<float>.One;                                      // eʳ

        var ni = k.AsInt32() - Vector256.Create(RoundingMagicBits);                        // n, as int
        var n1 = Vector256.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var scale1 = Vector256.ShiftLeft(n1 + Vector256.Create(127), 23).AsSingle();     // 2^n1, 2^n2: both normal
        var scale2 = Vector256.ShiftLeft(n2 + Vector256.Create(127), 23).AsSingle();
        return p * scale1 * scale2;
    }

    // ---- log ------------------------------------------------------------------------------------------------------

    private const float MinNormal = 1.17549435e-38f;          // 2^-126
    private const float SqrtHalf = 0.707106781186547524f;

    /// <summary><c>ln x</c>: <c>x = m · 2^e</c> with <c>m</c> in <c>[√½, √2)</c>, <c>ln(m)</c> by FreeBSD's logf
    /// (<c>2 atanh(s)</c> with <c>s = (m-1)/(m+1)</c>, a polynomial in s²), plus <c>e · ln 2</c> in two parts.</summary>
    /// <remarks>A vector holding a denormal, 0, a negative, ∞ or NaN takes a slower path that scales denormals by 2²³
    /// and fixes the special lanes afterwards; its other lanes get exactly the bits of the fast path.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log(Vector256<float> x)
    {
        var normal = Vector256.GreaterThanOrEqual(x, Vector256.Create(MinNormal)) & Vector256.LessThan(x, Vector256.Create(float.PositiveInfinity));
        if (normal.ExtractMostSignificantBits() == 0xFF) return LogOfNormal(x, Vector256<int>.Zero);
        return LogWithSpecials(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LogWithSpecials(Vector256<float> x)
    {
        var subnormal = Vector256.LessThan(x, Vector256.Create(MinNormal));          // also 0 and negatives: fixed below
        var scaled = Vector256.ConditionalSelect(subnormal, x * Vector256.Create(8388608f), x);
        var result = LogOfNormal(scaled, subnormal.AsInt32() & Vector256.Create(23));

        result = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256<float>.Zero), Vector256.Create(float.NegativeInfinity), result);
        result = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256.Create(float.NaN), result);
        result = Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(float.PositiveInfinity)), x, result);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);          // NaN in, NaN out
    }

    /// <summary><c>ln(x) + ... </c> for positive normal x whose exponent is to be lowered by <paramref name="exponentShift"/>
    /// (x was a denormal scaled by 2^shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LogOfNormal(Vector256<float> x, Vector256<int> exponentShift)
    {
        var bits = x.AsInt32();
        var e = Vector256.ShiftRightArithmetic(bits, 23) - Vector256.Create(126) - exponentShift;
        var m = ((bits & Vector256.Create(0x007FFFFF)) | Vector256.Create(0x3F000000)).AsSingle();   // [0.5, 1)
        var belowSqrtHalf = Vector256.LessThan(m, Vector256.Create(SqrtHalf));
        e += belowSqrtHalf.AsInt32();                                                    // -1 where m < √½
        m = Vector256.ConditionalSelect(belowSqrtHalf, m + m, m) - Vector256<float>.One; // m - 1, exact
        var fe = Vector256.ConvertToSingle(e);

        // ln(1 + f) = 2 atanh(s) with s = f / (2 + f): f - f²/2 + s (f²/2 + R(s²)), R from FreeBSD's e_logf.c.
        var t = m / (Vector256.Create(2f) + m);
        var z = t * t;
        var w = z * z;
        var r = z * (Vector256.Create(0.66666662693f) + w * Vector256.Create(0.28498786688f))
              + w * (Vector256.Create(0.40000972152f) + w * Vector256.Create(0.24279078841f));
        var halfSquare = Vector256.Create(0.5f) * m * m;
        return fe * Vector256.Create(Ln2Hi) - ((halfSquare - (t * (halfSquare + r) + fe * Vector256.Create(Ln2Lo))) - m);
    }

    // ---- tanh and sigmoid -------------------------------------------------------------------------------------------

    private static Vector256<float> SignMask => Vector256.Create(-0f);

    /// <summary><c>tanh x</c>: the Cephes tanhf odd polynomial for <c>|x| &lt; 0.625</c>, else <c>1 - 2/(e^(2|x|) + 1)</c>
    /// (which reaches exactly 1 once the exponential overflows); the sign of x is put back last, so tanh(-0) = -0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var ax = Vector256.AndNot(x, SignMask);
        var large = Vector256<float>.One - Vector256.Create(2f) / (Exp(ax + ax) + Vector256<float>.One);
        var s = ax * ax;
        var p = Vector256.Create(-5.70498872745e-3f);
        p = p * s + Vector256.Create(2.06390887954e-2f);
        p = p * s + Vector256.Create(-5.37397155531e-2f);
        p = p * s + Vector256.Create(1.33314422036e-1f);
        p = p * s + Vector256.Create(-3.33332819422e-1f);
        var small = p * s * ax + ax;
        var magnitude = Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(0.625f)), small, large);
        return magnitude | (x & SignMask);
    }

    /// <summary><c>σ(x) = 1 / (1 + e^-x)</c>, computed from <c>e = e^-|x|</c> as <c>1/(1 + e)</c> for x ≥ 0 and
    /// <c>e/(1 + e)</c> for x &lt; 0, so large negative x gives the tiny (even denormal) value instead of 1/∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
    {
        var e = Exp(x | SignMask);                                                       // e^-|x|
        var numerator = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.One, e);
        return numerator / (Vector256<float>.One + e);
    }

    // ---- sin and cos ----------------------------------------------------------------------------------------------

    private const float TwoOverPi = 0.636619772367581343f;
    private const float PiOver2Hi = 1.5703125f;                 // 8 significant bits: q · PiOver2Hi is exact for |q| < 2^16
    private const float PiOver2Mid = 4.837512969970703125e-4f;  // the next bits of π/2 (Cephes' DP2 · 2)
    private const float PiOver2Lo = 7.54978995489188216e-8f;    // the rest (Cephes' DP3 · 2)
    private const float SinCosReductionLimit = 8192f;           // beyond, the three-part reduction loses bits: MathF

    /// <summary><c>sin x</c>, or <c>cos x</c> when <paramref name="cosine"/>: <c>x = q·π/2 + r</c> with <c>|r| ≤ π/4</c>
    /// (Cody–Waite, three-part π/2), then the Cephes sinf or cosf polynomial of r picked and signed by the quadrant
    /// <c>q mod 4</c> (plus one for cos).</summary>
    /// <remarks>A lane with <c>|x| &gt; 8192</c> is computed by <see cref="MathF.Sin"/> or <see cref="MathF.Cos"/> instead,
    /// lane by lane, so every lane's value still depends on its input alone; ±∞ and NaN give NaN.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SinCos(Vector256<float> x, bool cosine)
    {
        var k = x * Vector256.Create(TwoOverPi) + Vector256.Create(RoundingMagic);
        var q = k - Vector256.Create(RoundingMagic);                                      // round(x · 2/π), as float
        var r = ((x - q * Vector256.Create(PiOver2Hi)) - q * Vector256.Create(PiOver2Mid)) - q * Vector256.Create(PiOver2Lo);
        var z = r * r;

        var sp = Vector256.Create(-1.9515295891e-4f);
        sp = sp * z + Vector256.Create(8.3321608736e-3f);
        sp = sp * z + Vector256.Create(-1.6666654611e-1f);
        var sine = Vector256.ConditionalSelect(Vector256.Equals(r, Vector256<float>.Zero), r, sp * z * r + r);   // sin r; sin(-0) = -0
        var cp = Vector256.Create(2.443315711809948e-5f);
        cp = cp * z + Vector256.Create(-1.388731625493765e-3f);
        cp = cp * z + Vector256.Create(4.166664568298827e-2f);
        var cosineOfR = cp * z * z - Vector256.Create(0.5f) * z + Vector256<float>.One;   // cos r

        var quadrant = k.AsInt32() - Vector256.Create(RoundingMagicBits);                // q, as int
        if (cosine) quadrant += Vector256<int>.One;                                      // cos x = sin(x + π/2)
        var odd = Vector256.Equals(quadrant & Vector256<int>.One, Vector256<int>.One).AsSingle();
        var negate = Vector256.ShiftLeft(quadrant & Vector256.Create(2), 30).AsSingle();  // the sign bit where q mod 4 ≥ 2
        var result = Vector256.ConditionalSelect(odd, cosineOfR, sine) ^ negate;

        var large = Vector256.GreaterThan(Vector256.AndNot(x, SignMask), Vector256.Create(SinCosReductionLimit));
        return large == Vector256<float>.Zero ? result : SinCosOfLargeLanes(x, result, large.AsInt32(), cosine);
    }

    /// <summary>Replaces the lanes of <paramref name="result"/> whose input is beyond the reduction limit (or infinite)
    /// by <see cref="MathF.Sin"/> or <see cref="MathF.Cos"/> of that input.</summary>
    private static Vector256<float> SinCosOfLargeLanes(Vector256<float> x, Vector256<float> result, Vector256<int> large, bool cosine)
    {
        Span<float> lanes = stackalloc float[8];
        result.CopyTo(lanes);
        for (int i = 0; i < 8; i++)
            if (large[i] != 0) lanes[i] = cosine ? MathF.Cos(x[i]) : MathF.Sin(x[i]);
        return Vector256.Create<float>(lanes);
    }
}
