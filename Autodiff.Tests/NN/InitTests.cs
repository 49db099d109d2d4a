using Autodiff;
using Autodiff.NN;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.NN;

/// <summary>Autodiff.NN/Init.cs, PyTorch's torch.nn.init: gains and fans against PyTorch's formulas, distributions by
/// their statistics on large tensors, orthogonality, in-place semantics and the error messages.</summary>
public class InitTests
{
    private static (double Mean, double Std, double Min, double Max) Stats(Tensor t)
    {
        var v = t.ToDoubleArray();
        double mean = v.Average();
        double std = Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1));
        return (mean, std, v.Min(), v.Max());
    }

    // ---- gains and fans -------------------------------------------------------------------------------------------

    // PyTorch: torch.nn.init.calculate_gain(name, param) for each row.
    [TestCase("linear", null, 1.0)]
    [TestCase("conv2d", null, 1.0)]
    [TestCase("conv_transpose3d", null, 1.0)]
    [TestCase("sigmoid", null, 1.0)]
    [TestCase("tanh", null, 5.0 / 3)]
    [TestCase("relu", null, 1.4142135623730951)]
    [TestCase("relu", 0.5, 1.4142135623730951)]                 // param ignored
    [TestCase("leaky_relu", null, 1.4141428569978354)]          // sqrt(2 / (1 + 0.01²))
    [TestCase("leaky_relu", 0.2, 1.3867504905630728)]           // sqrt(2 / 1.04)
    [TestCase("leaky_relu", 0.0, 1.4142135623730951)]
    [TestCase("selu", null, 0.75)]
    public void CalculateGain_MatchesPyTorch(string nonlinearity, double? param, double expected) =>
        Assert.That(Init.CalculateGain(nonlinearity, param), Is.EqualTo(expected).Within(1e-15));

    [Test]
    public void CalculateGain_Throws_ForAnUnknownName()
    {
        AssertThrows<ArgumentException>(() => Init.CalculateGain("swish"), "Init.CalculateGain", "'swish'", "leaky_relu");
        AssertThrows<ArgumentException>(() => Init.CalculateGain("ReLU"), "Init.CalculateGain", "'ReLU'");   // case matters, as PyTorch
        Assert.Throws<ArgumentNullException>(() => Init.CalculateGain(null!));
    }

    // PyTorch: torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    [TestCase(new[] { 3, 4 }, 4, 3)]
    [TestCase(new[] { 16, 8, 3, 3 }, 72, 144)]
    [TestCase(new[] { 5, 2, 7 }, 14, 35)]
    [TestCase(new[] { 2, 3, 1, 4, 5 }, 60, 40)]
    public void CalculateFanInAndFanOut_MatchesPyTorch(int[] shape, int fanIn, int fanOut) =>
        Assert.That(Init.CalculateFanInAndFanOut(Tensor.Zeros(shape)), Is.EqualTo((fanIn, fanOut)));

    [Test]
    public void CalculateFanInAndFanOut_Throws_ForFewerThanTwoDimensions()
    {
        AssertThrows<ArgumentException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros(5)), "Init.CalculateFanInAndFanOut", "[5]", "fewer than 2 dimensions");
        AssertThrows<ArgumentException>(() => Init.CalculateFanInAndFanOut(Tensor.Scalar(1)), "Init.CalculateFanInAndFanOut", "[]");
    }

    // ---- plain distributions --------------------------------------------------------------------------------------

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Uniform_FillsWithinBounds_WithTheUniformMeanAndStd(DType dtype)
    {
        var t = Tensor.Zeros([1000, 400], dtype);
        Assert.That(Init.Uniform_(t, -2, 3, new Generator(1)), Is.SameAs(t));
        var (mean, std, min, max) = Stats(t);
        Assert.That(min, Is.GreaterThanOrEqualTo(-2));
        Assert.That(max, Is.LessThan(3));
        Assert.That(mean, Is.EqualTo(0.5).Within(0.01));                 // (a + b) / 2; standard error 0.0023
        Assert.That(std, Is.EqualTo(5 / Math.Sqrt(12)).Within(0.01));     // (b - a) / √12
    }

    [Test]
    public void Uniform_DrawsTheValuesOfTensorUniform()
    {
        var t = Init.Uniform_(Tensor.Zeros(4, 5), -1, 1, new Generator(7));
        Assert.That(t.ToArray(), Is.EqualTo(Tensor.Uniform([4, 5], -1, 1, new Generator(7)).ToArray()));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void Normal_HasTheRequestedMeanAndStd(DType dtype)
    {
        var t = Init.Normal_(Tensor.Zeros([1000, 400], dtype), mean: 2, std: 0.5, generator: new Generator(2));
        var (mean, std, _, _) = Stats(t);
        Assert.That(mean, Is.EqualTo(2).Within(0.005));                   // standard error 0.0008
        Assert.That(std, Is.EqualTo(0.5).Within(0.005));
    }

    [Test]
    public void Normal_WithDefaults_DrawsTheValuesOfTensorRandn()
    {
        var t = Init.Normal_(Tensor.Zeros([3, 4], DType.Float64), generator: new Generator(3));
        Assert.That(t.ToDoubleArray(), Is.EqualTo(Tensor.Randn([3, 4], new Generator(3), DType.Float64).ToDoubleArray()));
    }

    [Test]
    public void RandomFills_DrawFromTheDefaultGenerator_WhenNoneIsGiven()
    {
        Generator.ManualSeed(11);
        var a = Init.KaimingUniform_(Tensor.Zeros(3, 4)).ToArray();
        Generator.ManualSeed(11);
        var b = Init.KaimingUniform_(Tensor.Zeros(3, 4)).ToArray();
        Assert.That(b, Is.EqualTo(a));
        Assert.That(Init.KaimingUniform_(Tensor.Zeros(3, 4)).ToArray(), Is.Not.EqualTo(a));
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void ConstantZerosOnes_FillEveryElement(DType dtype)
    {
        var t = Tensor.Randn([2, 3], seed: 4, dtype);
        Assert.That(Init.Constant_(t, 0.25).ToDoubleArray(), Is.All.EqualTo(0.25));
        Assert.That(Init.Ones_(t).ToDoubleArray(), Is.All.EqualTo(1.0));
        Assert.That(Init.Zeros_(t).ToDoubleArray(), Is.All.EqualTo(0.0));
        Assert.That(t.DType, Is.EqualTo(dtype));
    }

    [Test]
    public void Uniform_Throws_ForReversedOrInfiniteBounds()
    {
        var t = Tensor.Zeros(3);
        AssertThrows<ArgumentException>(() => Init.Uniform_(t, 1, 0), "Init.Uniform_", "a = 1", "b = 0");
        AssertThrows<ArgumentException>(() => Init.Uniform_(t, 0, double.PositiveInfinity), "Init.Uniform_", "finite");
        AssertThrows<ArgumentException>(() => Init.Uniform_(t, double.NaN, 1), "Init.Uniform_", "NaN");
    }

    [Test]
    public void Normal_Throws_ForANegativeOrNaNStd()
    {
        var t = Tensor.Zeros(3);
        AssertThrows<ArgumentException>(() => Init.Normal_(t, 0, -1), "Init.Normal_", "std", "-1");
        AssertThrows<ArgumentException>(() => Init.Normal_(t, 0, double.NaN), "Init.Normal_", "std", "NaN");
        AssertThrows<ArgumentException>(() => Init.Normal_(t, double.NaN, 1), "Init.Normal_", "mean", "NaN");
    }

    [Test]
    public void EveryFunction_Throws_ForANullTensor()
    {
        Assert.Throws<ArgumentNullException>(() => Init.Uniform_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.Normal_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.Constant_(null!, 1));
        Assert.Throws<ArgumentNullException>(() => Init.Zeros_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.Ones_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.XavierUniform_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.XavierNormal_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.KaimingUniform_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.KaimingNormal_(null!));
        Assert.Throws<ArgumentNullException>(() => Init.Orthogonal_(null!));
    }

    // ---- Xavier and Kaiming ---------------------------------------------------------------------------------------

    [Test]
    public void XavierUniform_StaysWithinGainTimesSqrtSixOverFanSum_WithTheMatchingStd()
    {
        var t = Init.XavierUniform_(Tensor.Zeros(600, 400), gain: 2, generator: new Generator(5));
        double bound = 2 * Math.Sqrt(6.0 / 1000), std = 2 * Math.Sqrt(2.0 / 1000);
        var (mean, actualStd, min, max) = Stats(t);
        Assert.That(min, Is.GreaterThanOrEqualTo(-bound));
        Assert.That(max, Is.LessThan(bound));
        Assert.That(mean, Is.EqualTo(0).Within(0.01 * std));
        Assert.That(actualStd, Is.EqualTo(std).Within(0.01 * std));
    }

    [Test]
    public void XavierNormal_UsesConvolutionFans()
    {
        // [128, 64, 5, 5]: fanIn 64·25 = 1600, fanOut 128·25 = 3200, std = √(2 / 4800).
        var t = Init.XavierNormal_(Tensor.Zeros(128, 64, 5, 5), generator: new Generator(6));
        var (mean, std, _, _) = Stats(t);
        double expected = Math.Sqrt(2.0 / 4800);
        Assert.That(mean, Is.EqualTo(0).Within(0.01 * expected));
        Assert.That(std, Is.EqualTo(expected).Within(0.01 * expected));
    }

    [Test]
    public void KaimingUniform_FanOutRelu_OnAConvWeight_HasPyTorchsBoundAndStd()
    {
        // [256, 128, 3, 3]: fanOut 256·9 = 2304; relu gain √2: std = √2/√2304, bound = √3·std.
        var t = Init.KaimingUniform_(Tensor.Zeros(256, 128, 3, 3), mode: "fan_out", nonlinearity: "relu", generator: new Generator(7));
        double std = Math.Sqrt(2.0) / Math.Sqrt(2304), bound = Math.Sqrt(3.0) * std;
        var (mean, actualStd, min, max) = Stats(t);
        Assert.That(min, Is.GreaterThanOrEqualTo(-bound));
        Assert.That(max, Is.LessThan(bound));
        Assert.That(max, Is.GreaterThan(0.99 * bound));
        Assert.That(mean, Is.EqualTo(0).Within(0.01 * std));
        Assert.That(actualStd, Is.EqualTo(std).Within(0.01 * std));
    }

    [Test]
    public void KaimingUniform_WithASqrtFive_GivesLinearsDefaultBound()
    {
        // PyTorch's Linear.reset_parameters: kaiming_uniform_(w, a=√5) gives bound 1/√fanIn.
        var t = Init.KaimingUniform_(Tensor.Zeros(300, 100), a: Math.Sqrt(5), generator: new Generator(8));
        var (_, _, min, max) = Stats(t);
        Assert.That(Math.Max(-min, max), Is.LessThanOrEqualTo(0.1).And.GreaterThan(0.099));
    }

    [Test]
    public void KaimingNormal_DefaultsToFanInAndLeakyReluWithSlopeZero()
    {
        var t = Init.KaimingNormal_(Tensor.Zeros([1000, 500], DType.Float64), generator: new Generator(9));
        var (mean, std, _, _) = Stats(t);
        double expected = Math.Sqrt(2.0 / 500);
        Assert.That(mean, Is.EqualTo(0).Within(0.01 * expected));
        Assert.That(std, Is.EqualTo(expected).Within(0.01 * expected));
    }

    [Test]
    public void KaimingNormal_ModeIsCaseInsensitive_AsPyTorch()
    {
        var a = Init.KaimingNormal_(Tensor.Zeros(4, 6), mode: "FAN_OUT", generator: new Generator(10)).ToArray();
        var b = Init.KaimingNormal_(Tensor.Zeros(4, 6), mode: "fan_out", generator: new Generator(10)).ToArray();
        Assert.That(a, Is.EqualTo(b));
    }

    [Test]
    public void Kaiming_LeavesAnEmptyTensorAlone()
    {
        Assert.DoesNotThrow(() => Init.KaimingUniform_(Tensor.Zeros(0, 4)));
        Assert.DoesNotThrow(() => Init.KaimingNormal_(Tensor.Zeros(0)));
    }

    [Test]
    public void XavierAndKaiming_Throw_ForAOneDimensionalTensor()
    {
        var bias = Tensor.Zeros(5);
        AssertThrows<ArgumentException>(() => Init.XavierUniform_(bias), "Init.XavierUniform_", "[5]", "fewer than 2 dimensions");
        AssertThrows<ArgumentException>(() => Init.XavierNormal_(bias), "Init.XavierNormal_", "[5]");
        AssertThrows<ArgumentException>(() => Init.KaimingUniform_(bias), "Init.KaimingUniform_", "[5]");
        AssertThrows<ArgumentException>(() => Init.KaimingNormal_(bias), "Init.KaimingNormal_", "[5]");
    }

    [Test]
    public void Kaiming_Throws_ForAnUnknownModeOrNonlinearity()
    {
        var w = Tensor.Zeros(3, 4);
        AssertThrows<ArgumentException>(() => Init.KaimingUniform_(w, mode: "fan_avg"), "Init.KaimingUniform_", "'fan_avg'", "fan_in", "fan_out");
        AssertThrows<ArgumentException>(() => Init.KaimingNormal_(w, nonlinearity: "swish"), "Init.CalculateGain", "'swish'");
        Assert.That(w.ToArray(), Is.All.EqualTo(0f));   // nothing written on error
    }

    [Test]
    public void Xavier_Throws_ForANegativeGain() =>
        AssertThrows<ArgumentException>(() => Init.XavierUniform_(Tensor.Zeros(3, 4), gain: -1), "Init.XavierUniform_", "gain", "-1");

    // ---- orthogonal -----------------------------------------------------------------------------------------------

    /// <summary>M Mᵀ for a [rows, cols] matrix given row-major.</summary>
    private static double[,] Gram(double[] m, int rows, int cols, bool ofColumns)
    {
        int n = ofColumns ? cols : rows;
        var g = new double[n, n];
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++)
            {
                double s = 0;
                for (int k = 0; k < (ofColumns ? rows : cols); k++)
                    s += ofColumns ? m[k * cols + a] * m[k * cols + b] : m[a * cols + k] * m[b * cols + k];
                g[a, b] = s;
            }
        return g;
    }

    private static void AssertScaledIdentity(double[,] g, double scale, double tolerance)
    {
        for (int a = 0; a < g.GetLength(0); a++)
            for (int b = 0; b < g.GetLength(1); b++)
                Assert.That(g[a, b], Is.EqualTo(a == b ? scale : 0).Within(tolerance), $"({a}, {b})");
    }

    [TestCase(6, 3)]
    [TestCase(8, 8)]
    [TestCase(50, 20)]
    public void Orthogonal_TallOrSquare_HasOrthonormalColumns(int rows, int cols)
    {
        var q = Init.Orthogonal_(Tensor.Zeros([rows, cols], DType.Float64), generator: new Generator(12));
        AssertScaledIdentity(Gram(q.ToDoubleArray(), rows, cols, ofColumns: true), 1, 1e-12);   // QᵀQ = I
        if (rows == cols) AssertScaledIdentity(Gram(q.ToDoubleArray(), rows, cols, ofColumns: false), 1, 1e-12);
    }

    [Test]
    public void Orthogonal_Wide_HasOrthonormalRows()
    {
        var q = Init.Orthogonal_(Tensor.Zeros([3, 7], DType.Float64), generator: new Generator(13));
        AssertScaledIdentity(Gram(q.ToDoubleArray(), 3, 7, ofColumns: false), 1, 1e-12);      // QQᵀ = I
    }

    [Test]
    public void Orthogonal_ConvWeight_FlattensTrailingDimensions_AndScalesByGain()
    {
        // [4, 2, 3, 3] is seen as [4, 18]: 4 orthogonal rows of length 18, each of norm gain.
        var w = Init.Orthogonal_(Tensor.Zeros(4, 2, 3, 3), gain: 2, generator: new Generator(14));
        Assert.That(w.Shape, Is.EqualTo(new Shape(4, 2, 3, 3)));
        AssertScaledIdentity(Gram(w.ToDoubleArray(), 4, 18, ofColumns: false), 4, 1e-5);       // (2Q)(2Q)ᵀ = 4I in float32
    }

    [Test]
    public void Orthogonal_IsNotJustAPermutation()
    {
        var q = Init.Orthogonal_(Tensor.Zeros([5, 5], DType.Float64), generator: new Generator(15)).ToDoubleArray();
        Assert.That(q.Count(v => Math.Abs(v) > 1e-3), Is.GreaterThan(20));
    }

    [Test]
    public void Orthogonal_Throws_ForAOneDimensionalTensor()
    {
        AssertThrows<ArgumentException>(() => Init.Orthogonal_(Tensor.Zeros(5)), "Init.Orthogonal_", "[5]", "2 or more dimensions");
        AssertThrows<ArgumentException>(() => Init.Orthogonal_(Tensor.Zeros(2, 2), gain: double.NaN), "Init.Orthogonal_", "gain");
    }

    // ---- in place, as under torch.no_grad() -----------------------------------------------------------------------

    [Test]
    public void Init_WritesInPlace_KeepingIdentityAndRequiresGrad_AndBumpsTheVersion()
    {
        var frozen = Tensor.Zeros(4, 3).RequireGrad(false);
        int version = frozen.Version;
        var result = Init.XavierNormal_(frozen, generator: new Generator(16));
        Assert.That(result, Is.SameAs(frozen));
        Assert.That(frozen.RequiresGrad, Is.False);
        Assert.That(frozen.Version, Is.GreaterThan(version));
        var trainable = Tensor.Zeros(4, 3).RequireGrad();
        Init.Orthogonal_(trainable, generator: new Generator(17));
        Assert.That(trainable.RequiresGrad, Is.True);
        Assert.That(trainable.IsLeaf, Is.True);
    }

    [Test]
    public void Init_RecordsNothing_AndAGraphThatSawTheOldValuesRefusesToBackward()
    {
        var w = Tensor.Randn([3, 3], seed: 18, DType.Float64).RequireGrad();
        var loss = (w * w).Sum();
        Init.Ones_(w);
        Assert.That(w.Creator, Is.Null);
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Test]
    public void Apply_WithInit_InitialisesAModelAsPyTorchUsersDo()
    {
        var model = new Sequential(new Linear(8, 16, generator: new Generator(19)), new ReLU(), new Linear(16, 4, generator: new Generator(20)));
        model.Apply(m =>
        {
            if (m is not Linear l) return;
            Init.KaimingNormal_(l.Weight, nonlinearity: "relu", generator: new Generator(21));
            if (l.Bias is { } b) Init.Zeros_(b);
        });
        var first = (Linear)model[0];
        Assert.That(first.Bias!.ToArray(), Is.All.EqualTo(0f));
        Assert.That(first.Weight.ToArray(), Is.EqualTo(Init.KaimingNormal_(Tensor.Zeros(16, 8), nonlinearity: "relu", generator: new Generator(21)).ToArray()));
    }
}
