using System.Numerics;
using System.Runtime.CompilerServices;

namespace Autodiff.Kernels;

// Pow with a constant exponent, and the fused derivatives of the element-wise ops: each a two-input function
// (the forward's input or output, then the incoming gradient dy) computing dx in one pass.
internal static partial class VectorMath
{
    // ---- pow ----------------------------------------------------------------------------------------------------------

    /// <summary>True for the exponents <see cref="PowKnown{TV, TL, T}"/> computes with multiplies, divides and square roots:
    /// 0, ±1, ±2, ±3, 4 and ±½.</summary>
    internal static bool IsKnownExponent(double p) => p is 0 or 1 or 2 or 3 or 4 or -1 or -2 or -3 or 0.5 or -0.5;

    /// <summary><c>xᵖ</c> for a known exponent (<see cref="IsKnownExponent"/>): <c>x·x</c> for 2, <c>(x·x)·x</c> for 3,
    /// <c>1/x</c> for -1, <c>√x</c> for ½ (as PyTorch, so <c>(-0)^½ = -0</c>), 1 for 0 (also for NaN, as <c>pow</c>).
    /// Within 0.5 ulp for 2, -1 and ½, 1.5 ulp for 3, -2 and -½, 2 ulp for 4 and -3. As PyTorch's, -2 and -3 give 0 once
    /// x·x or x·x·x overflows (where the true result is below 3e-39), and lose bits once it is a denormal (huge results).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV PowKnown<TV, TL, T>(TV x, double p)
        where TV : struct, IAdditionOperators<TV, TV, TV>, ISubtractionOperators<TV, TV, TV>, IMultiplyOperators<TV, TV, TV>,
            IDivisionOperators<TV, TV, TV>, IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, T>
        where T : struct, INumberBase<T>
    {
        var one = TL.Create(T.One);
        return p switch
        {
            0 => one,
            1 => x,
            2 => x * x,
            3 => x * x * x,
            4 => (x * x) * (x * x),
            -1 => one / x,
            -2 => one / (x * x),
            -3 => one / (x * x * x),
            0.5 => TL.Sqrt(x),
            _ => one / TL.Sqrt(x),                                                         // -0.5
        };
    }

    /// <summary><c>xᵖ</c> for a known exponent (<see cref="IsKnownExponent"/>).</summary>
    internal readonly struct PowFunction(double exponent) : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => PowKnown<TV, TL, float>(x, exponent);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => PowKnown<TV, TL, double>(x, exponent);
    }

    /// <summary><c>xᵖ = e^(p·ln|x|)</c> in double lanes, for float inputs with any finite exponent (within 1 ulp of float
    /// once rounded): the sign is put back for odd integer p, a negative finite x with a non-integer p gives NaN, and
    /// 0, ±∞, 1 and NaN follow <see cref="Math.Pow"/> (0^p = 0 or ∞, 1^p = 1).</summary>
    internal readonly struct PowGeneralFunction(double exponent) : IVectorFunction<double>
    {
        private readonly bool _integer = Math.Floor(exponent) == exponent;
        private readonly bool _odd = Math.Floor(exponent) == exponent && Math.Abs(exponent % 2) == 1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x)
        {
            var sign = x & TL.Bits(SignBitD);
            var y = ExpDouble<TV, TL>(TL.Create(exponent) * LogDouble<TV, TL>(x & TL.Bits(AbsMaskD)));
            if (_odd) y |= sign;
            if (!_integer)
            {
                var negativeFinite = TL.LessThan(x, TL.Create(0.0)) & TL.GreaterThan(x, TL.Create(double.NegativeInfinity));
                y = TL.Select(negativeFinite, TL.Create(double.NaN), y);
            }
            return y;
        }
    }

    /// <summary><c>dx = (dy · x^(p-1)) · p</c>, for an exponent whose <c>p - 1</c> is known (<see cref="IsKnownExponent"/>).</summary>
    internal readonly struct PowBackwardFunction(double exponent) : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy) => dy * PowKnown<TV, TL, float>(x, exponent - 1) * TL.Create((float)exponent);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy) => dy * PowKnown<TV, TL, double>(x, exponent - 1) * TL.Create(exponent);
    }

    // ---- fused backward of the activations ------------------------------------------------------------------------------

    /// <summary><c>dx = dy · (1 - y²)</c> for <c>y = tanh x</c>.</summary>
    internal readonly struct TanhBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV y, TV dy) => dy * (TL.Create(1f) - y * y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV y, TV dy) => dy * (TL.Create(1.0) - y * y);
    }

    /// <summary><c>dx = dy · y · (1 - y)</c> for <c>y = σ(x)</c>.</summary>
    internal readonly struct SigmoidBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV y, TV dy) => dy * y * (TL.Create(1f) - y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV y, TV dy) => dy * y * (TL.Create(1.0) - y);
    }

    /// <summary><c>dx = dy if x &gt; 0 else 0</c>.</summary>
    internal readonly struct ReluBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy) => TL.Select(TL.GreaterThan(x, TL.Create(0f)), dy, TL.Create(0f));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy) => TL.Select(TL.GreaterThan(x, TL.Create(0.0)), dy, TL.Create(0.0));
    }

    /// <summary><c>dx = dy if x &gt; 0 else slope · dy</c>.</summary>
    internal readonly struct LeakyReluBackwardFunction(double slope) : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy) => TL.Select(TL.GreaterThan(x, TL.Create(0f)), dy, TL.Create((float)slope) * dy);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy) => TL.Select(TL.GreaterThan(x, TL.Create(0.0)), dy, TL.Create(slope) * dy);
    }

    /// <summary><c>dx = dy · σ(x) · (1 + x·(1 - σ(x)))</c>, the derivative of <c>x·σ(x)</c>, with <c>1 - σ(x)</c> computed
    /// as <c>σ(-x)</c> (accurate for large x).</summary>
    internal readonly struct SiluBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy)
        {
            var s = SigmoidPairSingle<TV, TL>(x, out var oneMinusS);
            return dy * s * (TL.Create(1f) + x * oneMinusS);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy)
        {
            var s = SigmoidPairDouble<TV, TL>(x, out var oneMinusS);
            return dy * s * (TL.Create(1.0) + x * oneMinusS);
        }
    }

    /// <summary><c>dx = dy · (t + x·σ(x)·(1 - t²))</c> with <c>t = tanh(softplus(x)) = n/(n + 2)</c>, <c>n = eˣ(eˣ + 2)</c>,
    /// <c>σ(x) = eˣ/(1 + eˣ)</c> and <c>1 - t² = 4(n + 1)/(n + 2)²</c> (no cancellation); <c>dx = dy</c> past x = 15
    /// (float) or 40 (double), where the derivative is 1 at that precision.</summary>
    internal readonly struct MishBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy)
        {
            var one = TL.Create(1f);
            var e = ExpSingle<TV, TL>(x);
            var n = e * (e + TL.Create(2f));
            var n2 = n + TL.Create(2f);
            var derivative = n / n2 + x * (e / (one + e)) * (TL.Create(4f) * (n + one) / (n2 * n2));
            return TL.Select(TL.GreaterThan(x, TL.Create(15f)), dy, dy * derivative);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy)
        {
            var one = TL.Create(1.0);
            var e = ExpDouble<TV, TL>(x);
            var n = e * (e + TL.Create(2.0));
            var n2 = n + TL.Create(2.0);
            var derivative = n / n2 + x * (e / (one + e)) * (TL.Create(4.0) * (n + one) / (n2 * n2));
            return TL.Select(TL.GreaterThan(x, TL.Create(40.0)), dy, dy * derivative);
        }
    }

    /// <summary><c>dx = dy · (Φ(x) + x·φ(x))</c>, or for the tanh form (<c>y = x·σ(v)</c>, <c>v = 2u</c>)
    /// <c>dx = dy · (σ(v) + x·σ(v)(1 - σ(v))·v')</c>.</summary>
    internal readonly struct GeluBackwardFunction(bool approximateTanh) : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy)
        {
            if (approximateTanh)
            {
                var s = SigmoidPairSingle<TV, TL>(GeluTwiceInnerSingle<TV, TL>(x), out var oneMinusS);
                var dv = TL.Create(1.59576912160573071f) + TL.Create(3f * 0.0713548162726002527f) * (x * x);
                return dy * (s + x * (s * oneMinusS) * dv);
            }
            var cdf = NormalCdfSingle<TV, TL>(x, out var density);
            return dy * (cdf + x * density);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy)
        {
            if (approximateTanh)
            {
                var s = SigmoidPairDouble<TV, TL>(GeluTwiceInnerDouble<TV, TL>(x), out var oneMinusS);
                var dv = TL.Create(1.5957691216057308) + TL.Create(3 * 0.07135481627260025) * (x * x);
                return dy * (s + x * (s * oneMinusS) * dv);
            }
            var cdf = NormalCdfDouble<TV, TL>(x, out var density);
            return dy * (cdf + x * density);
        }
    }

    /// <summary><c>dx = dy if βx &gt; threshold else dy · σ(βx)</c>.</summary>
    internal readonly struct SoftplusBackwardFunction(double beta, double threshold) : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy)
        {
            var bx = TL.Create((float)beta) * x;
            return TL.Select(TL.GreaterThan(bx, TL.Create((float)threshold)), dy, dy * SigmoidSingle<TV, TL>(bx));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy)
        {
            var bx = TL.Create(beta) * x;
            return TL.Select(TL.GreaterThan(bx, TL.Create(threshold)), dy, dy * SigmoidDouble<TV, TL>(bx));
        }
    }

    /// <summary><c>dx = dy · e^(-x²) · 2/√π</c> (float: e^(-x²) without the rounding of x², <see cref="ExpOfMinusSquareSingle{TV, TL}"/>).</summary>
    internal readonly struct ErfBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy) =>
            dy * ExpOfMinusSquareSingle<TV, TL>(x & TL.Bits(AbsMask), half: false) * TL.Create(1.12837916709551257f);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy) =>
            dy * ExpDouble<TV, TL>(TL.Create(0.0) - x * x) * TL.Create(1.1283791670955126);
    }

    /// <summary><c>dx = dy · cos x</c>, the derivative of sin.</summary>
    internal readonly struct SinBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy) => dy * SinCosSingle<TV, TL>(x, cosine: true);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy) => dy * SinCosDouble<TV, TL>(x, cosine: true);
    }

    /// <summary><c>dx = -(dy · sin x)</c>, the derivative of cos (negated by flipping the sign bit).</summary>
    internal readonly struct CosBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy) => (dy * SinCosSingle<TV, TL>(x, cosine: false)) ^ TL.Bits(SignBit);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy) => (dy * SinCosDouble<TV, TL>(x, cosine: false)) ^ TL.Bits(SignBitD);
    }

    /// <summary><c>dx = dy / (1 + x)</c>, the derivative of log1p.</summary>
    internal readonly struct Log1pBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV x, TV dy) => dy / (x + TL.Create(1f));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV x, TV dy) => dy / (x + TL.Create(1.0));
    }

    /// <summary><c>dx = dy / (2y)</c> for <c>y = √x</c>.</summary>
    internal readonly struct SqrtBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV y, TV dy) => dy / (TL.Create(2f) * y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV y, TV dy) => dy / (TL.Create(2.0) * y);
    }

    /// <summary><c>dx = -½ · (dy · y³)</c> for <c>y = 1/√x</c>.</summary>
    internal readonly struct RsqrtBackwardFunction : IFunction2
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<float>.Invoke<TV, TL>(TV y, TV dy) => TL.Create(-0.5f) * (dy * (y * y * y));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction2<double>.Invoke<TV, TL>(TV y, TV dy) => TL.Create(-0.5) * (dy * (y * y * y));
    }
}
