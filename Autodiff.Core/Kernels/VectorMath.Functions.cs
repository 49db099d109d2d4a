using System.Runtime.CompilerServices;

namespace Autodiff.Kernels;

// The functions the element-wise kernels map over spans: each picks the float or double formula for its lanes.
internal static partial class VectorMath
{
    internal readonly struct ExpFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => ExpSingle<TV, TL>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => ExpDouble<TV, TL>(x);
    }

    internal readonly struct LogFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => LogSingle<TV, TL>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => LogDouble<TV, TL>(x);
    }

    internal readonly struct Log1pFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => Log1pSingle<TV, TL>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => Log1pDouble<TV, TL>(x);
    }

    internal readonly struct TanhFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => TanhSingle<TV, TL>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => TanhDouble<TV, TL>(x);
    }

    internal readonly struct SigmoidFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => SigmoidSingle<TV, TL>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => SigmoidDouble<TV, TL>(x);
    }

    internal readonly struct SinFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => SinCosSingle<TV, TL>(x, cosine: false);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => SinCosDouble<TV, TL>(x, cosine: false);
    }

    internal readonly struct CosFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => SinCosSingle<TV, TL>(x, cosine: true);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => SinCosDouble<TV, TL>(x, cosine: true);
    }

    /// <summary><c>√x</c>, correctly rounded.</summary>
    internal readonly struct SqrtFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => TL.Sqrt(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => TL.Sqrt(x);
    }

    /// <summary><c>1/√x</c>: a correctly rounded divide of a correctly rounded root (within 1.5 ulp).</summary>
    internal readonly struct RsqrtFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => TL.Create(1f) / TL.Sqrt(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => TL.Create(1.0) / TL.Sqrt(x);
    }

    /// <summary><c>erf x</c>.</summary>
    internal readonly struct ErfFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => ErfSingle<TV, TL>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => ErfDouble<TV, TL>(x);
    }

    /// <summary>Softplus <c>ln(1 + e^(βx))/β</c>, and <c>x</c> where <c>βx &gt; threshold</c> (as PyTorch); within 2 ulp
    /// for β = 1 (float).</summary>
    internal readonly struct SoftplusFunction(double beta, double threshold) : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x)
        {
            var b = TL.Create((float)beta);
            var bx = b * x;
            return TL.Select(TL.GreaterThan(bx, TL.Create((float)threshold)), x, LogOnePlusExpSingle<TV, TL>(bx) / b);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x)
        {
            var b = TL.Create(beta);
            var bx = b * x;
            return TL.Select(TL.GreaterThan(bx, TL.Create(threshold)), x, LogOnePlusExpDouble<TV, TL>(bx) / b);
        }
    }

    /// <summary><c>max(x, 0)</c> as <c>x ≤ 0 ? 0 : x</c>: NaN passes through, -0 becomes 0.</summary>
    internal readonly struct ReluFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => TL.Select(TL.LessThanOrEqual(x, TL.Create(0f)), TL.Create(0f), x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => TL.Select(TL.LessThanOrEqual(x, TL.Create(0.0)), TL.Create(0.0), x);
    }

    /// <summary><c>x &gt; 0 ? x : slope·x</c>.</summary>
    internal readonly struct LeakyReluFunction(double slope) : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => TL.Select(TL.GreaterThan(x, TL.Create(0f)), x, TL.Create((float)slope) * x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => TL.Select(TL.GreaterThan(x, TL.Create(0.0)), x, TL.Create(slope) * x);
    }

    /// <summary>SiLU <c>x·σ(x)</c>, within 3 ulp (float) where σ(x) is a normal float (x ≥ -87.3; below, σ(x) is a
    /// denormal and the product is within |x| denormal steps).</summary>
    internal readonly struct SiluFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x) => x * SigmoidSingle<TV, TL>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x) => x * SigmoidDouble<TV, TL>(x);
    }

    /// <summary>GELU: <c>x·Φ(x)</c>, or with the tanh approximation <c>½x(1 + tanh u) = x·σ(2u)</c>,
    /// <c>u = √(2/π)(x + 0.044715x³)</c> (the σ form keeps its relative accuracy for negative x, where <c>1 + tanh u</c>
    /// cancels). Float bounds: the exact form within 6 ulp (Φ from <see cref="NormalCdfSingle{TV, TL}"/>, accurate far into
    /// the lower tail; below x = -13, Φ is a denormal; the worst case, 5.3 ulp at every 257th bit pattern, lies near
    /// x = -1.39, where Φ = (1 - erf(x/√2))/2 still cancels a little); the tanh form within <c>4 + 2.5|2u|</c> ulp, the second term being
    /// the rounding of u in float, which σ(2u) amplifies in the lower tail. Double lanes use
    /// <see cref="NormalCdfDouble{TV, TL}"/>.</summary>
    internal readonly struct GeluFunction(bool approximateTanh) : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x)
        {
            if (approximateTanh) return x * SigmoidSingle<TV, TL>(GeluTwiceInnerSingle<TV, TL>(x));
            return x * NormalCdfSingle<TV, TL>(x, out _);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x)
        {
            if (approximateTanh) return x * SigmoidDouble<TV, TL>(GeluTwiceInnerDouble<TV, TL>(x));
            return x * NormalCdfDouble<TV, TL>(x, out _);
        }
    }

    /// <summary>Mish <c>x·tanh(ln(1 + eˣ))</c>, as <c>x·n/(n + 2)</c> with <c>n = eˣ(eˣ + 2)</c> (the same value:
    /// <c>tanh(ln w) = (w² - 1)/(w² + 1)</c>), and <c>x</c> itself past x = 15, where the fraction is 1 in float. Within
    /// 5 ulp (float) where eˣ is normal (x ≥ -87.3).</summary>
    internal readonly struct MishFunction : IFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<float>.Invoke<TV, TL>(TV x)
        {
            var e = ExpSingle<TV, TL>(x);
            var n = e * (e + TL.Create(2f));
            return TL.Select(TL.GreaterThan(x, TL.Create(15f)), x, x * (n / (n + TL.Create(2f))));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        TV IVectorFunction<double>.Invoke<TV, TL>(TV x)
        {
            var e = ExpDouble<TV, TL>(x);
            var n = e * (e + TL.Create(2.0));
            return TL.Select(TL.GreaterThan(x, TL.Create(40.0)), x, x * (n / (n + TL.Create(2.0))));
        }
    }

    /// <summary><c>2u = 2√(2/π)(x + 0.044715x³)</c>, written <c>x·(c₁ + c₂x²)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV GeluTwiceInnerSingle<TV, TL>(TV x)
        where TV : struct, System.Numerics.IAdditionOperators<TV, TV, TV>, System.Numerics.ISubtractionOperators<TV, TV, TV>,
            System.Numerics.IMultiplyOperators<TV, TV, TV>, System.Numerics.IDivisionOperators<TV, TV, TV>, System.Numerics.IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, float> =>
        x * (TL.Create(1.59576912160573071f) + TL.Create(0.0713548162726002527f) * (x * x));

    /// <inheritdoc cref="GeluTwiceInnerSingle{TV, TL}(TV)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV GeluTwiceInnerDouble<TV, TL>(TV x)
        where TV : struct, System.Numerics.IAdditionOperators<TV, TV, TV>, System.Numerics.ISubtractionOperators<TV, TV, TV>,
            System.Numerics.IMultiplyOperators<TV, TV, TV>, System.Numerics.IDivisionOperators<TV, TV, TV>, System.Numerics.IBitwiseOperators<TV, TV, TV>
        where TL : ILanes<TV, double> =>
        x * (TL.Create(1.5957691216057308) + TL.Create(0.07135481627260025) * (x * x));
}
