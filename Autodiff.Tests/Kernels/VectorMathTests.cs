using Autodiff.Kernels;

namespace Autodiff.Tests.Kernels;

/// <summary>The float32 SIMD exp, log, tanh, sigmoid, sin and cos: accuracy against double precision over the whole float range,
/// IEEE special values as MathF, and results that do not depend on where an element sits in a span.</summary>
public class VectorMathTests
{
    private delegate void Kernel(ReadOnlySpan<float> x, Span<float> destination);

    private static readonly Dictionary<string, (Kernel Kernel, Func<double, double> Reference)> Functions = new()
    {
        ["Exp"] = (VectorMath.Map<VectorMath.ExpFunction>, Math.Exp),
        ["Log"] = (VectorMath.Map<VectorMath.LogFunction>, Math.Log),
        ["Tanh"] = (VectorMath.Map<VectorMath.TanhFunction>, Math.Tanh),
        ["Sigmoid"] = (VectorMath.Map<VectorMath.SigmoidFunction>, x => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x))),
        ["Sin"] = (VectorMath.Map<VectorMath.SinFunction>, Math.Sin),
        ["Cos"] = (VectorMath.Map<VectorMath.CosFunction>, Math.Cos),
    };

    /// <summary>Every 4099th float bit pattern (all signs, binades, denormals, infinities and NaNs) plus dense values
    /// in [-20, 20], where training spends its time.</summary>
    private static float[] WideSample()
    {
        var values = new List<float>();
        for (long bits = 0; bits < 1L << 32; bits += 4099) values.Add(BitConverter.Int32BitsToSingle((int)(uint)bits));
        var rng = new Random(7);
        for (int i = 0; i < 200_000; i++) values.Add((float)(rng.NextDouble() * 40 - 20));
        return [.. values];
    }

    /// <summary>|got - want| in units of the float spacing at want (the smaller spacing at a power of two).</summary>
    private static double Ulps(float got, double want)
    {
        float rounded = (float)want;
        if (double.IsNaN(want) || float.IsInfinity(rounded) || float.IsInfinity(got))
            return got.Equals(rounded) ? 0 : double.PositiveInfinity;
        float a = MathF.Abs(rounded);
        double spacing = a == 0 ? float.Epsilon : Math.Min(MathF.BitIncrement(a) - a, a - MathF.BitDecrement(a));
        return Math.Abs(got - want) / Math.Max(spacing, float.Epsilon);
    }

    [TestCase("Exp", 2.0)]
    [TestCase("Log", 2.0)]
    [TestCase("Tanh", 2.0)]
    [TestCase("Sigmoid", 3.0)]
    public void Kernel_IsWithinUlpsOfDoublePrecision_OverTheWholeFloatRange(string name, double maxUlps)
    {
        var (kernel, reference) = Functions[name];
        var x = WideSample();
        var y = new float[x.Length];
        kernel(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double error = Ulps(y[i], reference(x[i]));
            if (error > maxUlps)
                Assert.Fail($"{name}({x[i]:R}) = {y[i]:R}, double precision gives {reference(x[i]):R}: {error:F2} ulp > {maxUlps}");
        }
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
    public void Kernel_GivesTheIeeeValue_ForSpecialInputs(string name, float x, float expected)
    {
        var y = new float[1];
        Functions[name].Kernel([x], y);
        Assert.That(BitConverter.SingleToInt32Bits(y[0]), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)).Or.Matches<int>(
            _ => float.IsNaN(expected) && float.IsNaN(y[0])), $"{name}({x:R}) = {y[0]:R}, expected {expected:R}");
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

    [TestCase("Exp")]
    [TestCase("Log")]
    [TestCase("Tanh")]
    [TestCase("Sigmoid")]
    [TestCase("Sin")]
    [TestCase("Cos")]
    public void Kernel_GivesTheSameBits_AtEveryOffsetAndLength(string name)
    {
        var kernel = Functions[name].Kernel;
        var rng = new Random(3);
        var x = new float[80];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 30 - 15);
        (x[5], x[17], x[40]) = (float.NaN, 1E-40f, float.NegativeInfinity);       // specials take the slower lanes too
        var whole = new float[x.Length];
        kernel(x, whole);

        for (int offset = 0; offset < 9; offset++)
        {
            for (int length = 0; offset + length <= x.Length && length <= 40; length++)
            {
                var part = new float[length + 3];                                   // shifted: other alignment too
                kernel(x.AsSpan(offset, length), part.AsSpan(3, length));
                Assert.That(part.AsSpan(3, length).ToArray(), Is.EqualTo(whole.AsSpan(offset, length).ToArray()),
                    $"{name} at offset {offset}, length {length}");
            }
        }
        var inPlace = (float[])x.Clone();
        kernel(inPlace, inPlace);
        Assert.That(inPlace, Is.EqualTo(whole), $"{name} in place");
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
        var wide = WideSample().Where(float.IsFinite).ToArray();
        y = new float[wide.Length];
        kernel(wide, y);
        for (int i = 0; i < wide.Length; i++)
            Assert.That(Math.Abs(y[i] - reference(wide[i])), Is.LessThanOrEqualTo(1e-7), $"{name}({wide[i]:R}) = {y[i]:R}");
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
        {
            var alone = new float[1];
            VectorMath.Map<VectorMath.SinFunction>([x[i]], alone);
            Assert.That(sin[i], Is.EqualTo(alone[0]), $"sin({x[i]:R}) beside large lanes");
        }
    }

    [Test]
    public void Elementwise_Float32_UsesTheVectorKernels_AndFloat64_StaysOnMath()
    {
        float[] x32 = [-3f, -0.5f, 0.25f, 2f];
        var viaElementwise = new float[4];
        var viaVectorMath = new float[4];
        Elementwise.Tanh<float>(x32, viaElementwise);
        VectorMath.Map<VectorMath.TanhFunction>(x32, viaVectorMath);
        Assert.That(viaElementwise, Is.EqualTo(viaVectorMath));

        double[] x64 = [-3, -0.5, 0.25, 2];
        var y64 = new double[4];
        Elementwise.Exp<double>(x64, y64);
        Assert.That(y64, Is.EqualTo(x64.Select(Math.Exp).ToArray()));
    }
}
