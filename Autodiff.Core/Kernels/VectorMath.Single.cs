using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.Kernels;

// The float32 formulas, generic over the vector width (Vector256<float> or Vector512<float> through ILanes). Every
// constant is a float literal and every step one IEEE operation, in the order written.
internal static partial class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;                 // 9 significant bits: n · Ln2Hi is exact for |n| < 2^15
    private const float Ln2Lo = -2.12194440e-4f;              // ln 2 - Ln2Hi
    private const float RoundingMagic = 12582912f;            // 1.5 · 2^23: t + magic - magic rounds t to an integer
    private const int RoundingMagicBits = 0x4B400000;
    private const float MinNormal = 1.17549435e-38f;          // 2^-126
    private const float SqrtHalf = 0.707106781186547524f;

    // ---- exp ------------------------------------------------------------------------------------------------------

    /// <summary><c>eˣ</c> within 2 ulp: <c>x = n·ln2 + r</c> with <c>|r| ≤ ln2/2</c> (Cody–Waite, two-part ln 2), <c>eʳ</c>
    /// by the Cephes expf polynomial, then <c>eʳ · 2^n</c> as two power-of-two factors so results near overflow and in the
    /// denormal range round once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ExpSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        // Clamp so n stays in [-150, 129]: beyond, exp is +∞ or rounds to 0 anyway. NaN fails both tests and stays NaN.
        x = TL.Select(TL.GreaterThan(x, TL.Create(89f)), TL.Create(89f), x);
        x = TL.Select(TL.LessThan(x, TL.Create(-104f)), TL.Create(-104f), x);

        var k = x * TL.Create(Log2E) + TL.Create(RoundingMagic);
        var n = k - TL.Create(RoundingMagic);                                            // round(x · log2 e), as float
        var r = (x - n * TL.Create(Ln2Hi)) - n * TL.Create(Ln2Lo);

        var p = TL.Create(1.9875691500e-4f);
        p = p * r + TL.Create(1.3981999507e-3f);
        p = p * r + TL.Create(8.3334519073e-3f);
        p = p * r + TL.Create(4.1665795894e-2f);
        p = p * r + TL.Create(1.6666665459e-1f);
        p = p * r + TL.Create(5.0000001201e-1f);
        p = p * (r * r) + r + TL.Create(1f);                                             // eʳ

        var ni = TL.SubtractInteger(k, TL.Bits(RoundingMagicBits));                     // n, as int
        var n1 = TL.ShiftRightArithmetic(ni, 1);
        var n2 = TL.SubtractInteger(ni, n1);
        var scale1 = TL.ShiftLeft(TL.AddInteger(n1, TL.Bits(127)), 23);                 // 2^n1, 2^n2: both normal
        var scale2 = TL.ShiftLeft(TL.AddInteger(n2, TL.Bits(127)), 23);
        return p * scale1 * scale2;
    }

    // ---- log and log1p ----------------------------------------------------------------------------------------------

    /// <summary><c>ln x</c> within 1 ulp: <c>x = m · 2^e</c> with <c>m</c> in <c>[√½, √2)</c>, <c>ln(m)</c> by FreeBSD's logf
    /// (<c>2 atanh(s)</c> with <c>s = (m-1)/(m+1)</c>, a polynomial in s²), plus <c>e · ln 2</c> in two parts.</summary>
    /// <remarks>A vector holding a denormal, 0, a negative, ∞ or NaN takes a slower path that scales denormals by 2²³
    /// and fixes the special lanes afterwards; its other lanes get exactly the bits of the fast path.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV LogSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var normal = TL.GreaterThanOrEqual(x, TL.Create(MinNormal)) & TL.LessThan(x, TL.Create(float.PositiveInfinity));
        if (TL.All(normal)) return LogOfNormalSingle<TV, TL>(x, TL.Bits(0));
        return LogWithSpecialsSingle<TV, TL>(x);
    }

    private static TV LogWithSpecialsSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var subnormal = TL.LessThan(x, TL.Create(MinNormal));                           // also 0 and negatives: fixed below
        var scaled = TL.Select(subnormal, x * TL.Create(8388608f), x);
        var result = LogOfNormalSingle<TV, TL>(scaled, subnormal & TL.Bits(23));

        result = TL.Select(TL.Equal(x, TL.Create(0f)), TL.Create(float.NegativeInfinity), result);
        result = TL.Select(TL.LessThan(x, TL.Create(0f)), TL.Create(float.NaN), result);
        result = TL.Select(TL.Equal(x, TL.Create(float.PositiveInfinity)), x, result);
        return TL.Select(TL.Equal(x, x), result, x);                                     // NaN in, NaN out
    }

    /// <summary><c>ln x</c> for positive normal x whose exponent is to be lowered by <paramref name="exponentShift"/>
    /// (int32 lanes: x was a denormal scaled by 2^shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV LogOfNormalSingle<TV, TL>(TV x, TV exponentShift)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var e = TL.SubtractInteger(TL.SubtractInteger(TL.ShiftRightArithmetic(x, 23), TL.Bits(126)), exponentShift);
        var m = (x & TL.Bits(0x007FFFFF)) | TL.Bits(0x3F000000);                          // [0.5, 1)
        var belowSqrtHalf = TL.LessThan(m, TL.Create(SqrtHalf));
        e = TL.AddInteger(e, belowSqrtHalf);                                             // -1 where m < √½
        m = TL.Select(belowSqrtHalf, m + m, m) - TL.Create(1f);                          // m - 1, exact
        var fe = TL.ConvertInteger(e);

        // ln(1 + f) = 2 atanh(s) with s = f / (2 + f): f - f²/2 + s (f²/2 + R(s²)), R from FreeBSD's e_logf.c.
        var t = m / (TL.Create(2f) + m);
        var z = t * t;
        var w = z * z;
        var r = z * (TL.Create(0.66666662693f) + w * TL.Create(0.28498786688f))
              + w * (TL.Create(0.40000972152f) + w * TL.Create(0.24279078841f));
        var halfSquare = TL.Create(0.5f) * m * m;
        return fe * TL.Create(Ln2Hi) - ((halfSquare - (t * (halfSquare + r) + fe * TL.Create(Ln2Lo))) - m);
    }

    /// <summary><c>ln(1 + x)</c> within 2 ulp: with <c>u = 1 + x</c> rounded, <c>ln u - ((u - 1) - x)/u</c>, the second term
    /// putting back what rounding u lost (so tiny x gives x). <c>log1p(-1) = -∞</c>, <c>log1p(x &lt; -1) = NaN</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Log1pSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var one = TL.Create(1f);
        var u = one + x;
        var logU = LogSingle<TV, TL>(u);
        var result = logU - ((u - one) - x) / u;
        var edge = TL.Equal(u, TL.Create(0f)) | TL.Equal(u, TL.Create(float.PositiveInfinity));   // -∞ and +∞ as ln u
        return TL.Select(TL.Equal(u, one), x, TL.Select(edge, logU, result));            // |x| < 2^-24: x itself (keeps -0)
    }

    // ---- tanh, sigmoid, softplus ---------------------------------------------------------------------------------------

    private const int SignBit = unchecked((int)0x80000000);
    private const int AbsMask = 0x7FFFFFFF;

    /// <summary><c>tanh x</c> within 2 ulp: the Cephes tanhf odd polynomial for <c>|x| &lt; 0.625</c>, else
    /// <c>1 - 2/(e^(2|x|) + 1)</c> (which reaches exactly 1 once the exponential overflows); the sign of x is put back
    /// last, so tanh(-0) = -0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV TanhSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var ax = x & TL.Bits(AbsMask);
        var large = TL.Create(1f) - TL.Create(2f) / (ExpSingle<TV, TL>(ax + ax) + TL.Create(1f));
        var s = ax * ax;
        var p = TL.Create(-5.70498872745e-3f);
        p = p * s + TL.Create(2.06390887954e-2f);
        p = p * s + TL.Create(-5.37397155531e-2f);
        p = p * s + TL.Create(1.33314422036e-1f);
        p = p * s + TL.Create(-3.33332819422e-1f);
        var small = p * s * ax + ax;
        var magnitude = TL.Select(TL.LessThan(ax, TL.Create(0.625f)), small, large);
        return magnitude | (x & TL.Bits(SignBit));
    }

    /// <summary><c>σ(x) = 1 / (1 + e^-x)</c> within 3 ulp, computed from <c>e = e^-|x|</c> as <c>1/(1 + e)</c> for x ≥ 0 and
    /// <c>e/(1 + e)</c> for x &lt; 0, so large negative x gives the tiny (even denormal) value instead of 1/∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SigmoidSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var e = ExpSingle<TV, TL>(x | TL.Bits(SignBit));                               // e^-|x|
        var numerator = TL.Select(TL.GreaterThanOrEqual(x, TL.Create(0f)), TL.Create(1f), e);
        return numerator / (TL.Create(1f) + e);
    }

    /// <summary><c>ln(1 + eᶻ)</c> within 2 ulp, without overflow: <c>max(z, 0) + log1p(e^-|z|)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV LogOnePlusExpSingle<TV, TL>(TV z)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var positive = TL.Select(TL.GreaterThan(z, TL.Create(0f)), z, TL.Create(0f));
        return positive + Log1pSingle<TV, TL>(ExpSingle<TV, TL>(z | TL.Bits(SignBit)));
    }

    // ---- erf and the normal distribution ------------------------------------------------------------------------------

    /// <summary><c>erf x</c> within 2 ulp: <c>x + x·R(x²)</c> for <c>|x| &lt; 1</c> and <c>1 - e^(-x²)·Q(1/|x|)</c> beyond
    /// (sign put back), R and Q polynomials fitted to erf(x)/x - 1 on [0, 1] and to <c>erfc(z)·e^(z²)</c> on [1, 10]
    /// (Chebyshev interpolation, relative error below 5e-9 in exact arithmetic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ErfSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var ax = x & TL.Bits(AbsMask);
        var small = ErfSmallSingle<TV, TL>(x);
        var isSmall = TL.LessThan(ax, TL.Create(1f));
        if (TL.All(isSmall)) return small;
        var erfc = ExpSingle<TV, TL>(TL.Create(0f) - ax * ax) * ErfcScaledSingle<TV, TL>(TL.Create(1f) / ax);
        var large = (TL.Create(1f) - erfc) | (x & TL.Bits(SignBit));
        return TL.Select(isSmall, small, large);
    }

    /// <summary><c>erf x = x + x·R(x²)</c> for <c>|x| &lt; 1</c> (within 1.1 ulp there).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfSmallSingle<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        return x + x * ErfSmallCorrectionSingle<TV, TL>(x * x);
    }

    /// <summary><c>R(z)</c> of <c>erf x = x + x·R(x²)</c> for <c>|x| &lt; 1</c> (<c>R(0) = 2/√π - 1</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfSmallCorrectionSingle<TV, TL>(TV z)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var r = TL.Create(-9.667045560e-06f);
        r = r * z + TL.Create(1.126595962e-04f);
        r = r * z + TL.Create(-8.484080317e-04f);
        r = r * z + TL.Create(5.221031606e-03f);
        r = r * z + TL.Create(-2.686543018e-02f);
        r = r * z + TL.Create(1.128378212e-01f);
        r = r * z + TL.Create(-3.761263788e-01f);
        r = r * z + TL.Create(1.283791661e-01f);                                         // 2/√π - 1
        return r;
    }

    /// <summary><c>Q(t) ≈ erfc(1/t) · e^(1/t²)</c> for <c>t</c> in [0.1, 1]: a degree-12 polynomial (about 0.564·t for small t).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcScaledSingle<TV, TL>(TV t)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var q = TL.Create(3.862236440e-02f);
        q = q * t + TL.Create(-2.446959168e-01f);
        q = q * t + TL.Create(6.356549859e-01f);
        q = q * t + TL.Create(-7.817642689e-01f);
        q = q * t + TL.Create(1.714669317e-01f);
        q = q * t + TL.Create(8.933404684e-01f);
        q = q * t + TL.Create(-1.423007011e+00f);
        q = q * t + TL.Create(9.692903757e-01f);
        q = q * t + TL.Create(-1.322835982e-01f);
        q = q * t + TL.Create(-2.612855434e-01f);
        q = q * t + TL.Create(-2.057640115e-03f);
        q = q * t + TL.Create(5.643052459e-01f);
        q = q * t + TL.Create(-2.804556971e-06f);
        return q;
    }

    /// <summary><c>e^(-x²)</c>, or <c>e^(-x²/2)</c> when <paramref name="half"/>, for <c>x = |x|</c>, without the error
    /// of rounding x² (which e^ would turn into up to x²·2⁻²⁴ relative): <c>x² = h² + d</c> with h = x with its low 12 bits
    /// cleared (h² exact) and <c>d = (x - h)(x + h)</c> small (|d| ≤ x²/1024 ≤ 0.11 where the result is not 0), then
    /// <c>e^(-h²) · e^(-d)</c>, the second a 6-term series.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ExpOfMinusSquareSingle<TV, TL>(TV ax, bool half)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var limit = TL.Create(half ? 14.6f : 10.4f);                                     // beyond, the result is 0 in float
        var ac = TL.Select(TL.GreaterThan(ax, limit), limit, ax);                        // (and ∞, NaN: NaN stays NaN)
        var head = ac & TL.Bits(unchecked((int)0xFFFFF000));
        var d = (ac - head) * (ac + head);
        var square = head * head;
        if (half) (d, square) = (TL.Create(0.5f) * d, TL.Create(0.5f) * square);        // exact halvings
        var correction = TL.Create(-1f / 120f);                                          // e^-d
        correction = correction * d + TL.Create(1f / 24f);
        correction = correction * d - TL.Create(1f / 6f);
        correction = correction * d + TL.Create(0.5f);
        correction = correction * d - TL.Create(1f);
        correction = correction * d + TL.Create(1f);
        return ExpSingle<TV, TL>(TL.Create(0f) - square) * correction;
    }

    /// <summary><c>σ(x)</c> and <c>1 - σ(x) = σ(-x)</c>, both accurate to their own size (no <c>1 - σ</c> cancellation),
    /// from one <c>e = e^-|x|</c>: <c>1/(1 + e)</c> and <c>e/(1 + e)</c>, swapped by the sign of x. σ has the bits of
    /// <see cref="SigmoidSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SigmoidPairSingle<TV, TL>(TV x, out TV complement)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var e = ExpSingle<TV, TL>(x | TL.Bits(SignBit));                               // e^-|x|
        var denominator = TL.Create(1f) + e;
        var nonNegative = TL.GreaterThanOrEqual(x, TL.Create(0f));
        complement = TL.Select(nonNegative, e, TL.Create(1f)) / denominator;
        return TL.Select(nonNegative, TL.Create(1f), e) / denominator;
    }

    private const float InvSqrt2 = 0.707106781186547524f;
    private const float Sqrt2 = 1.41421356237309505f;
    private const float InvSqrt2Pi = 0.398942280401432678f;

    /// <summary>The standard normal CDF <c>Φ(x) = erfc(-x/√2)/2</c> and density <c>φ(x) = e^(-x²/2)/√(2π)</c>.</summary>
    /// <remarks>Φ is accurate relative to its own size also far in the lower tail (GELU of very negative x): for
    /// <c>|x| ≥ √2</c> it is <c>e^(-x²/2)·Q(√2/|x|)/2</c> (or one minus that), with <c>x²/2</c> carried as an exact head
    /// <c>h²/2</c> plus a small tail (<see cref="ExpOfMinusSquareSingle{TV, TL}"/>), so rounding x² costs no accuracy;
    /// inside, <c>(1 - erf(x/√2))/2</c>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV NormalCdfSingle<TV, TL>(TV x, out TV density)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var half = TL.Create(0.5f);
        var ax = x & TL.Bits(AbsMask);
        var gaussian = ExpOfMinusSquareSingle<TV, TL>(ax, half: true);                  // e^(-x²/2)
        density = gaussian * TL.Create(InvSqrt2Pi);

        var w = TL.Create(0f) - x * TL.Create(InvSqrt2);                                  // Φ(x) = erfc(w)/2
        var halfW = half * w;
        var inner = (half - halfW) - halfW * ErfSmallCorrectionSingle<TV, TL>(w * w);   // ½ - ½(w + w·R): exact first step
        var isInner = TL.LessThan(ax, TL.Create(Sqrt2));
        if (TL.All(isInner)) return inner;
        var tail = half * gaussian * ErfcScaledSingle<TV, TL>(TL.Create(Sqrt2) / ax);      // Φ(-|x|)
        var outer = TL.Select(TL.LessThan(x, TL.Create(0f)), tail, TL.Create(1f) - tail);
        return TL.Select(isInner, inner, outer);
    }

    // ---- sin and cos ------------------------------------------------------------------------------------------------

    private const float TwoOverPi = 0.636619772367581343f;
    private const float PiOver2Hi = 1.5703125f;                 // 8 significant bits: q · PiOver2Hi is exact for |q| < 2^16
    private const float PiOver2Mid = 4.837512969970703125e-4f;  // the next bits of π/2 (Cephes' DP2 · 2)
    private const float PiOver2Lo = 7.54978995489188216e-8f;    // the rest (Cephes' DP3 · 2)
    private const float SinCosReductionLimit = 8192f;           // beyond, the three-part reduction loses bits: MathF

    /// <summary><c>sin x</c>, or <c>cos x</c> when <paramref name="cosine"/>, within 1.5 ulp for <c>|x| ≤ 20</c> and 1e-7
    /// absolute everywhere: <c>x = q·π/2 + r</c> with <c>|r| ≤ π/4</c> (Cody–Waite, three-part π/2), then the Cephes sinf or
    /// cosf polynomial of r picked and signed by the quadrant <c>q mod 4</c> (plus one for cos).</summary>
    /// <remarks>A lane with <c>|x| &gt; 8192</c> is computed by <see cref="MathF.Sin"/> or <see cref="MathF.Cos"/> instead,
    /// lane by lane, so every lane's value still depends on its input alone; ±∞ and NaN give NaN.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SinCosSingle<TV, TL>(TV x, bool cosine)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        var k = x * TL.Create(TwoOverPi) + TL.Create(RoundingMagic);
        var q = k - TL.Create(RoundingMagic);                                            // round(x · 2/π), as float
        var r = ((x - q * TL.Create(PiOver2Hi)) - q * TL.Create(PiOver2Mid)) - q * TL.Create(PiOver2Lo);
        var z = r * r;

        var sp = TL.Create(-1.9515295891e-4f);
        sp = sp * z + TL.Create(8.3321608736e-3f);
        sp = sp * z + TL.Create(-1.6666654611e-1f);
        var sine = TL.Select(TL.Equal(r, TL.Create(0f)), r, sp * z * r + r);             // sin r; sin(-0) = -0
        var cp = TL.Create(2.443315711809948e-5f);
        cp = cp * z + TL.Create(-1.388731625493765e-3f);
        cp = cp * z + TL.Create(4.166664568298827e-2f);
        var cosineOfR = cp * z * z - TL.Create(0.5f) * z + TL.Create(1f);               // cos r

        var quadrant = TL.SubtractInteger(k, TL.Bits(RoundingMagicBits));               // q, as int
        if (cosine) quadrant = TL.AddInteger(quadrant, TL.Bits(1));                      // cos x = sin(x + π/2)
        var oddMask = TL.SubtractInteger(TL.Bits(0), quadrant & TL.Bits(1));             // all bits set where q is odd
        var negate = TL.ShiftLeft(quadrant & TL.Bits(2), 30);                            // the sign bit where q mod 4 ≥ 2
        var result = TL.Select(oddMask, cosineOfR, sine) ^ negate;

        var large = TL.GreaterThan(x & TL.Bits(AbsMask), TL.Create(SinCosReductionLimit));
        return TL.Any(large) ? SinCosOfLargeLanesSingle<TV, TL>(x, result, large, cosine) : result;
    }

    /// <summary>Replaces the lanes of <paramref name="result"/> whose input is beyond the reduction limit (or infinite)
    /// by <see cref="MathF.Sin"/> or <see cref="MathF.Cos"/> of that input.</summary>
    private static TV SinCosOfLargeLanesSingle<TV, TL>(TV x, TV result, TV large, bool cosine)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float>
    {
        for (int i = 0; i < TL.Count; i++)
        {
            if (BitConverter.SingleToInt32Bits(TL.GetElement(large, i)) == 0) continue;
            float v = TL.GetElement(x, i);
            result = TL.WithElement(result, i, cosine ? MathF.Cos(v) : MathF.Sin(v));
        }
        return result;
    }
}
