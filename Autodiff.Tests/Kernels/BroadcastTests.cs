using Autodiff;
using Autodiff.Kernels;
using static Autodiff.Ops;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Kernels;

/// <summary>Kernels/Broadcast.cs and Kernels/BroadcastSum.cs: element-wise ops with broadcasting read their operands in
/// place (no expanded copy), and a broadcast gradient is summed back by column and row sums. Values against the expanded
/// operands and a plain loop; bits against the thread count.</summary>
public class BroadcastTests
{
    [TearDown]
    public void StopPoisoning() => Compute.PoisonEmpty = false;

    private static readonly (int[] A, int[] B)[] ShapePairs =
    [
        ([4, 5], [5]), ([5], [4, 5]), ([4, 5], []), ([], [4, 5]), ([4, 5], [1]), ([1], [4, 5]),
        ([4, 1], [1, 5]), ([1, 5], [4, 1]), ([4, 1], [4, 5]), ([4, 5], [4, 1]), ([2, 1, 3], [4, 1]),
        ([3, 1, 5, 1], [1, 4, 1, 6]), ([2, 3, 4], [3, 1]), ([2, 3, 4], [2, 1, 4]), ([1, 1], [1]), ([], []),
        ([1, 3, 1], [2, 1, 1, 1]), ([0, 3], [3]), ([2, 0], [1]), ([2, 1], [0]), ([6, 1, 1], [1, 7, 1]),
    ];

    private static IEnumerable<TestCaseData> PairCases() =>
        ShapePairs.Select(p => new TestCaseData(p.A, p.B).SetArgDisplayNames($"{Shape.Format(p.A)} {Shape.Format(p.B)}"));

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Op)[] BinaryOps =
        [("Add", Add), ("Sub", Sub), ("Mul", Mul), ("Div", Div), ("Maximum", Maximum), ("Minimum", Minimum)];

    /// <summary>Seeded values with a zero of each sign, a NaN and an infinity among them.</summary>
    private static Tensor Values(int[] shape, long seed, DType dtype)
    {
        var t = Tensor.Randn(shape, seed, DType.Float64);
        var data = t.ToDoubleArray();
        double[] specials = [0.0, -0.0, double.NaN, double.PositiveInfinity, 1.0];
        for (int i = 0; i < data.Length; i += 7) data[i] = specials[(i / 7 + (int)seed) % specials.Length];
        return Tensor.FromArray(data, shape).To(dtype);
    }

    private static void AssertSameBits(Tensor actual, Tensor expected, string what)
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), what);
        var (x, y) = (actual.ToDoubleArray(), expected.ToDoubleArray());
        for (int i = 0; i < x.Length; i++)
            if (!(double.IsNaN(x[i]) && double.IsNaN(y[i])) && BitConverter.DoubleToInt64Bits(x[i]) != BitConverter.DoubleToInt64Bits(y[i]))
                Assert.Fail($"{what}: element {i} is {x[i]:R}, expected {y[i]:R}");
    }

    [TestCaseSource(nameof(PairCases))]
    public void BinaryOps_GiveTheBitsOfTheExpandedOperands(int[] a, int[] b)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var (x, y) = (Values(a, 1, dtype), Values(b, 2, dtype));
            var shape = Shape.TryBroadcast(x.Shape, y.Shape)!;
            var (xe, ye) = (Compute.Expand(x, shape), Compute.Expand(y, shape));
            foreach (var (name, op) in BinaryOps)
                AssertSameBits(op(x, y), op(xe, ye), $"{name} {dtype} {x.Shape} {y.Shape}");
        }
    }

    [TestCaseSource(nameof(PairCases))]
    public void ExtremumBackward_GivesTheBitsOfTheExpandedOperands(int[] a, int[] b)
    {
        var (x, y) = (Values(a, 10, DType.Float64), Values(b, 11, DType.Float64));
        var shape = Shape.TryBroadcast(x.Shape, y.Shape)!;
        var dy = Tensor.Randn(shape.ToArray(), 13, DType.Float64);
        var (xe, ye) = (Compute.Expand(x, shape), Compute.Expand(y, shape));
        foreach (bool max in new[] { true, false })
        {
            AssertSameBits(ExtremumBackward(dy, x, y, max), ExtremumBackward(dy, xe, ye, max), $"ExtremumBackward(max: {max}) {x.Shape} {y.Shape}");
            AssertSameBits(ExtremumBackward(dy, y, x, max), ExtremumBackward(dy, ye, xe, max), $"ExtremumBackward(max: {max}) {y.Shape} {x.Shape}");
            AssertSameBits(ExtremumBackward(dy, x, x, max), ExtremumBackward(dy, xe, xe, max), $"ExtremumBackward(max: {max}) {x.Shape} with itself (all ties)");
        }
    }

    /// <summary>An operator with only the span form: <c>d = 2x + y</c>.</summary>
    private readonly struct SpanOnlyOperator : IBinaryOperator
    {
        public void Invoke<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : struct, System.Numerics.IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = x[i] + x[i] + y[i];
        }
    }

    [TestCase(new[] { 3, 1500 }, new int[0])]
    [TestCase(new int[0], new[] { 3, 1500 })]
    [TestCase(new[] { 2, 1 }, new[] { 1, 2500 })]
    [TestCase(new[] { 2500, 1 }, new[] { 1, 3 })]
    public void OperatorWithoutScalarForms_RepeatsTheScalar(int[] a, int[] b)
    {
        // The interface's default scalar forms repeat the scalar into a buffer (1024 long): rows longer than it too.
        var (x, y) = (Values(a, 8, DType.Float32), Values(b, 9, DType.Float32));
        var shape = Shape.TryBroadcast(x.Shape, y.Shape)!;
        var expected = Compute.Binary<SpanOnlyOperator>(Compute.Expand(x, shape), Compute.Expand(y, shape));
        AssertSameBits(Compute.Binary<SpanOnlyOperator>("Test", x, y), expected, $"{x.Shape} {y.Shape}");
    }

    [TestCaseSource(nameof(PairCases))]
    public void Where_GivesTheBitsOfTheExpandedOperands(int[] a, int[] b)
    {
        var (x, y) = (Values(a, 3, DType.Float64), Values(b, 4, DType.Float64));
        var shape = Shape.TryBroadcast(x.Shape, y.Shape)!;
        var condition = Tensor.Randn(b, 5, DType.Float64).Gt(0.0);                       // broadcast like b
        var expected = Where(Compute.Expand(condition, shape), Compute.Expand(x, shape), Compute.Expand(y, shape));
        AssertSameBits(Where(condition, x, y), expected, $"Where {x.Shape} {y.Shape}");
        AssertSameBits(Where(condition.To(DType.Float64), x, y), expected, $"Where (float mask) {x.Shape} {y.Shape}");
    }

    [TestCase(double.NegativeInfinity)]
    [TestCase(double.NaN)]
    [TestCase(0.5)]
    public void MaskedFill_WithABroadcastMask_MatchesAPlainLoop(double value)
    {
        // A causal mask [T, T] over scores [B, H, T, T], read in place.
        var scores = Tensor.Randn([2, 3, 5, 5], 14, DType.Float64);
        var mask = Triu(Tensor.Ones(5, 5), 1).Gt(0.0);
        var y = MaskedFill(scores, mask, value).ToDoubleArray();
        var (s, m) = (scores.ToDoubleArray(), mask.To(DType.Float64).ToDoubleArray());
        for (int i = 0; i < y.Length; i++)
        {
            double expected = m[i % 25] != 0 ? value : s[i];
            Assert.That(BitConverter.DoubleToInt64Bits(y[i]), Is.EqualTo(BitConverter.DoubleToInt64Bits(expected)), $"element {i}");
        }
    }

    private static readonly (int[] Gradient, int[] Target)[] SumToPairs =
    [
        ([4, 5], [5]), ([4, 5], [1, 5]), ([4, 5], [4, 1]), ([4, 5], []), ([4, 5], [1]), ([4, 5], [1, 1]),
        ([2, 3, 4], [3, 1]), ([2, 3, 4], [2, 1, 4]), ([2, 3, 4], [3, 4]), ([3, 4, 5, 6], [4, 1, 1]),
        ([3, 4, 5, 6], [3, 1, 5, 1]), ([3, 4, 5, 6], [1, 4, 1, 6]), ([1, 5], [5]),
        ([2, 1, 3], [1, 1, 3]), ([7, 33], [33]), ([33, 7], [33, 1]), ([0, 3], [3]), ([3, 0], [3, 1]),
    ];

    private static IEnumerable<TestCaseData> SumToCases() =>
        SumToPairs.Select(p => new TestCaseData(p.Gradient, p.Target).SetArgDisplayNames($"{Shape.Format(p.Gradient)} to {Shape.Format(p.Target)}"));

    /// <summary><c>result[j] = Σ g[i]</c> over the i that broadcast to j, in row-major order of i.</summary>
    private static double[] NaiveSumTo(double[] g, int[] gradient, int[] target)
    {
        var result = new double[target.Aggregate(1, (p, d) => p * d)];
        var strides = new Shape(target).BroadcastStrides(new Shape(gradient));
        for (int i = 0; i < g.Length; i++)
        {
            int rest = i, at = 0;
            for (int d = gradient.Length - 1; d >= 0; d--)
            {
                at += rest % gradient[d] * strides[d];
                rest /= gradient[d];
            }
            result[at] += g[i];
        }
        return result;
    }

    [TestCaseSource(nameof(SumToCases))]
    public void SumTo_MatchesAPlainLoop(int[] gradient, int[] target)
    {
        var g = Tensor.Randn(gradient, 6, DType.Float64);
        var sum = Compute.SumTo(g, new Shape(target));
        Assert.That(sum.Shape, Is.EqualTo(new Shape(target)));
        Assert.That(sum.ToDoubleArray(), Is.EqualTo(NaiveSumTo(g.ToDoubleArray(), gradient, target)).Within(1e-12));
    }

    [Test]
    public void SumTo_ColumnSums_AddRowsInOrder()
    {
        // A bias gradient: each column summed row by row, so the bits are those of the plain loop (float32, with
        // cancellation that would show any other order).
        var g = Tensor.Randn([301, 77], 7) * 1e4 + Tensor.Randn([301, 77], 8);
        var expected = new float[77];
        var data = g.ToArray();
        for (int r = 0; r < 301; r++)
            for (int c = 0; c < 77; c++) expected[c] += data[r * 77 + c];
        Assert.That(Compute.SumTo(g, new Shape(77)).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Backward_OfBroadcastOps_MatchesCentralDifferences_Float64()
    {
        var x = Leaf(10, 3, 4);
        var bias = Leaf(11, 4);
        var column = Leaf(12, 3, 1);
        var row = Leaf(13, 1, 4);
        var scalar = Leaf(14);
        GradCheck.Assert(xs => (xs[0] + xs[1]) * xs[2] - xs[3] / (xs[4] * xs[4] + 1.0), [x, bias, column, row, scalar], "broadcasts");
        GradCheck.Assert(xs => Maximum(xs[0], xs[1]) + Minimum(xs[2], xs[3]), [x, bias, column, row], "Maximum, Minimum");
        GradCheck.Assert(xs => Where(xs[0].Gt(0.0), xs[1], xs[2]) * xs[3], [x, column, row, bias], "Where");
    }

    // ---- the thread count ---------------------------------------------------------------------------------------------

    /// <summary>Forward and backward of every broadcast pattern on shapes whose chunks (2¹⁴ elements) end inside rows,
    /// above the size that shares work with awake workers (2¹⁶) and the size that wakes them (2¹⁸); returns every output
    /// and gradient.</summary>
    private static double[] RunLarge(DType dtype)
    {
        var x = Tensor.Randn([517, 263], 20, dtype).RequireGrad();                 // 135,971 elements: 9 chunks
        var bias = Tensor.Randn([263], 21, dtype).RequireGrad();
        var column = Tensor.Randn([517, 1], 22, dtype).RequireGrad();
        var row = Tensor.Randn([1, 263], 23, dtype).RequireGrad();
        var scalar = Tensor.Randn([], 24, dtype).RequireGrad();
        var y = Tensor.Randn([517, 263], 25, dtype).RequireGrad();
        var big = Tensor.Randn([3, 5, 197, 101], 26, dtype).RequireGrad();          // 298,455 elements: wakes workers
        var channel = Tensor.Randn([5, 1, 1], 27, dtype).RequireGrad();
        var outputs = new[]
        {
            x + bias, x * y, x * 2.0, column + row, column * row, x - column, x / scalar, Maximum(x, row), Minimum(bias, y),
            big * channel, Where(x.Gt(0.0), x, bias), x.Exp(), x.Tanh(), (x * y).Sigmoid(), -x, x.Abs().Sqrt(),
            Tensor.Randn([1, 300007], 28, dtype).RequireGrad().Sum().Reshape(1),      // one long row summed
        };
        var loss = outputs.Select(o => (o * o).Sum()).Aggregate((p, q) => p + q);
        loss.Backward();
        var all = new List<double>();
        foreach (var t in outputs) all.AddRange(t.ToDoubleArray());
        foreach (var t in new[] { x, bias, column, row, scalar, y, big, channel }) all.AddRange(t.Grad!.ToDoubleArray());
        return [.. all];
    }

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void LargeBroadcastsAndTheirGradients_AreBitIdentical_OnOneTwoAndThreeThreads(DType dtype)
    {
        var one = WithThreads(1, () => RunLarge(dtype));
        Assert.That(WithThreads(2, () => RunLarge(dtype)), Is.EqualTo(one));
        Assert.That(WithThreads(3, () => RunLarge(dtype)), Is.EqualTo(one));
        Compute.PoisonEmpty = true;                                                  // every chunk writes all it owns
        Assert.That(WithThreads(2, () => RunLarge(dtype)), Is.EqualTo(one));
    }

    [Test]
    public void SumTo_IsBitIdentical_OnOneTwoAndThreeThreads()
    {
        (int[] Gradient, int[] Target)[] cases =
        [
            ([1001, 517], [517]), ([517, 1001], [517, 1]), ([300007], []), ([3, 5, 197, 101], [5, 1, 1]),
            ([2, 140001], [2, 1]), ([100001, 3], [3]), ([9, 10007, 3], [9, 1, 3]), ([70001, 3], [3]),
        ];
        foreach (var (gradient, target) in cases)
        {
            var g = Tensor.Randn(gradient, 30);
            float[] Sum() => Compute.SumTo(g, new Shape(target)).ToArray();
            var one = WithThreads(1, Sum);
            Assert.That(WithThreads(2, Sum), Is.EqualTo(one), $"{g.Shape} to {Shape.Format(target)}");
            Assert.That(WithThreads(3, Sum), Is.EqualTo(one), $"{g.Shape} to {Shape.Format(target)}");
            Assert.That(one, Is.EqualTo(NaiveSumTo(g.ToDoubleArray(), gradient, target)).Within(1e-2), $"{g.Shape} to {Shape.Format(target)}");
        }
    }
}
