using System.Runtime.Intrinsics;
using Autodiff.Kernels;

namespace Autodiff.Tests.Kernels;

/// <summary>The SIMD transcendentals of Kernels/VectorMath*.cs: float32 accuracy against double precision over a strided
/// sweep of all 2³² bit patterns, float64 accuracy against <see cref="Math"/>, IEEE special values, and results that
/// depend neither on where an element sits in a span nor on the vector width.</summary>
public class VectorMathTests
{
    private delegate void Kernel(ReadOnlySpan<float> x, Span<float> destination);

    private static Kernel F<TF>(TF f) where TF : struct, VectorMath.IFunction => (x, d) => VectorMath.Map(f, x, d);

    private static readonly Dictionary<string, (Kernel Kernel, Func<double, double> Reference)> Functions = new()
    {
        ["Exp"] = (VectorMath.Map<VectorMath.ExpFunction>, Math.Exp),
        ["Log"] = (VectorMath.Map<VectorMath.LogFunction>, Math.Log),
        ["Log1p"] = (VectorMath.Map<VectorMath.Log1pFunction>, Reference.Log1p),
        ["Tanh"] = (VectorMath.Map<VectorMath.TanhFunction>, Math.Tanh),
        ["Sigmoid"] = (VectorMath.Map<VectorMath.SigmoidFunction>, Reference.Sigmoid),
        ["Sin"] = (VectorMath.Map<VectorMath.SinFunction>, Math.Sin),
        ["Cos"] = (VectorMath.Map<VectorMath.CosFunction>, Math.Cos),
        ["Erf"] = (VectorMath.Map<VectorMath.ErfFunction>, Reference.Erf),
        ["Softplus"] = (F(new VectorMath.SoftplusFunction(1, 20)), x => x > 20 ? x : Reference.LogOnePlusExp(x)),
        ["Gelu"] = (F(new VectorMath.GeluFunction(false)), x => x * Reference.NormalCdf(x)),
        ["GeluTanh"] = (F(new VectorMath.GeluFunction(true)), x => x * Reference.Sigmoid(2 * Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        ["Silu"] = (VectorMath.Map<VectorMath.SiluFunction>, x => x * Reference.Sigmoid(x)),
        ["Mish"] = (VectorMath.Map<VectorMath.MishFunction>, x => x * Math.Tanh(Reference.LogOnePlusExp(x))),
        ["Rsqrt"] = (VectorMath.Map<VectorMath.RsqrtFunction>, x => 1 / Math.Sqrt(x)),
        ["Pow2.5"] = ((x, d) => Elementwise.Pow(x, 2.5f, d), x => Math.Pow(x, 2.5f)),
        ["Pow-0.7"] = ((x, d) => Elementwise.Pow(x, -0.7f, d), x => Math.Pow(x, -0.7f)),        // the exponent is a float too

        ["Pow3"] = ((x, d) => Elementwise.Pow(x, 3f, d), x => x * x * x),
        ["Pow-2"] = ((x, d) => Elementwise.Pow(x, -2f, d), x => 1 / (x * x)),
    };

    private static readonly Lazy<float[]> Sweep = new(BuildSweep);

    /// <summary>The sweep's step through the 2³² float bit patterns: 4099 (a prime, so every binade and both signs get
    /// about 250 samples each) keeps the 16 sweeps near 4 s on two shared cores; a step of 257 checks 16 times as many
    /// patterns in about a minute, for a local run after changing a formula.</summary>
    private const long SweepStride = 4099;

    /// <summary>Every <see cref="SweepStride"/>th float bit pattern (all signs, binades, denormals, infinities and NaNs), the IEEE specials and
    /// the overflow/underflow thresholds with their neighbours, plus dense values in [-20, 20], where training spends its time.</summary>
    private static float[] BuildSweep()
    {
        var values = new List<float>((int)((1L << 32) / SweepStride) + 300_000);
        for (long bits = 0; bits < 1L << 32; bits += SweepStride) values.Add(BitConverter.Int32BitsToSingle((int)(uint)bits));
        float[] specials = [0f, -0f, float.Epsilon, -float.Epsilon, 1.17549435e-38f, -1.17549435e-38f, 1.1754942e-38f,
            float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1f, -1f,
            88.72283f, 88.72284f, -87.33655f, -103.27893f, -103.97208f, -104f, 89f, 3.92f, -3.92f, 1f, 0.625f, 8192f, 8192.5f];
        foreach (var s in specials)
        {
            float up = s, down = s;
            values.Add(s);
            for (int k = 0; k < 8 && float.IsFinite(s); k++) values.Add(up = MathF.BitIncrement(up));
            for (int k = 0; k < 8 && float.IsFinite(s); k++) values.Add(down = MathF.BitDecrement(down));
        }
        var rng = new Random(7);
        for (int i = 0; i < 200_000; i++) values.Add((float)(rng.NextDouble() * 40 - 20));
        return [.. values];
    }

    /// <summary>|got - want| in units of the float spacing at want (the smaller spacing at a power of two): a relative
    /// measure, so erf and tanh near 0 are measured against their own size.</summary>
    private static double Ulps(float got, double want)
    {
        float rounded = (float)want;
        if (double.IsNaN(want) || float.IsInfinity(rounded) || float.IsInfinity(got))
            return got.Equals(rounded) ? 0 : double.PositiveInfinity;
        float a = MathF.Abs(rounded);
        double spacing = a == 0 ? float.Epsilon : Math.Min(MathF.BitIncrement(a) - a, a - MathF.BitDecrement(a));
        return Math.Abs(got - want) / Math.Max(spacing, float.Epsilon);
    }

    // The bounds stated in the formulas' docs (VectorMath.Single.cs, VectorMath.Functions.cs, VectorMath.Backward.cs).
    [TestCase("Exp", 2.0)]
    [TestCase("Log", 1.0)]
    [TestCase("Log1p", 2.0)]
    [TestCase("Tanh", 2.0)]
    [TestCase("Sigmoid", 3.0)]
    [TestCase("Erf", 2.0)]
    [TestCase("Softplus", 2.0)]
    [TestCase("Gelu", 6.0)]
    [TestCase("GeluTanh", 4.0)]
    [TestCase("Silu", 3.0)]
    [TestCase("Mish", 5.0)]
    [TestCase("Rsqrt", 1.5)]
    [TestCase("Pow2.5", 1.0)]
    [TestCase("Pow-0.7", 1.0)]
    [TestCase("Pow3", 1.5)]
    [TestCase("Pow-2", 1.5)]
    public void Kernel_IsWithinItsUlpBound_OverAStridedSweepOfAllFloats(string name, double maxUlps)
    {
        var (kernel, reference) = Functions[name];
        var x = Sweep.Value;
        var y = new float[x.Length];
        kernel(x, y);
        var errors = new double[x.Length];
        Parallel.For(0, (x.Length + 65535) / 65536, chunk =>                            // the double references dominate
        {
            for (int i = chunk * 65536; i < Math.Min(x.Length, (chunk + 1) * 65536); i++)
                errors[i] = Ulps(y[i], reference(x[i])) - Slack(name, x[i]);
        });
        double worst = 0;
        float worstX = 0;
        for (int i = 0; i < x.Length; i++)
            if (errors[i] > worst || double.IsNaN(errors[i])) (worst, worstX) = (double.IsNaN(errors[i]) ? double.PositiveInfinity : errors[i], x[i]);
        Assert.That(worst, Is.LessThanOrEqualTo(maxUlps),
            $"{name}({worstX:R}) = {RunOne(kernel, worstX):R}, double precision gives {reference(worstX):R}: {worst:F2} ulp > {maxUlps}");
    }

    /// <summary>Ulps beyond the stated bound that a function may lose where float itself forces it: x·σ(x) (SiLU) and
    /// Mish below x = -87.3, and GELU below -13, where σ(x), eˣ or Φ(x) is a denormal with fixed absolute spacing (at most
    /// |x| more steps); <c>Pow(-2)</c> as <c>1/(x·x)</c> (as PyTorch), which is 0 once x·x overflows and loses bits once
    /// x·x is a denormal (|x| &lt; 1.1e-19); and
    /// GELU's tanh form, whose argument <c>v = 2u</c> rounded in float carries a relative error that σ(v) turns into
    /// <c>|v|·2^-24</c> (at most 2.5|v| more ulp; PyTorch's <c>1 + tanh</c> loses everything there instead).</summary>
    private static double Slack(string name, float x)
    {
        double denormal = x < -87.3 ? Math.Abs(x) : 0;
        if (name is "Silu" or "Mish") return denormal;
        if (name == "Gelu") return x < -13 ? Math.Abs(x) : 0;                            // Φ(x) < 2^-126
        if (name == "Pow-2") return Math.Abs(x) is > 1.8446743e19f or < 1.0842022e-19f ? double.PositiveInfinity : 0;   // x·x not normal
        if (name != "GeluTanh" || !float.IsFinite(x)) return 0;
        double v = 2 * Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
        return 2.5 * Math.Abs(v) + (v < -87.3 ? Math.Abs(x) : 0);
    }

    private static float RunOne(Kernel kernel, float x)
    {
        var y = new float[1];
        kernel([x], y);
        return y[0];
    }

    [TestCase("Exp", float.NaN, float.NaN)]
    [TestCase("Exp", float.PositiveInfinity, float.PositiveInfinity)]
    [TestCase("Exp", float.NegativeInfinity, 0f)]
    [TestCase("Exp", 0f, 1f)]
    [TestCase("Exp", -0f, 1f)]
    [TestCase("Exp", 88.72284f, float.PositiveInfinity)]        // just above ln(float.MaxValue)
    [TestCase("Exp", -103.27893f, 1.401298E-45f)]              // rounds to the smallest denormal
    [TestCase("Exp", -104f, 0f)]
    [TestCase("Exp", float.MaxValue, float.PositiveInfinity)]
    [TestCase("Exp", float.MinValue, 0f)]
    [TestCase("Exp", 1.401298E-45f, 1f)]
    [TestCase("Log", float.NaN, float.NaN)]
    [TestCase("Log", 0f, float.NegativeInfinity)]
    [TestCase("Log", -0f, float.NegativeInfinity)]
    [TestCase("Log", -1f, float.NaN)]
    [TestCase("Log", float.NegativeInfinity, float.NaN)]
    [TestCase("Log", float.PositiveInfinity, float.PositiveInfinity)]
    [TestCase("Log", 1f, 0f)]
    [TestCase("Log", 1.401298E-45f, -103.27893f)]              // smallest denormal
    [TestCase("Log", float.MaxValue, 88.72284f)]
    [TestCase("Log1p", float.NaN, float.NaN)]
    [TestCase("Log1p", -1f, float.NegativeInfinity)]
    [TestCase("Log1p", -2f, float.NaN)]
    [TestCase("Log1p", float.PositiveInfinity, float.PositiveInfinity)]
    [TestCase("Log1p", float.NegativeInfinity, float.NaN)]
    [TestCase("Log1p", 0f, 0f)]
    [TestCase("Log1p", -0f, -0f)]
    [TestCase("Log1p", 1E-30f, 1E-30f)]
    [TestCase("Log1p", float.MaxValue, 88.72284f)]
    [TestCase("Tanh", float.NaN, float.NaN)]
    [TestCase("Tanh", float.PositiveInfinity, 1f)]
    [TestCase("Tanh", float.NegativeInfinity, -1f)]
    [TestCase("Tanh", 0f, 0f)]
    [TestCase("Tanh", -0f, -0f)]
    [TestCase("Tanh", 1E-30f, 1E-30f)]
    [TestCase("Tanh", -1.401298E-45f, -1.401298E-45f)]
    [TestCase("Tanh", 50f, 1f)]
    [TestCase("Tanh", float.MinValue, -1f)]
    [TestCase("Sigmoid", float.NaN, float.NaN)]
    [TestCase("Sigmoid", float.PositiveInfinity, 1f)]
    [TestCase("Sigmoid", float.NegativeInfinity, 0f)]
    [TestCase("Sigmoid", 0f, 0.5f)]
    [TestCase("Sigmoid", -0f, 0.5f)]
    [TestCase("Sigmoid", 100f, 1f)]
    [TestCase("Sigmoid", -100f, 3.7200760E-44f)]                // e^-100: a denormal, not 1/∞ = 0
    [TestCase("Sigmoid", float.MinValue, 0f)]
    [TestCase("Erf", float.NaN, float.NaN)]
    [TestCase("Erf", float.PositiveInfinity, 1f)]
    [TestCase("Erf", float.NegativeInfinity, -1f)]
    [TestCase("Erf", 0f, 0f)]
    [TestCase("Erf", -0f, -0f)]
    [TestCase("Erf", 10f, 1f)]
    [TestCase("Erf", -4f, -1f)]
    [TestCase("Softplus", float.NaN, float.NaN)]
    [TestCase("Softplus", float.PositiveInfinity, float.PositiveInfinity)]
    [TestCase("Softplus", float.NegativeInfinity, 0f)]
    [TestCase("Softplus", 0f, 0.6931472f)]
    [TestCase("Softplus", -100f, 3.7200760E-44f)]
    [TestCase("Gelu", float.NaN, float.NaN)]
    [TestCase("Gelu", float.PositiveInfinity, float.PositiveInfinity)]
    [TestCase("Gelu", 0f, 0f)]
    [TestCase("Gelu", 10f, 10f)]
    [TestCase("Gelu", -20f, -0f)]
    [TestCase("GeluTanh", float.PositiveInfinity, float.PositiveInfinity)]
    [TestCase("GeluTanh", 0f, 0f)]
    [TestCase("Sin", float.NaN, float.NaN)]
    [TestCase("Sin", float.PositiveInfinity, float.NaN)]
    [TestCase("Sin", float.NegativeInfinity, float.NaN)]
    [TestCase("Sin", 0f, 0f)]
    [TestCase("Sin", -0f, -0f)]
    [TestCase("Sin", 1E-30f, 1E-30f)]
    [TestCase("Sin", -1.401298E-45f, -1.401298E-45f)]
    [TestCase("Cos", float.NaN, float.NaN)]
    [TestCase("Cos", float.PositiveInfinity, float.NaN)]
    [TestCase("Cos", 0f, 1f)]
    [TestCase("Cos", -0f, 1f)]
    [TestCase("Cos", 1E-30f, 1f)]
    [TestCase("Rsqrt", 0f, float.PositiveInfinity)]
    [TestCase("Rsqrt", -1f, float.NaN)]
    [TestCase("Rsqrt", float.PositiveInfinity, 0f)]
    [TestCase("Pow2.5", 0f, 0f)]
    [TestCase("Pow2.5", -0f, 0f)]
    [TestCase("Pow2.5", -1f, float.NaN)]
    [TestCase("Pow2.5", 1f, 1f)]
    [TestCase("Pow2.5", float.PositiveInfinity, float.PositiveInfinity)]
    [TestCase("Pow2.5", float.NegativeInfinity, float.PositiveInfinity)]
    [TestCase("Pow-0.7", 0f, float.PositiveInfinity)]
    [TestCase("Pow-0.7", float.PositiveInfinity, 0f)]
    [TestCase("Pow-0.7", float.NaN, float.NaN)]
    [TestCase("Pow3", -0f, -0f)]
    [TestCase("Pow3", -2f, -8f)]
    [TestCase("Pow-2", 0f, float.PositiveInfinity)]
    public void Kernel_GivesTheIeeeValue_ForSpecialInputs(string name, float x, float expected)
    {
        float y = RunOne(Functions[name].Kernel, x);
        Assert.That(BitConverter.SingleToInt32Bits(y), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)).Or.Matches<int>(
            _ => float.IsNaN(expected) && float.IsNaN(y)), $"{name}({x:R}) = {y:R}, expected {expected:R}");
    }

    [TestCase(-3f)]
    [TestCase(-1f)]
    [TestCase(5f)]
    [TestCase(-5f)]
    public void Pow_OddAndEvenIntegerExponents_KeepTheSignOfNegativeBases(float p)
    {
        float[] x = [-2f, -0.5f, -0f, 0f, 3f, float.NegativeInfinity];
        var y = new float[x.Length];
        Elementwise.Pow(x, p, y);
        for (int i = 0; i < x.Length; i++)
            Assert.That(y[i], Is.EqualTo(MathF.Pow(x[i], p)).Within(1e-6 * Math.Abs(MathF.Pow(x[i], p))), $"{x[i]}^{p}");
    }

    [TestCase(88.72283f)]                                          // overflow to +∞
    [TestCase(-87.33655f)]                                         // results leave the normal range
    [TestCase(-103.97208f)]                                        // results round to 0
    public void Exp_IsWithin1Ulp_AroundTheOverflowAndUnderflowBoundaries(float boundary)
    {
        var x = new float[2001];
        x[1000] = boundary;
        for (int i = 1001; i < x.Length; i++) x[i] = MathF.BitIncrement(x[i - 1]);
        for (int i = 999; i >= 0; i--) x[i] = MathF.BitDecrement(x[i + 1]);
        var y = new float[x.Length];
        VectorMath.Map<VectorMath.ExpFunction>(x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.That(Ulps(y[i], Math.Exp(x[i])), Is.LessThanOrEqualTo(1.0), $"Exp({x[i]:R}) = {y[i]:R}, double precision gives {Math.Exp(x[i]):R}");
    }

    [Test]
    public void Gelu_KeepsItsRelativeAccuracy_FarInTheLowerTail()
    {
        // x·Φ(x) with Φ from e^(-x²/2)·Q: no cancellation in 1 + erf, so even GELU(-12) ≈ -2e-32 has float accuracy
        // (below -13, Φ(x) is a denormal).
        var x = Enumerable.Range(0, 2000).Select(i => -1.5f - i * 0.00585f).ToArray();          // [-13.2, -1.5]
        var y = new float[x.Length];
        VectorMath.Map(new VectorMath.GeluFunction(false), x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.That(Ulps(y[i], x[i] * Reference.NormalCdf(x[i])), Is.LessThanOrEqualTo(x[i] < -13 ? 6.0 - x[i] : 6.0), $"Gelu({x[i]:R}) = {y[i]:R}");
    }

    [TestCase("Sin")]
    [TestCase("Cos")]
    public void SinCos_AreWithin1Point5Ulp_Near0_AndWithin1e7_Everywhere(string name)
    {
        // Three-part π/2 reduction: the error it leaves is absolute, so it shows as more ulps only near the zeros of
        // sin and cos far from 0; beyond |x| = 8192 a lane is MathF's.
        var (kernel, reference) = Functions[name];
        var rng = new Random(11);
        var dense = Enumerable.Range(0, 200_000).Select(_ => (float)(rng.NextDouble() * 40 - 20)).ToArray();
        var y = new float[dense.Length];
        kernel(dense, y);
        for (int i = 0; i < dense.Length; i++)
            Assert.That(Ulps(y[i], reference(dense[i])), Is.LessThanOrEqualTo(1.5), $"{name}({dense[i]:R}) = {y[i]:R}");
        var wide = Sweep.Value.Where(float.IsFinite).ToArray();
        y = new float[wide.Length];
        kernel(wide, y);
        for (int i = 0; i < wide.Length; i++)
            if (Math.Abs(y[i] - reference(wide[i])) > 1e-7)
                Assert.Fail($"{name}({wide[i]:R}) = {y[i]:R}, double precision gives {reference(wide[i]):R}");
    }

    [Test]
    public void SinCos_LargeLanes_AreMathF_AndLeaveTheirNeighboursAlone()
    {
        float[] x = [0.5f, 1e6f, -2f, 3e38f, 8192.5f, float.PositiveInfinity, 1f, -100000f, 0.25f];
        var sin = new float[x.Length];
        var cos = new float[x.Length];
        VectorMath.Map<VectorMath.SinFunction>(x, sin);
        VectorMath.Map<VectorMath.CosFunction>(x, cos);
        foreach (int i in new[] { 1, 3, 4, 5, 7 })
        {
            Assert.That(sin[i], Is.EqualTo(MathF.Sin(x[i])), $"sin({x[i]:R})");
            Assert.That(cos[i], Is.EqualTo(MathF.Cos(x[i])), $"cos({x[i]:R})");
        }
        foreach (int i in new[] { 0, 2, 6, 8 })
            Assert.That(sin[i], Is.EqualTo(RunOne(VectorMath.Map<VectorMath.SinFunction>, x[i])), $"sin({x[i]:R}) beside large lanes");
    }

    /// <summary>The fused float32 derivatives against their double-precision formulas (the gradient checks run in float64,
    /// so they would not see a wrong float branch): relative error within 1e-6 on [-10, 10], plus 3e-7·|dy| absolute for
    /// the derivatives that are sums of terms and cross zero (GELU, SiLU, Mish), where the sum cancels.</summary>
    [TestCase("GeluBackward")]
    [TestCase("GeluTanhBackward")]
    [TestCase("SiluBackward")]
    [TestCase("MishBackward")]
    [TestCase("SoftplusBackward")]
    [TestCase("ErfBackward")]
    [TestCase("PowBackward")]
    [TestCase("SinBackward")]
    [TestCase("CosBackward")]
    [TestCase("Log1pBackward")]
    [TestCase("LeakyReluBackward")]
    public void FusedBackward_Float32_MatchesItsDerivativeInDoublePrecision(string name)
    {
        double Sigmoid(double v) => Reference.Sigmoid(v);
        Func<double, double> derivative = name switch
        {
            "GeluBackward" => v => Reference.NormalCdf(v) + v * Math.Exp(-v * v / 2) / Math.Sqrt(2 * Math.PI),
            "GeluTanhBackward" => v =>
            {
                double c = 2 * Math.Sqrt(2 / Math.PI), s = Sigmoid(c * (v + 0.044715 * v * v * v));
                return s + v * s * (1 - s) * c * (1 + 3 * 0.044715 * v * v);
            },
            "SiluBackward" => v => Sigmoid(v) * (1 + v * (1 - Sigmoid(v))),
            "MishBackward" => v =>
            {
                double t = Math.Tanh(Reference.LogOnePlusExp(v));
                return t + v * Sigmoid(v) * (1 - t * t);
            },
            "SoftplusBackward" => v => Sigmoid(v),
            "ErfBackward" => v => 2 / Math.Sqrt(Math.PI) * Math.Exp(-v * v),
            "PowBackward" => v => 2 * v,
            "SinBackward" => Math.Cos,
            "CosBackward" => v => -Math.Sin(v),
            "Log1pBackward" => v => 1 / (1 + v),
            _ => v => v > 0 ? 1 : 0.2,
        };
        var (_, single, _) = AllKernels().Single(k => k.Name == name);
        var rng = new Random(23);
        var x = Enumerable.Range(0, 20_000).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
        if (name == "Log1pBackward") x = [.. x.Select(v => v / 10.5f)];                 // keep 1 + x away from 0
        var dy = Enumerable.Range(0, x.Length).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var dx = new float[x.Length];
        single(x, dy, dx, VectorMath.UsesVector512);
        for (int i = 0; i < x.Length; i++)
        {
            double want = dy[i] * derivative(x[i]);
            double cancelling = name is "GeluBackward" or "GeluTanhBackward" or "SiluBackward" or "MishBackward" ? 3e-7 * Math.Abs(dy[i]) : 0;
            Assert.That(dx[i], Is.EqualTo(want).Within(1e-6 * Math.Abs(want) + cancelling + 1e-38), $"{name}: x = {x[i]:R}, dy = {dy[i]:R}");
        }
    }

    // ---- float64 ------------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, (VectorMath.IFunction Function, Func<double, double> Reference, double MaxUlps)> Doubles = new()
    {
        ["Exp"] = (new VectorMath.ExpFunction(), Math.Exp, 1.0),
        ["Log"] = (new VectorMath.LogFunction(), Math.Log, 1.0),
        ["Log1p"] = (new VectorMath.Log1pFunction(), Reference.Log1p, 2.0),
        ["Tanh"] = (new VectorMath.TanhFunction(), Math.Tanh, 2.0),
        ["Sigmoid"] = (new VectorMath.SigmoidFunction(), Reference.Sigmoid, 2.0),
        ["Sin"] = (new VectorMath.SinFunction(), Math.Sin, 2.0),
        ["Cos"] = (new VectorMath.CosFunction(), Math.Cos, 2.0),
    };

    /// <summary>Random values over many binades, dense values in [-30, 30], and the IEEE specials.</summary>
    private static double[] DoubleSample()
    {
        var rng = new Random(5);
        var values = new List<double> { 0.0, -0.0, double.Epsilon, -double.Epsilon, 2.2250738585072014e-308, double.MaxValue,
            double.MinValue, double.PositiveInfinity, double.NegativeInfinity, double.NaN, 1, -1, 709.78, 709.79, -708.4, -745.1,
            -745.2, -746, 1e-300, 0.625, -0.625, 100, -100, Math.PI / 2, Math.PI, 1e5 };
        for (int i = 0; i < 100_000; i++) values.Add(rng.NextDouble() * 60 - 30);
        for (int i = 0; i < 100_000; i++) values.Add((rng.Next(2) * 2 - 1) * Math.Pow(2, rng.NextDouble() * 2000 - 1000) * rng.NextDouble());
        return [.. values];
    }

    private static double DoubleUlps(double got, double want)
    {
        if (double.IsNaN(want) || double.IsInfinity(want) || double.IsInfinity(got))
            return got.Equals(want) ? 0 : double.PositiveInfinity;
        double a = Math.Abs(want);
        double spacing = a == 0 ? double.Epsilon : Math.Min(Math.BitIncrement(a) - a, a - Math.BitDecrement(a));
        return Math.Abs(got - want) / Math.Max(spacing, double.Epsilon);
    }

    [TestCase("Exp")]
    [TestCase("Log")]
    [TestCase("Log1p")]
    [TestCase("Tanh")]
    [TestCase("Sigmoid")]
    [TestCase("Sin")]
    [TestCase("Cos")]
    public void Double_IsWithinItsUlpBound_OfMath(string name)
    {
        var (function, reference, maxUlps) = Doubles[name];
        var x = DoubleSample();
        var y = new double[x.Length];
        MapDouble(function, x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double error = DoubleUlps(y[i], reference(x[i]));
            if (!(error <= maxUlps))
                Assert.Fail($"{name}({x[i]:R}) = {y[i]:R}, Math gives {reference(x[i]):R}: {error:F2} ulp > {maxUlps}");
        }
    }

    private static void MapDouble(VectorMath.IFunction function, ReadOnlySpan<double> x, Span<double> y)
    {
        switch (function)
        {
            case VectorMath.ExpFunction f: VectorMath.Map(f, x, y); break;
            case VectorMath.LogFunction f: VectorMath.Map(f, x, y); break;
            case VectorMath.Log1pFunction f: VectorMath.Map(f, x, y); break;
            case VectorMath.TanhFunction f: VectorMath.Map(f, x, y); break;
            case VectorMath.SigmoidFunction f: VectorMath.Map(f, x, y); break;
            case VectorMath.SinFunction f: VectorMath.Map(f, x, y); break;
            case VectorMath.CosFunction f: VectorMath.Map(f, x, y); break;
            default: throw new ArgumentException(function.GetType().Name);
        }
    }

    [TestCase(0.1, 0.1124629160182848922, false)]
    [TestCase(0.5, 0.5204998778130465377, false)]
    [TestCase(1.0, 0.8427007929497148693, false)]
    [TestCase(-1.0, -0.8427007929497148693, false)]
    [TestCase(2.0, 0.9953222650189527342, false)]
    [TestCase(3.0, 0.9999779095030014146, false)]
    [TestCase(1e-300, 1.1283791670955126e-300, false)]
    [TestCase(5.0, 1.5374597944280348502e-12, true)]
    [TestCase(10.0, 2.0884875837625447570e-45, true)]
    [TestCase(-1.0, 1.8427007929497148693, true)]
    [TestCase(0.5, 0.4795001221869534623, true)]
    public void Double_Erf_AndErfc_AreWithin2Ulp_OfKnownValues(double x, double expected, bool complement)
    {
        var y = new double[1];
        if (complement) VectorMath.Map(new ErfcFunction(), [x], y, VectorMath.UsesVector512);
        else VectorMath.Map(new VectorMath.ErfFunction(), (ReadOnlySpan<double>)[x], y);
        Assert.That(DoubleUlps(y[0], expected), Is.LessThanOrEqualTo(2.0), $"{(complement ? "erfc" : "erf")}({x:R}) = {y[0]:R}, expected {expected:R}");
    }

    [Test]
    public void Double_Erf_MatchesTheSeriesAndTheContinuedFraction_AndErfPlusErfcIsOne()
    {
        var rng = new Random(2);
        var x = Enumerable.Range(0, 20_000).Select(_ => rng.NextDouble() * 12 - 6).Append(double.PositiveInfinity)
            .Append(double.NegativeInfinity).Append(0.84375).Append(1.25).Append(1 / 0.35).Append(6).Append(28).Append(30).ToArray();
        var erf = new double[x.Length];
        var erfc = new double[x.Length];
        VectorMath.Map(new VectorMath.ErfFunction(), (ReadOnlySpan<double>)x, erf);
        VectorMath.Map(new ErfcFunction(), x, erfc, VectorMath.UsesVector512);
        for (int i = 0; i < x.Length; i++)
        {
            if (Math.Abs(x[i]) < 2) Assert.That(erf[i], Is.EqualTo(SpecialFunctions.Erf(x[i])).Within(2e-15), $"erf({x[i]:R})");
            Assert.That(erf[i] + erfc[i], Is.EqualTo(1.0).Within(3e-16), $"erf + erfc at {x[i]:R}");
            if (x[i] > 3 && double.IsFinite(x[i]))                                   // erfc(x) = 2Φ(-x√2), the continued fraction
                Assert.That(erfc[i], Is.EqualTo(2 * Reference.NormalCdf(-x[i] * Math.Sqrt(2))).Within(1e-10).Percent, $"erfc({x[i]:R})");
        }
        Assert.That(erf[^8], Is.EqualTo(1.0));
        Assert.That(erf[^7], Is.EqualTo(-1.0));
    }

    private readonly struct ErfcFunction : VectorMath.IVectorFunction<double>
    {
        public TV Invoke<TV, TL>(TV x)
            where TV : struct, System.Numerics.IAdditionOperators<TV, TV, TV>, System.Numerics.ISubtractionOperators<TV, TV, TV>,
                System.Numerics.IMultiplyOperators<TV, TV, TV>, System.Numerics.IDivisionOperators<TV, TV, TV>, System.Numerics.IBitwiseOperators<TV, TV, TV>
            where TL : ILanes<TV, double> => VectorMath.ErfcDouble<TV, TL>(x);
    }

    // ---- bits independent of position and width ----------------------------------------------------------------------

    /// <summary>Every unary and fused backward kernel, float and double, as "run at this width" closures.</summary>
    private static IEnumerable<(string Name, Action<float[], float[], float[], bool> Single, Action<double[], double[], double[], bool> Double)> AllKernels()
    {
        (string, Action<float[], float[], float[], bool>, Action<double[], double[], double[], bool>) Unary<TF>(string name, TF f)
            where TF : struct, VectorMath.IFunction =>
            (name, (x, _, d, wide) => VectorMath.Map(f, x, d, wide), (x, _, d, wide) => VectorMath.Map(f, x, d, wide));
        (string, Action<float[], float[], float[], bool>, Action<double[], double[], double[], bool>) Binary<TF>(string name, TF f)
            where TF : struct, VectorMath.IFunction2 =>
            (name, (a, b, d, wide) => VectorMath.Map2(f, a, b, d, wide), (a, b, d, wide) => VectorMath.Map2(f, a, b, d, wide));

        yield return Unary("Exp", new VectorMath.ExpFunction());
        yield return Unary("Log", new VectorMath.LogFunction());
        yield return Unary("Log1p", new VectorMath.Log1pFunction());
        yield return Unary("Tanh", new VectorMath.TanhFunction());
        yield return Unary("Sigmoid", new VectorMath.SigmoidFunction());
        yield return Unary("Sin", new VectorMath.SinFunction());
        yield return Unary("Cos", new VectorMath.CosFunction());
        yield return Unary("Sqrt", new VectorMath.SqrtFunction());
        yield return Unary("Rsqrt", new VectorMath.RsqrtFunction());
        yield return Unary("Erf", new VectorMath.ErfFunction());
        yield return Unary("Softplus", new VectorMath.SoftplusFunction(1.5, 20));
        yield return Unary("Relu", new VectorMath.ReluFunction());
        yield return Unary("LeakyRelu", new VectorMath.LeakyReluFunction(0.01));
        yield return Unary("Silu", new VectorMath.SiluFunction());
        yield return Unary("Gelu", new VectorMath.GeluFunction(false));
        yield return Unary("GeluTanh", new VectorMath.GeluFunction(true));
        yield return Unary("Mish", new VectorMath.MishFunction());
        yield return Unary("Pow3", new VectorMath.PowFunction(3));
        yield return Unary("Pow-0.5", new VectorMath.PowFunction(-0.5));
        yield return Binary("TanhBackward", new VectorMath.TanhBackwardFunction());
        yield return Binary("SigmoidBackward", new VectorMath.SigmoidBackwardFunction());
        yield return Binary("ReluBackward", new VectorMath.ReluBackwardFunction());
        yield return Binary("LeakyReluBackward", new VectorMath.LeakyReluBackwardFunction(0.2));
        yield return Binary("SiluBackward", new VectorMath.SiluBackwardFunction());
        yield return Binary("MishBackward", new VectorMath.MishBackwardFunction());
        yield return Binary("GeluBackward", new VectorMath.GeluBackwardFunction(false));
        yield return Binary("GeluTanhBackward", new VectorMath.GeluBackwardFunction(true));
        yield return Binary("SoftplusBackward", new VectorMath.SoftplusBackwardFunction(1, 20));
        yield return Binary("ErfBackward", new VectorMath.ErfBackwardFunction());
        yield return Binary("PowBackward", new VectorMath.PowBackwardFunction(2));
        yield return Binary("SqrtBackward", new VectorMath.SqrtBackwardFunction());
        yield return Binary("SinBackward", new VectorMath.SinBackwardFunction());
        yield return Binary("CosBackward", new VectorMath.CosBackwardFunction());
        yield return Binary("Log1pBackward", new VectorMath.Log1pBackwardFunction());
        yield return Binary("RsqrtBackward", new VectorMath.RsqrtBackwardFunction());
        (string, Action<float[], float[], float[], bool>, Action<double[], double[], double[], bool>) powGeneral =
            ("PowGeneral", (x, _, d, _) => Elementwise.Pow(x, 2.5f, d), (x, _, d, wide) => VectorMath.Map(new VectorMath.PowGeneralFunction(-1.3), x, d, wide));
        yield return powGeneral;
    }

    private static (float[] A, float[] B) SingleInputs(int n, int seed)
    {
        var rng = new Random(seed);
        float[] specials = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1E-40f, -1E-40f, 89f, -104f, 1e6f, -3e38f, 20f];
        var a = new float[n];
        var b = new float[n];
        for (int i = 0; i < n; i++)
        {
            a[i] = i % 7 == 3 ? specials[rng.Next(specials.Length)] : (float)(rng.NextDouble() * 30 - 15);
            b[i] = (float)(rng.NextDouble() * 4 - 2);
        }
        return (a, b);
    }

    [Test]
    public void Kernels_GiveTheSameBits_AtVectorWidths256And512()
    {
        if (!Vector512.IsHardwareAccelerated || !Vector256.IsHardwareAccelerated)
            Assert.Ignore("This CPU does not accelerate both Vector256 and Vector512: the two widths cannot both be run natively here.");
        var (a, b) = SingleInputs(4099, 17);
        var (ad, bd) = (a.Select(v => (double)v * 1.0000001).ToArray(), b.Select(v => (double)v).ToArray());
        foreach (var (name, single, dbl) in AllKernels())
        {
            var (narrow, wide) = (new float[a.Length], new float[a.Length]);
            single(a, b, narrow, false);
            single(a, b, wide, true);
            Assert.That(wide.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(narrow.Select(BitConverter.SingleToInt32Bits)), $"{name} float");
            var (narrowD, wideD) = (new double[a.Length], new double[a.Length]);
            dbl(ad, bd, narrowD, false);
            dbl(ad, bd, wideD, true);
            Assert.That(wideD.Select(BitConverter.DoubleToInt64Bits), Is.EqualTo(narrowD.Select(BitConverter.DoubleToInt64Bits)), $"{name} double");
        }
    }

    [Test]
    public void Kernels_GiveTheSameBits_AtEveryOffsetAndLength()
    {
        var (a, b) = SingleInputs(80, 3);
        var (ad, bd) = (a.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray());
        bool wide = VectorMath.UsesVector512;
        foreach (var (name, single, dbl) in AllKernels())
        {
            var whole = new float[a.Length];
            single(a, b, whole, wide);
            var wholeD = new double[a.Length];
            dbl(ad, bd, wholeD, wide);
            foreach (int offset in new[] { 0, 1, 3, 7, 9 })
                foreach (int length in new[] { 0, 1, 5, 8, 15, 16, 17, 33, 40 })
                {
                    var part = new float[length];
                    single(a.AsSpan(offset, length).ToArray(), b.AsSpan(offset, length).ToArray(), part, wide);
                    Assert.That(part, Is.EqualTo(whole.AsSpan(offset, length).ToArray()), $"{name} float at offset {offset}, length {length}");
                    var partD = new double[length];
                    dbl(ad.AsSpan(offset, length).ToArray(), bd.AsSpan(offset, length).ToArray(), partD, wide);
                    Assert.That(partD, Is.EqualTo(wholeD.AsSpan(offset, length).ToArray()), $"{name} double at offset {offset}, length {length}");
                }
        }
    }

    [Test]
    public void Map_InPlace_GivesTheSameBits()
    {
        var (a, _) = SingleInputs(100, 9);
        var expected = new float[a.Length];
        VectorMath.Map<VectorMath.TanhFunction>(a, expected);
        VectorMath.Map<VectorMath.TanhFunction>(a, a);
        Assert.That(a, Is.EqualTo(expected));
    }

    [Test]
    public void Elementwise_Float32AndFloat64_UseTheVectorKernels()
    {
        // Float64 used to be a scalar loop over Math (a different algorithm from float32's); both now run VectorMath.
        float[] x32 = [-3f, -0.5f, 0.25f, 2f];
        var viaElementwise = new float[4];
        var viaVectorMath = new float[4];
        Elementwise.Tanh<float>(x32, viaElementwise);
        VectorMath.Map<VectorMath.TanhFunction>(x32, viaVectorMath);
        Assert.That(viaElementwise, Is.EqualTo(viaVectorMath));

        double[] x64 = [-3, -0.5, 0.25, 2];
        var y64 = new double[4];
        var expected = new double[4];
        Elementwise.Exp<double>(x64, y64);
        VectorMath.Map(new VectorMath.ExpFunction(), (ReadOnlySpan<double>)x64, expected);
        Assert.That(y64, Is.EqualTo(expected));
        Assert.That(y64, Is.EqualTo(x64.Select(Math.Exp).ToArray()).Within(1e-15).Percent);
    }

    /// <summary>Double-precision references, careful where the obvious formula cancels.</summary>
    private static class Reference
    {
        public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

        public static double Log1p(double x) => 1 + x == x ? Math.Log(x) : SpecialFunctions.Log1p(x);

        public static double LogOnePlusExp(double x) => Math.Max(x, 0) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(x)));

        public static double Erf(double x) => SpecialFunctions.Erf(x);

        /// <summary>Φ(x), through erfc's continued fraction in the lower tail (no cancellation in 1 + erf).</summary>
        public static double NormalCdf(double x)
        {
            double z = -x / Math.Sqrt(2);
            if (double.IsNaN(z)) return z;
            if (z < 3) return 0.5 * (1 - SpecialFunctions.Erf(z));
            if (z > 27) return 0;
            double t = z;
            for (int k = 120; k >= 1; k--) t = z + k * 0.5 / t;
            return 0.5 * Math.Exp(-z * z) / Math.Sqrt(Math.PI) / t;
        }
    }
}
