namespace Autodiff.Kernels;

/// <summary>Scalar special functions in double precision that .NET's <see cref="Math"/> lacks.</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;   // 2/√π
    private const double InvSqrtPi = 0.5641895835477563;       // 1/√π
    private const double InvSqrt2 = 0.7071067811865476;        // 1/√2
    private const double InvSqrt2Pi = 0.3989422804014327;      // 1/√(2π)
    private const double GeluTanhScale = 0.7978845608028654;   // √(2/π)
    private const double GeluTanhCubic = 0.044715;

    /// <summary>The error function <c>erf(x) = 2/√π ∫₀ˣ e^(-t²) dt</c>, to about 1e-15.</summary>
    /// <remarks>Maclaurin series <c>2/√π Σ (-1)ⁿ x^(2n+1) / (n! (2n+1))</c> for |x| &lt; 3, where its terms stay small;
    /// beyond, <c>1 - erfc(x)</c> from the continued fraction
    /// <c>erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))</c>, evaluated bottom-up.</remarks>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax < 3.0)
        {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;                  // (-1)ⁿ x^(2n+1) / n!
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return TwoOverSqrtPi * sum;
        }
        if (ax > 6.0) return Math.Sign(x);        // erfc(6) ≈ 2e-17
        double t = ax;
        for (int k = 60; k >= 1; k--) t = ax + k * 0.5 / t;
        double erfc = Math.Exp(-ax * ax) * InvSqrtPi / t;
        return Math.Sign(x) * (1.0 - erfc);
    }

    /// <summary><c>log(1 + x)</c>, accurate for tiny x: with <c>u = 1 + x</c>, <c>log(u) · x / (u - 1)</c> cancels the rounding of u.</summary>
    public static double Log1p(double x)
    {
        if (double.IsPositiveInfinity(x)) return x;
        double u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>The standard normal CDF <c>Φ(x) = (1 + erf(x/√2)) / 2</c>.</summary>
    public static double NormalCdf(double x) => 0.5 * (1.0 + Erf(x * InvSqrt2));

    /// <summary>The standard normal density <c>φ(x) = e^(-x²/2) / √(2π)</c>.</summary>
    public static double NormalPdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary><c>u(x) = √(2/π) (x + 0.044715 x³)</c>, the argument of tanh in GELU's tanh approximation.</summary>
    public static double GeluTanhInner(double x) => GeluTanhScale * (x + GeluTanhCubic * x * x * x);

    /// <summary><c>u'(x) = √(2/π) (1 + 3 · 0.044715 x²)</c>.</summary>
    public static double GeluTanhInnerDerivative(double x) => GeluTanhScale * (1.0 + 3.0 * GeluTanhCubic * x * x);
}
