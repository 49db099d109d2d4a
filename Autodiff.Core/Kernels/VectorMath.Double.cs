using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.Kernels;

// The float64 formulas, generic over the vector width (Vector256<double> or Vector512<double> through ILanes): fdlibm's
// (FreeBSD msun) reductions and polynomials, evaluated without FMA. Integer lanes are int64; no int64 arithmetic shift
// or int64-to-double conversion is used (AVX2 has neither), small integers become doubles through the 1.5·2^52 trick.
internal static partial class VectorMath
{
    private const double RoundingMagicD = 6755399441055744.0;            // 1.5 · 2^52
    private const long RoundingMagicBitsD = 0x4338000000000000;
    private const double Ln2HiD = 6.93147180369123816490e-01;            // 32 significant bits: n · Ln2HiD is exact
    private const double Ln2LoD = 1.90821492927058770002e-10;            // ln 2 - Ln2HiD
    private const double MinNormalD = 2.2250738585072014e-308;           // 2^-1022
    private const long SignBitD = unchecked((long)0x8000000000000000);
    private const long AbsMaskD = 0x7FFFFFFFFFFFFFFF;

    /// <summary>The small integer held by each double lane (|n| &lt; 2^51), as the bits of an int64 lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ToIntegerBits<TV, TL>(TV integral)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double> =>
        TL.SubtractInteger(integral + TL.Create(RoundingMagicD), TL.Bits(RoundingMagicBitsD));

    /// <summary>The int64 lanes (|n| &lt; 2^51) as doubles, exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV FromIntegerBits<TV, TL>(TV integer)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double> =>
        TL.AddInteger(integer, TL.Bits(RoundingMagicBitsD)) - TL.Create(RoundingMagicD);

    // ---- exp ------------------------------------------------------------------------------------------------------

    /// <summary><c>eˣ</c> within 1 ulp: <c>x = n·ln2 + r</c> (two-part ln 2), <c>eʳ</c> by fdlibm's rational form
    /// <c>1 - ((lo - r·c/(2 - c)) - hi)</c> with <c>c = r - r²·P(r²)</c>, then <c>· 2^n</c> as two power-of-two factors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ExpDouble<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        // Clamp so n stays in [-1076, 1024]: beyond, exp is +∞ or rounds to 0 anyway. NaN fails both tests and stays NaN.
        x = TL.Select(TL.GreaterThan(x, TL.Create(710.0)), TL.Create(710.0), x);
        x = TL.Select(TL.LessThan(x, TL.Create(-746.0)), TL.Create(-746.0), x);

        var n = (x * TL.Create(1.44269504088896338700e+00) + TL.Create(RoundingMagicD)) - TL.Create(RoundingMagicD);
        var hi = x - n * TL.Create(Ln2HiD);
        var lo = n * TL.Create(Ln2LoD);
        var r = hi - lo;
        var t = r * r;
        var p = TL.Create(4.13813679705723846039e-08);
        p = p * t + TL.Create(-1.65339022054652515390e-06);
        p = p * t + TL.Create(6.61375632143793436117e-05);
        p = p * t + TL.Create(-2.77777777770155933842e-03);
        p = p * t + TL.Create(1.66666666666666019037e-01);
        var c = r - t * p;
        var y = TL.Create(1.0) - ((lo - (r * c) / (TL.Create(2.0) - c)) - hi);           // eʳ

        var n1 = (n * TL.Create(0.5) + TL.Create(RoundingMagicD)) - TL.Create(RoundingMagicD);
        var n2 = n - n1;                                                                   // both in [-538, 512]
        var scale1 = TL.ShiftLeft(ToIntegerBits<TV, TL>(n1 + TL.Create(1023.0)), 52);
        var scale2 = TL.ShiftLeft(ToIntegerBits<TV, TL>(n2 + TL.Create(1023.0)), 52);
        return y * scale1 * scale2;
    }

    // ---- log and log1p ----------------------------------------------------------------------------------------------

    /// <summary><c>ln x</c> within 1 ulp: <c>x = m · 2^e</c> with <c>m</c> in <c>[√½, √2)</c>, <c>ln m</c> by fdlibm's
    /// <c>2 atanh(s)</c>, <c>s = f/(2 + f)</c>, a degree-14 polynomial in s, plus <c>e · ln 2</c> in two parts; denormals
    /// scaled by 2⁵⁴ first, special lanes fixed afterwards (as the float version).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV LogDouble<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var normal = TL.GreaterThanOrEqual(x, TL.Create(MinNormalD)) & TL.LessThan(x, TL.Create(double.PositiveInfinity));
        if (TL.All(normal)) return LogOfNormalDouble<TV, TL>(x, TL.Bits(0));

        var subnormal = TL.LessThan(x, TL.Create(MinNormalD));
        var scaled = TL.Select(subnormal, x * TL.Create(18014398509481984.0), x);       // · 2^54
        var result = LogOfNormalDouble<TV, TL>(scaled, subnormal & TL.Bits(54));
        result = TL.Select(TL.Equal(x, TL.Create(0.0)), TL.Create(double.NegativeInfinity), result);
        result = TL.Select(TL.LessThan(x, TL.Create(0.0)), TL.Create(double.NaN), result);
        result = TL.Select(TL.Equal(x, TL.Create(double.PositiveInfinity)), x, result);
        return TL.Select(TL.Equal(x, x), result, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV LogOfNormalDouble<TV, TL>(TV x, TV exponentShift)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var e = TL.SubtractInteger(TL.SubtractInteger(TL.ShiftRightLogical(x, 52), TL.Bits(1022)), exponentShift);
        var m = (x & TL.Bits(0x000FFFFFFFFFFFFF)) | TL.Bits(0x3FE0000000000000);          // [0.5, 1)
        var belowSqrtHalf = TL.LessThan(m, TL.Create(0.70710678118654752440));
        e = TL.AddInteger(e, belowSqrtHalf);                                             // -1 where m < √½
        var f = TL.Select(belowSqrtHalf, m + m, m) - TL.Create(1.0);                     // m - 1, exact
        var fe = FromIntegerBits<TV, TL>(e);

        var s = f / (TL.Create(2.0) + f);
        var z = s * s;
        var w = z * z;
        var t1 = w * (TL.Create(3.999999999940941908e-01) + w * (TL.Create(2.222219843214978396e-01) + w * TL.Create(1.531383769920937332e-01)));
        var t2 = z * (TL.Create(6.666666666666735130e-01) + w * (TL.Create(2.857142874366239149e-01)
                 + w * (TL.Create(1.818357216161805012e-01) + w * TL.Create(1.479819860511658591e-01))));
        var halfSquare = TL.Create(0.5) * f * f;
        return fe * TL.Create(Ln2HiD) - ((halfSquare - (s * (halfSquare + (t2 + t1)) + fe * TL.Create(Ln2LoD))) - f);
    }

    /// <summary><c>ln(1 + x)</c> within 2 ulp, as <see cref="Log1pSingle{TV, TL}"/>: <c>ln u - ((u - 1) - x)/u</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Log1pDouble<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var one = TL.Create(1.0);
        var u = one + x;
        var logU = LogDouble<TV, TL>(u);
        var result = logU - ((u - one) - x) / u;
        var edge = TL.Equal(u, TL.Create(0.0)) | TL.Equal(u, TL.Create(double.PositiveInfinity));
        return TL.Select(TL.Equal(u, one), x, TL.Select(edge, logU, result));
    }

    // ---- tanh, sigmoid, softplus ---------------------------------------------------------------------------------------

    /// <summary><c>tanh x</c> within 2 ulp: Cephes' <c>x + x·s·P(s)/Q(s)</c>, <c>s = x²</c>, for <c>|x| &lt; 0.625</c>,
    /// else <c>1 - 2/(e^(2|x|) + 1)</c>; the sign of x is put back last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV TanhDouble<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var ax = x & TL.Bits(AbsMaskD);
        var large = TL.Create(1.0) - TL.Create(2.0) / (ExpDouble<TV, TL>(ax + ax) + TL.Create(1.0));
        var s = ax * ax;
        var p = (TL.Create(-9.64399179425052238628e-1) * s + TL.Create(-9.92877231001918586564e1)) * s + TL.Create(-1.61468768441708447952e3);
        var q = ((s + TL.Create(1.12811678491632931402e2)) * s + TL.Create(2.23548839060100448583e3)) * s + TL.Create(4.84406305325125486048e3);
        var small = ax + ax * (s * p / q);
        var magnitude = TL.Select(TL.LessThan(ax, TL.Create(0.625)), small, large);
        return magnitude | (x & TL.Bits(SignBitD));
    }

    /// <summary><c>σ(x)</c> within 2 ulp, as <see cref="SigmoidSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SigmoidDouble<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var e = ExpDouble<TV, TL>(x | TL.Bits(SignBitD));                               // e^-|x|
        var numerator = TL.Select(TL.GreaterThanOrEqual(x, TL.Create(0.0)), TL.Create(1.0), e);
        return numerator / (TL.Create(1.0) + e);
    }

    /// <summary><c>ln(1 + eᶻ)</c> within 2 ulp, as <see cref="LogOnePlusExpSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV LogOnePlusExpDouble<TV, TL>(TV z)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var positive = TL.Select(TL.GreaterThan(z, TL.Create(0.0)), z, TL.Create(0.0));
        return positive + Log1pDouble<TV, TL>(ExpDouble<TV, TL>(z | TL.Bits(SignBitD)));
    }

    // ---- erf, erfc and the normal distribution ---------------------------------------------------------------------------

    /// <summary><c>erf x</c> within 1 ulp (fdlibm's s_erf.c, evaluated lane-wise): <c>x + x·P/Q(x²)</c> below 0.84375,
    /// <c>erx + P/Q(|x| - 1)</c> below 1.25, else <c>1 - e^(-z² - 0.5625)·e^((z - |x|)(z + |x|) + R/S(1/x²))/|x|</c> with
    /// z = |x| rounded to 21 bits (so z² is exact); sign put back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ErfDouble<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double> => ErfOrErfcDouble<TV, TL>(x, complement: false);

    /// <summary><c>erfc x = 1 - erf x</c>, accurate relative to its own size (fdlibm's s_erf.c; see <see cref="ErfDouble{TV, TL}"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV ErfcDouble<TV, TL>(TV x)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double> => ErfOrErfcDouble<TV, TL>(x, complement: true);

    private static TV ErfOrErfcDouble<TV, TL>(TV x, bool complement)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        const double Erx = 8.45062911510467529297e-01;
        var one = TL.Create(1.0);
        var ax = x & TL.Bits(AbsMaskD);
        var sign = x & TL.Bits(SignBitD);

        // |x| < 0.84375: erf = x + x·P(x²)/Q(x²)
        var z = x * x;
        var r = TL.Create(1.28379167095512558561e-01) + z * (TL.Create(-3.25042107247001499370e-01) + z * (TL.Create(-2.84817495755985104766e-02)
                + z * (TL.Create(-5.77027029648944159157e-03) + z * TL.Create(-2.37630166566501626084e-05))));
        var s = one + z * (TL.Create(3.97917223959155352819e-01) + z * (TL.Create(6.50222499887672944485e-02) + z * (TL.Create(5.08130628187576562776e-03)
                + z * (TL.Create(1.32494738004321644526e-04) + z * TL.Create(-3.96022827877536812320e-06)))));
        var xy = x * (r / s);
        var small = complement
            ? TL.Select(TL.LessThan(x, TL.Create(0.25)), one - (x + xy), TL.Create(0.5) - ((x - TL.Create(0.5)) + xy))
            : x + xy;
        var isSmall = TL.LessThan(ax, TL.Create(0.84375));
        if (TL.All(isSmall)) return small;

        // 0.84375 ≤ |x| < 1.25: erf = erx + P(|x| - 1)/Q(|x| - 1)
        var t = ax - one;
        var p = TL.Create(-2.36211856075265944077e-03) + t * (TL.Create(4.14856118683748331666e-01) + t * (TL.Create(-3.72207876035701323847e-01)
                + t * (TL.Create(3.18346619901161753674e-01) + t * (TL.Create(-1.10894694282396677476e-01) + t * (TL.Create(3.54783043256182359371e-02)
                + t * TL.Create(-2.16637559486879084300e-03))))));
        var q = one + t * (TL.Create(1.06420880400844228286e-01) + t * (TL.Create(5.40397917702171048937e-01) + t * (TL.Create(7.18286544141962662868e-02)
                + t * (TL.Create(1.26171219808761642112e-01) + t * (TL.Create(1.36370839120290507362e-02) + t * TL.Create(1.19844998467991074170e-02))))));
        var pq = p / q;
        var negative = TL.LessThan(x, TL.Create(0.0));
        var middle = complement
            ? TL.Select(negative, one + (TL.Create(Erx) + pq), TL.Create(1 - Erx) - pq)
            : (TL.Create(Erx) + pq) | sign;

        // |x| ≥ 1.25: erfc|x| = e^(-z² - 0.5625) · e^((z - |x|)(z + |x|) + R/S) / |x|, R/S in 1/x², two ranges
        var ac = TL.Select(TL.GreaterThan(ax, TL.Create(28.0)), TL.Create(28.0), ax);    // erfc is 0 past 28; keeps ∞ finite
        var u = one / (ac * ac);
        var ra = TL.Create(-9.86494403484714822705e-03) + u * (TL.Create(-6.93858572707181764372e-01) + u * (TL.Create(-1.05586262253232909814e+01)
                 + u * (TL.Create(-6.23753324503260060396e+01) + u * (TL.Create(-1.62396669462573470355e+02) + u * (TL.Create(-1.84605092906711035994e+02)
                 + u * (TL.Create(-8.12874355063065934246e+01) + u * TL.Create(-9.81432934416914548592e+00)))))));
        var sa = one + u * (TL.Create(1.96512716674392571292e+01) + u * (TL.Create(1.37657754143519042600e+02) + u * (TL.Create(4.34565877475229228821e+02)
                 + u * (TL.Create(6.45387271733267880336e+02) + u * (TL.Create(4.29008140027567833386e+02) + u * (TL.Create(1.08635005541779435134e+02)
                 + u * (TL.Create(6.57024977031928170135e+00) + u * TL.Create(-6.04244152148580987438e-02))))))));
        var rb = TL.Create(-9.86494292470009928597e-03) + u * (TL.Create(-7.99283237680523006574e-01) + u * (TL.Create(-1.77579549177547519889e+01)
                 + u * (TL.Create(-1.60636384855821916062e+02) + u * (TL.Create(-6.37566443368389627722e+02) + u * (TL.Create(-1.02509513161107724954e+03)
                 + u * TL.Create(-4.83519191608651397019e+02))))));
        var sb = one + u * (TL.Create(3.03380607434824582924e+01) + u * (TL.Create(3.25792512996573918826e+02) + u * (TL.Create(1.53672958608443695994e+03)
                 + u * (TL.Create(3.19985821950859553908e+03) + u * (TL.Create(2.55305040643316442583e+03) + u * (TL.Create(4.74528541206955367215e+02)
                 + u * TL.Create(-2.24409524465858183362e+01)))))));
        var nearer = TL.LessThan(ac, TL.Create(1 / 0.35));
        var ratio = TL.Select(nearer, ra, rb) / TL.Select(nearer, sa, sb);
        var head = ac & TL.Bits(unchecked((long)0xFFFFFFFF00000000));
        var tail = ExpDouble<TV, TL>((TL.Create(0.0) - head * head) - TL.Create(0.5625))
                   * ExpDouble<TV, TL>((head - ac) * (head + ac) + ratio) / ac;          // erfc|x|
        var large = complement ? TL.Select(negative, TL.Create(2.0) - tail, tail) : (one - tail) | sign;

        return TL.Select(isSmall, small, TL.Select(TL.LessThan(ax, TL.Create(1.25)), middle, large));
    }

    /// <summary><c>σ(x)</c> and <c>1 - σ(x) = σ(-x)</c>, both accurate to their own size, as <see cref="SigmoidPairSingle{TV, TL}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SigmoidPairDouble<TV, TL>(TV x, out TV complement)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var e = ExpDouble<TV, TL>(x | TL.Bits(SignBitD));
        var denominator = TL.Create(1.0) + e;
        var nonNegative = TL.GreaterThanOrEqual(x, TL.Create(0.0));
        complement = TL.Select(nonNegative, e, TL.Create(1.0)) / denominator;
        return TL.Select(nonNegative, TL.Create(1.0), e) / denominator;
    }

    /// <summary>The standard normal CDF <c>Φ(x) = erfc(-x/√2)/2</c> and density <c>φ(x) = e^(-x²/2)/√(2π)</c> in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV NormalCdfDouble<TV, TL>(TV x, out TV density)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        density = ExpDouble<TV, TL>(TL.Create(-0.5) * (x * x)) * TL.Create(0.398942280401432678);
        return TL.Create(0.5) * ErfcDouble<TV, TL>(TL.Create(0.0) - x * TL.Create(0.70710678118654752440));
    }

    // ---- sin and cos ------------------------------------------------------------------------------------------------

    private const double SinCosReductionLimitD = 1e5;      // beyond, Math.Sin / Math.Cos lane by lane

    /// <summary><c>sin x</c>, or <c>cos x</c> when <paramref name="cosine"/>, within 2 ulp for <c>|x| ≤ 100</c>:
    /// <c>x = q·π/2 + r</c> with fdlibm's four parts of π/2 (three of 33 bits: exact products for <c>|q| &lt; 2^20</c>), then fdlibm's
    /// sin and cos kernels of r, picked and signed by <c>q mod 4</c>. Lanes with <c>|x| &gt; 1e5</c>, ±∞ and NaN are
    /// <see cref="Math.Sin"/> or <see cref="Math.Cos"/> of that lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV SinCosDouble<TV, TL>(TV x, bool cosine)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double>
    {
        var k = x * TL.Create(6.36619772367581382433e-01) + TL.Create(RoundingMagicD);
        var q = k - TL.Create(RoundingMagicD);
        var r = (((x - q * TL.Create(1.57079632673412561417e+00)) - q * TL.Create(6.07710050630396597660e-11))
                - q * TL.Create(2.02226624871116645580e-21)) - q * TL.Create(8.47842766036889956997e-32);
        var z = r * r;

        var sp = TL.Create(1.58969099521155010221e-10);
        sp = sp * z + TL.Create(-2.50507602534068634195e-08);
        sp = sp * z + TL.Create(2.75573137070700676789e-06);
        sp = sp * z + TL.Create(-1.98412698298579493134e-04);
        sp = sp * z + TL.Create(8.33333333332248946124e-03);
        sp = sp * z + TL.Create(-1.66666666666666324348e-01);
        var sine = TL.Select(TL.Equal(r, TL.Create(0.0)), r, r + (z * r) * sp);            // sin(-0) = -0

        var cp = TL.Create(-1.13596475577881948265e-11);
        cp = cp * z + TL.Create(2.08757232129817482790e-09);
        cp = cp * z + TL.Create(-2.75573143513906633035e-07);
        cp = cp * z + TL.Create(2.48015872894767294178e-05);
        cp = cp * z + TL.Create(-1.38888888888741095749e-03);
        cp = cp * z + TL.Create(4.16666666666666019037e-02);
        var halfZ = TL.Create(0.5) * z;
        var w = TL.Create(1.0) - halfZ;
        var cosineOfR = w + (((TL.Create(1.0) - w) - halfZ) + (z * z) * cp);             // the rounding of w put back

        var quadrant = TL.SubtractInteger(k, TL.Bits(RoundingMagicBitsD));              // q, as int64
        if (cosine) quadrant = TL.AddInteger(quadrant, TL.Bits(1));
        var oddMask = TL.SubtractInteger(TL.Bits(0), quadrant & TL.Bits(1));
        var negate = TL.ShiftLeft(quadrant & TL.Bits(2), 62);
        var result = TL.Select(oddMask, cosineOfR, sine) ^ negate;

        var large = TL.GreaterThan(x & TL.Bits(AbsMaskD), TL.Create(SinCosReductionLimitD)) | ~TL.Equal(x, x);
        if (!TL.Any(large)) return result;
        for (int i = 0; i < TL.Count; i++)
        {
            if (BitConverter.DoubleToInt64Bits(TL.GetElement(large, i)) == 0) continue;
            double v = TL.GetElement(x, i);
            result = TL.WithElement(result, i, cosine ? Math.Cos(v) : Math.Sin(v));
        }
        return result;
    }
}
