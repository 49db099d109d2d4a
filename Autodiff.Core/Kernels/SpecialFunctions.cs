namespace Autodiff.Kernels;

/// <summary>Scalar special functions in double precision that .NET's <see cref="Math"/> lacks (the vectorized ones are in
/// <see cref="VectorMath"/>; these remain for scalar callers and as test references).</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;   // 2/√π
    private const double InvSqrtPi = 0.5641895835477563;       // 1/√π

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
}
