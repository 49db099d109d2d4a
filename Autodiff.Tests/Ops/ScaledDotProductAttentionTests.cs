using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.ScaledDotProductAttention (Ops/ScaledDotProductAttention.cs, Kernels/Attention.cs): PyTorch 2.x's
/// torch.nn.functional.scaled_dot_product_attention.</summary>
public class ScaledDotProductAttentionTests
{
    [TearDown]
    public void StopPoisoning() => Compute.PoisonEmpty = false;

    private const string Op = "ScaledDotProductAttention";

    // q = arange(12)/12 - 0.3 as [2, 3, 2], k = (arange(16) % 5)/4 - 0.5 as [2, 4, 2], v = arange(24)/10 as [2, 4, 3].
    private static Tensor Q() => Tensor.Arange(12, DType.Float64).Reshape(2, 3, 2) / 12 - 0.3;
    private static Tensor K() => (Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (double)(i % 5)).ToArray(), 2, 4, 2) / 4 - 0.5);
    private static Tensor V() => Tensor.Arange(24, DType.Float64).Reshape(2, 4, 3) / 10;

    /// <summary>softmax(q·kᵀ/√E + mask)·v with ops (torch 1.13 has no F.scaled_dot_product_attention).</summary>
    private static Tensor Reference(Tensor q, Tensor k, Tensor v, Tensor? additive = null, double? scale = null)
    {
        var s = Ops.MatMul(q, Ops.Transpose(k, -2, -1)) * (scale ?? 1 / Math.Sqrt(q.Shape[-1]));
        if (additive is not null) s = s + additive;
        return Ops.MatMul(Ops.Softmax(s, -1), v);
    }

    private static Tensor BoolToAdditive(Tensor mask, DType dtype) =>
        Ops.MaskedFill(Tensor.Zeros(mask.Shape.ToArray(), dtype), Ops.LogicalNot(mask), double.NegativeInfinity);

    [Test]
    public void Forward_MatchesTorch()
    {
        // torch 1.13, float64, with the q, k, v above: torch.softmax(q @ k.transpose(-2, -1) / 2**0.5 [+ mask], -1) @ v
        double[] plain = [0.439356372997887, 0.539356372997887, 0.639356372997887, 0.445496214688288, 0.545496214688288, 0.645496214688288,
            0.451068721240696, 0.551068721240697, 0.651068721240696, 1.636775858566944, 1.736775858566944, 1.836775858566944,
            1.629283912159919, 1.729283912159919, 1.829283912159919, 1.620887048935634, 1.720887048935634, 1.820887048935634];
        // ... with s.masked_fill(torch.ones(3, 4, dtype=torch.bool).triu(1), float('-inf'))
        double[] causal = [0.0, 0.1, 0.2, 0.145140342202903, 0.245140342202903, 0.345140342202903, 0.30028952131725, 0.40028952131725,
            0.50028952131725, 1.2, 1.3, 1.4, 1.318015689238603, 1.418015689238603, 1.518015689238603, 1.476609720789899, 1.576609720789899,
            1.676609720789899];
        // ... with s + (torch.arange(12, dtype=torch.float64)/6 - 1).reshape(3, 4)
        double[] masked = [0.504803028372128, 0.604803028372128, 0.704803028372128, 0.509057078867974, 0.609057078867974, 0.709057078867974,
            0.512745681398877, 0.612745681398877, 0.712745681398877, 1.700971901053844, 1.800971901053844, 1.900971901053844,
            1.695170458996563, 1.795170458996563, 1.895170458996563, 1.68837844987682, 1.78837844987682, 1.88837844987682];
        var floatMask = Tensor.Arange(12, DType.Float64).Reshape(3, 4) / 6 - 1;
        Assert.That(Ops.ScaledDotProductAttention(Q(), K(), V()).ToDoubleArray(), Is.EqualTo(plain).Within(1e-14));
        Assert.That(Ops.ScaledDotProductAttention(Q(), K(), V(), isCausal: true).ToDoubleArray(), Is.EqualTo(causal).Within(1e-14));
        Assert.That(Ops.ScaledDotProductAttention(Q(), K(), V(), floatMask).ToDoubleArray(), Is.EqualTo(masked).Within(1e-14));
        Assert.That(Ops.ScaledDotProductAttention(Q(), K(), V()).Shape, Is.EqualTo(new Shape(2, 3, 3)));
    }

    /// <summary>A Bool mask [L, S] with at least one key allowed per query.</summary>
    private static Tensor RandomBoolMask(long seed, int l, int s)
    {
        var g = new Generator(seed);
        var values = new bool[l * s];
        for (int i = 0; i < l; i++)
        {
            for (int j = 0; j < s; j++) values[i * s + j] = g.NextDouble() < 0.6;
            values[i * s + g.NextInt(s)] = true;
        }
        return Tensor.FromArray(values, l, s);
    }

    [TestCase(DType.Float64, 1e-12)]
    [TestCase(DType.Float32, 2e-6)]
    public void Forward_MatchesCompositeReference_WithMasks(DType dtype, double tolerance)
    {
        var q = Tensor.Randn([2, 3, 5, 4], 1, dtype);
        var k = Tensor.Randn([2, 3, 6, 4], 2, dtype);
        var v = Tensor.Randn([2, 3, 6, 3], 3, dtype);
        Assert.That(Ops.ScaledDotProductAttention(q, k, v).ToDoubleArray(), Is.EqualTo(Reference(q, k, v).ToDoubleArray()).Within(tolerance));
        var boolMask = RandomBoolMask(4, 5, 6);
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, boolMask).ToDoubleArray(),
            Is.EqualTo(Reference(q, k, v, BoolToAdditive(boolMask, dtype)).ToDoubleArray()).Within(tolerance));
        var floatMask = Tensor.Randn([2, 1, 5, 6], 5, dtype);                              // broadcast over the heads
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, floatMask, scale: 0.3).ToDoubleArray(),
            Is.EqualTo(Reference(q, k, v, floatMask, 0.3).ToDoubleArray()).Within(tolerance));
        var keyPadding = Tensor.Randn([2, 1, 1, 6], 6, dtype);                              // broadcast over heads and queries
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, keyPadding).ToDoubleArray(),
            Is.EqualTo(Reference(q, k, v, keyPadding).ToDoubleArray()).Within(tolerance));
        var perQuery = Tensor.Randn([5, 1], 7, dtype);                                     // broadcast along the keys
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, perQuery, scale: 0.7).ToDoubleArray(),
            Is.EqualTo(Reference(q, k, v, perQuery, 0.7).ToDoubleArray()).Within(tolerance));
        var causal = Ops.Triu(Tensor.Full([5, 6], double.NegativeInfinity, dtype), 1);
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, isCausal: true).ToDoubleArray(),
            Is.EqualTo(Reference(q, k, v, causal).ToDoubleArray()).Within(tolerance));
    }

    [Test]
    public void Forward_LongRows_MatchCompositeReference()
    {
        // Rows longer than a vector, with a tail, and a product large enough to split across threads.
        var q = Tensor.Randn([4, 8, 37, 16], 1);
        var k = Tensor.Randn([4, 8, 45, 16], 2);
        var v = Tensor.Randn([4, 8, 45, 24], 3);
        var mask = Tensor.Randn([37, 45], 4);
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, mask).ToDoubleArray(), Is.EqualTo(Reference(q, k, v, mask).ToDoubleArray()).Within(2e-6));
    }

    [Test]
    public void OneNewQueryOverACache_EqualsTheLastRowOfCausalAttention()
    {
        // Decoding with a key/value cache: the newest query sees every cached key (isCausal false), as the last row of the
        // full causal attention does.
        var (q, k, v) = (Tensor.Randn([2, 3, 5, 4], 1), Tensor.Randn([2, 3, 5, 4], 2), Tensor.Randn([2, 3, 5, 4], 3));
        var full = Ops.ScaledDotProductAttention(q, k, v, isCausal: true);
        var step = Ops.ScaledDotProductAttention(Ops.Slice(q, 2, 4, 5), k, v);
        Assert.That(step.ToArray(), Is.EqualTo(Ops.Slice(full, 2, 4, 5).ToArray()).Within(1e-6));
    }

    private static IEnumerable<TestCaseData> GradCases()
    {
        yield return new TestCaseData("plain", new[] { 3, 2 }, 3, 4).SetName("Backward_MatchesCentralDifferences_Plain");
        yield return new TestCaseData("bool", new[] { 2 }, 3, 4).SetName("Backward_MatchesCentralDifferences_BoolMask");
        yield return new TestCaseData("float", new[] { 2 }, 3, 4).SetName("Backward_MatchesCentralDifferences_FloatMask");
        yield return new TestCaseData("causal", new[] { 2 }, 4, 3).SetName("Backward_MatchesCentralDifferences_Causal_LLongerThanS");
        yield return new TestCaseData("causal", new[] { 1 }, 2, 4).SetName("Backward_MatchesCentralDifferences_Causal_SLongerThanL");
        yield return new TestCaseData("plain", Array.Empty<int>(), 3, 2).SetName("Backward_MatchesCentralDifferences_NoBatchDims");
    }

    private static Tensor? Mask(string kind, int l, int s) => kind switch
    {
        "bool" => RandomBoolMask(7, l, s),
        "float" => Tensor.Randn([l, s], 8, DType.Float64),
        _ => null,
    };

    [TestCaseSource(nameof(GradCases))]
    public void Backward_MatchesCentralDifferences(string kind, int[] batch, int l, int s)
    {
        var mask = Mask(kind, l, s);
        Tensor[] inputs = [Leaf(1, [.. batch, l, 3]), Leaf(2, [.. batch, s, 3]), Leaf(3, [.. batch, s, 2])];
        GradCheck.Assert(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], mask, isCausal: kind == "causal").Tanh(), inputs, Op);
    }

    [TestCase("plain")]
    [TestCase("float")]
    [TestCase("causal")]
    public void Backward_SecondOrder_MatchesCentralDifferences(string kind)
    {
        var mask = Mask(kind, 3, 4);
        Tensor[] inputs = [Leaf(1, 2, 3, 2), Leaf(2, 2, 4, 2), Leaf(3, 2, 4, 2)];
        GradCheck.AssertSecondOrder(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], mask, isCausal: kind == "causal").Tanh(), inputs, Op);
    }

    [Test]
    public void Backward_SecondOrder_WithAFullyMaskedRow_IsFinite()
    {
        var mask = Tensor.FromArray(new[] { true, false, true, false, false, false, false, true, true }, 3, 3);
        Tensor[] inputs = [Leaf(1, 3, 2), Leaf(2, 3, 2), Leaf(3, 3, 2)];
        GradCheck.AssertSecondOrder(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], mask).Tanh(), inputs, Op);
    }

    [Test]
    public void FullyMaskedRow_GivesZeros_AndZeroGradients()
    {
        var (q, k, v) = (Leaf(1, 2, 3, 2), Leaf(2, 2, 4, 2), Leaf(3, 2, 4, 3));
        var mask = Tensor.Ones([2, 3, 4], DType.Bool);
        var values = mask.ToBoolArray();
        for (int j = 0; j < 4; j++) values[4 + j] = false;                                  // batch 0, query 1: no key allowed
        mask = Tensor.FromArray(values, 2, 3, 4);
        var y = Ops.ScaledDotProductAttention(q, k, v, mask);
        Assert.That(y.ToDoubleArray().Skip(3).Take(3), Is.EqualTo(new double[3]));
        Assert.That(y.ToDoubleArray().Any(double.IsNaN), Is.False);
        (y * y).Sum().Backward();
        Assert.That(q.Grad!.ToDoubleArray().Skip(2).Take(2), Is.EqualTo(new double[2]));
        Assert.That(q.Grad.ToDoubleArray().Concat(k.Grad!.ToDoubleArray()).Concat(v.Grad!.ToDoubleArray()).Any(double.IsNaN), Is.False);
        // An additive mask of -inf everywhere in a row behaves the same.
        var minusInf = Ops.MaskedFill(Tensor.Zeros([2, 3, 4], DType.Float64), Ops.LogicalNot(mask), double.NegativeInfinity);
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, minusInf).ToDoubleArray(), Is.EqualTo(y.ToDoubleArray()));
    }

    [Test]
    public void Dropout_ZeroProbability_EqualsNoDropout()
    {
        var (q, k, v) = (Leaf(1, 2, 3, 2), Leaf(2, 2, 4, 2), Leaf(3, 2, 4, 3));
        Assert.That(Ops.ScaledDotProductAttention(q, k, v, dropoutP: 0, generator: new Generator(1)).ToDoubleArray(),
            Is.EqualTo(Ops.ScaledDotProductAttention(q, k, v).ToDoubleArray()));
    }

    [Test]
    public void Dropout_IsDeterministicWithASeededGenerator_AndMatchesTheMaskItDrew()
    {
        var (q, k, v) = (Leaf(1, 2, 5, 4), Leaf(2, 2, 6, 4), Leaf(3, 2, 6, 3));
        var a = Ops.ScaledDotProductAttention(q, k, v, dropoutP: 0.4, generator: new Generator(9)).ToDoubleArray();
        var b = Ops.ScaledDotProductAttention(q, k, v, dropoutP: 0.4, generator: new Generator(9)).ToDoubleArray();
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(Ops.ScaledDotProductAttention(q, k, v).ToDoubleArray()));
        // The mask is one Bernoulli(0.6) draw per weight, in order, scaled by 1/0.6: the op's output is the composite's.
        var g = new Generator(9);
        var drop = Tensor.Zeros([2, 5, 6], DType.Float64);
        g.FillBernoulli(drop.AsDoubleSpan(), 0.6, 1 / 0.6);
        var s = Ops.MatMul(q, Ops.Transpose(k, -2, -1)) * 0.5;
        var reference = Ops.MatMul(Ops.Softmax(s, -1) * drop, v).ToDoubleArray();
        Assert.That(a, Is.EqualTo(reference).Within(1e-12));
    }

    [Test]
    public void Dropout_Backward_MatchesCentralDifferences_ForTheMaskDrawn()
    {
        // A fresh generator with one seed on every call: every evaluation draws the same mask.
        Tensor[] inputs = [Leaf(1, 2, 3, 2), Leaf(2, 2, 4, 2), Leaf(3, 2, 4, 3)];
        GradCheck.Assert(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], dropoutP: 0.3, generator: new Generator(5)).Tanh(), inputs, Op);
        GradCheck.AssertSecondOrder(t => Ops.ScaledDotProductAttention(t[0], t[1], t[2], dropoutP: 0.3, generator: new Generator(5)).Tanh(),
            inputs, Op);
    }

    [Test]
    public void ForwardAndBackward_AreBitIdentical_OnOneAndTwoThreads_AndWithPoisonedBuffers()
    {
        float[] Run(int threads) => WithThreads(threads, () =>
        {
            var q = Tensor.Randn([4, 4, 40, 32], 1).RequireGrad();
            var k = Tensor.Randn([4, 4, 40, 32], 2).RequireGrad();
            var v = Tensor.Randn([4, 4, 40, 32], 3).RequireGrad();
            var y = Ops.ScaledDotProductAttention(q, k, v, isCausal: true, dropoutP: 0.1, generator: new Generator(4));
            (y * y).Sum().Backward();
            return y.ToArray().Concat(q.Grad!.ToArray()).Concat(k.Grad!.ToArray()).Concat(v.Grad!.ToArray()).ToArray();
        });
        var one = Run(1);
        Assert.That(Run(2), Is.EqualTo(one));
        Compute.PoisonEmpty = true;
        Assert.That(Run(2), Is.EqualTo(one));
        Assert.That(one.Any(float.IsNaN), Is.False);
    }

    [Test]
    public void NoGrad_RecordsNothing()
    {
        var q = Leaf(1, 2, 3, 2);
        using (Tape.NoGrad())
        {
            var y = Ops.ScaledDotProductAttention(q, Leaf(2, 2, 4, 2), Leaf(3, 2, 4, 3));
            Assert.That(y.RequiresGrad, Is.False);
        }
    }

    [Test]
    public void Throws_WhenRankIsBelowTwo() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(4), Tensor.Zeros(3, 4), Tensor.Zeros(3, 2)), Op, "query", "[4]");

    [Test]
    public void Throws_WhenEmbeddingDimsDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 4), Tensor.Zeros(3, 5), Tensor.Zeros(3, 2)),
            Op, "E", "[2, 4]", "[3, 5]");

    [Test]
    public void Throws_WhenKeyAndValueLengthsDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(5, 2)),
            Op, "S", "[3, 4]", "[5, 2]");

    [Test]
    public void Throws_WhenBatchDimsDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 2, 4), Tensor.Zeros(3, 3, 4), Tensor.Zeros(3, 3, 2)),
            Op, "leading", "[2, 2, 4]", "[3, 3, 4]");

    [Test]
    public void Throws_WhenMaskDoesNotBroadcast() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(3, 2),
            Tensor.Zeros(2, 2)), Op, "attnMask [2, 2]", "[2, 3]");

    [Test]
    public void Throws_WhenCausalIsCombinedWithAMask() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(3, 2),
            Tensor.Zeros(2, 3), isCausal: true), Op, "isCausal", "[2, 3]");

    [TestCase(-0.1)]
    [TestCase(1.0)]
    [TestCase(double.NaN)]
    public void Throws_WhenDropoutIsOutOfRange(double p) =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(3, 2), dropoutP: p),
            Op, "dropoutP", "[0, 1)");

    [Test]
    public void Throws_WhenAnInputIsNotFloatingPoint() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros([2, 4], DType.Int64), Tensor.Zeros(3, 4), Tensor.Zeros(3, 2)),
            Op, "Int64");

    [Test]
    public void Throws_WhenTheMaskIsInt64() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(3, 2),
            Tensor.Zeros([2, 3], DType.Int64)), Op, "attnMask", "Int64");

    [Test]
    public void Throws_WhenAFloatMaskRequiresGrad() =>
        AssertThrows<ArgumentException>(() => Ops.ScaledDotProductAttention(Tensor.Zeros(2, 4), Tensor.Zeros(3, 4), Tensor.Zeros(3, 2),
            Tensor.Zeros(2, 3).RequireGrad()), Op, "attnMask", "requires grad");
}
