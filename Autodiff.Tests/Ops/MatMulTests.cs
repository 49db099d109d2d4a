using Autodiff;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Ops;

using Ops = global::Autodiff.Ops;

/// <summary>Ops.MatMul (Ops/MatMul.cs and the Kernels/MatMul.cs GEMM): torch.matmul's 1-D, 2-D and batched rules.</summary>
public class MatMulTests
{
    /// <summary>c[i, j] = Σₚ a[i, p] · b[p, j] over row-major [m, k] and [k, n] arrays, in the plainest loop order.</summary>
    private static double[] Naive(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
                c[i * n + j] = sum;
            }
        return c;
    }

    private static double[] Transposed(double[] a, int rows, int cols)
    {
        var t = new double[a.Length];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    // ---- forward ------------------------------------------------------------------------------------------------

    [Test]
    public void Forward_MultipliesMatrices()
    {
        // [[1, 2, 3], [4, 5, 6]] · [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]]
        var a = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.FromArray(new[] { 7.0, 8, 9, 10, 11, 12 }, 3, 2);
        var y = Ops.MatMul(a, b);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 58.0, 64, 139, 154 }).Within(1e-12));
    }

    [Test]
    public void Forward_MultipliesMatrices_Float32()
    {
        var y = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, 2, 2).MatMul(Tensor.FromArray(new[] { 5f, 6, 7, 8 }, 2, 2));
        Assert.That(y.DType, Is.EqualTo(DType.Float32));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 19.0, 22, 43, 50 }).Within(1e-12));
    }

    [Test]
    public void Forward_VectorDotVector_IsScalar()
    {
        var y = Ops.MatMul(Tensor.FromArray(new[] { 1.0, 2, 3 }), Tensor.FromArray(new[] { 4.0, 5, 6 }));   // 4 + 10 + 18
        Assert.That(y.Shape.ToArray(), Is.Empty);
        Assert.That(y.ItemDouble(), Is.EqualTo(32.0).Within(1e-12));
    }

    [Test]
    public void Forward_VectorTimesMatrix_DropsRowDim()
    {
        // [1, 2] · [[1, 2, 3], [4, 5, 6]] = [9, 12, 15]
        var y = Ops.MatMul(Tensor.FromArray(new[] { 1.0, 2 }), Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 3 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { 9.0, 12, 15 }).Within(1e-12));
    }

    [Test]
    public void Forward_MatrixTimesVector_DropsColumnDim()
    {
        // [[1, 2, 3], [4, 5, 6]] · [1, 0, -1] = [-2, -2]
        var y = Ops.MatMul(Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3), Tensor.FromArray(new[] { 1.0, 0, -1 }));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2 }));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -2.0, -2 }).Within(1e-12));
    }

    [Test]
    public void Forward_BatchedTimesMatrix_MultipliesEachBatch()
    {
        var a = Tensor.Randn(new[] { 2, 3, 4 }, 1, DType.Float64);
        var b = Tensor.Randn(new[] { 4, 5 }, 2, DType.Float64);
        var y = Ops.MatMul(a, b);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 5 }));
        var ad = a.ToDoubleArray();
        var expected = Naive(ad[..12], b.ToDoubleArray(), 3, 4, 5).Concat(Naive(ad[12..], b.ToDoubleArray(), 3, 4, 5));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    [Test]
    public void Forward_BroadcastsBatchDims()
    {
        // [2, 1, 3, 4] · [3, 4, 2] -> [2, 3, 3, 2]; y[i, j] = a[i, 0] · b[j]
        var a = Tensor.Randn(new[] { 2, 1, 3, 4 }, 3, DType.Float64);
        var b = Tensor.Randn(new[] { 3, 4, 2 }, 4, DType.Float64);
        var y = Ops.MatMul(a, b);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3, 3, 2 }));
        var (ad, bd, yd) = (a.ToDoubleArray(), b.ToDoubleArray(), y.ToDoubleArray());
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
            {
                var expected = Naive(ad[(i * 12)..((i + 1) * 12)], bd[(j * 8)..((j + 1) * 8)], 3, 4, 2);
                Assert.That(yd[((i * 3 + j) * 6)..((i * 3 + j + 1) * 6)], Is.EqualTo(expected).Within(1e-12), $"batch [{i}, {j}]");
            }
    }

    [Test]
    public void Forward_VectorTimesBatch_DropsRowDim()
    {
        var a = Tensor.Randn(new[] { 4 }, 5, DType.Float64);
        var b = Tensor.Randn(new[] { 2, 4, 3 }, 6, DType.Float64);
        var y = Ops.MatMul(a, b);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new[] { 2, 3 }));
        var bd = b.ToDoubleArray();
        var expected = Naive(a.ToDoubleArray(), bd[..12], 1, 4, 3).Concat(Naive(a.ToDoubleArray(), bd[12..], 1, 4, 3));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    // Sizes past the kernel's 4-wide k unroll, its k block of 256, its n block of 512, and the SIMD width.
    [TestCase(1, 1, 1)]
    [TestCase(4, 4, 4)]
    [TestCase(5, 300, 7)]
    [TestCase(5, 300, 37)]
    [TestCase(9, 257, 9)]
    [TestCase(3, 20, 600)]
    public void Forward_LargeProduct_MatchesNaiveLoop_Float64(int m, int k, int n)
    {
        var a = Tensor.Randn(new[] { m, k }, 7, DType.Float64);
        var b = Tensor.Randn(new[] { k, n }, 8, DType.Float64);
        var expected = Naive(a.ToDoubleArray(), b.ToDoubleArray(), m, k, n);
        // Only the summation order differs from the naive loop: ~k·1e-16 relative rounding.
        Assert.That(Ops.MatMul(a, b).ToDoubleArray(), Is.EqualTo(expected).Within(1e-11));
    }

    [TestCase(5, 300, 7)]
    [TestCase(5, 300, 37)]
    [TestCase(3, 20, 600)]
    public void Forward_LargeProduct_MatchesNaiveLoop_Float32(int m, int k, int n)
    {
        var a = Tensor.Randn(new[] { m, k }, 9, DType.Float32);
        var b = Tensor.Randn(new[] { k, n }, 10, DType.Float32);
        var expected = Naive(a.ToDoubleArray(), b.ToDoubleArray(), m, k, n);
        var actual = Ops.MatMul(a, b).ToDoubleArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.That(actual[i], Is.EqualTo(expected[i]).Within(1e-3 * Math.Max(1.0, Math.Abs(expected[i]))), $"element {i}");
    }

    // ---- backward -----------------------------------------------------------------------------------------------

    [Test]
    public void Backward_GivesGTimesBTransposedAndATransposedTimesG()
    {
        // dA = g · Bᵀ, dB = Aᵀ · g with g = ones: dA[i, p] = Σⱼ B[p, j], dB[p, j] = Σᵢ A[i, p]
        var a = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3).RequireGrad();
        var b = Tensor.FromArray(new[] { 7.0, 8, 9, 10, 11, 12 }, 3, 2).RequireGrad();
        a.MatMul(b).Sum().Backward();
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 15.0, 19, 23, 15, 19, 23 }).Within(1e-12));
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 5.0, 5, 7, 7, 9, 9 }).Within(1e-12));
    }

    [TestCase(new[] { 3, 4 }, new[] { 4, 2 })]
    [TestCase(new[] { 4 }, new[] { 4 })]
    [TestCase(new[] { 4 }, new[] { 4, 3 })]
    [TestCase(new[] { 3, 4 }, new[] { 4 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 2, 4, 5 })]
    [TestCase(new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 })]
    [TestCase(new[] { 4 }, new[] { 2, 4, 3 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 4 })]
    [TestCase(new[] { 3, 4 }, new[] { 2, 4, 2 })]
    public void Backward_MatchesCentralDifferences_Float64(int[] aShape, int[] bShape) =>
        GradCheck.Assert(xs => Ops.MatMul(xs[0], xs[1]), new[] { Leaf(11, aShape), Leaf(12, bShape) }, "MatMul");

    [TestCase(new[] { 3, 4 }, new[] { 4, 2 })]
    [TestCase(new[] { 4 }, new[] { 4 })]
    [TestCase(new[] { 4 }, new[] { 4, 3 })]
    [TestCase(new[] { 3, 4 }, new[] { 4 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [TestCase(new[] { 2, 1, 3, 4 }, new[] { 3, 4, 2 })]
    [TestCase(new[] { 4 }, new[] { 2, 4, 3 })]
    [TestCase(new[] { 3, 4 }, new[] { 2, 4, 2 })]
    public void SecondOrder_MatchesCentralDifferencesOfTheFirstDerivative(int[] aShape, int[] bShape) =>
        // The backward products are recorded ops (MatMul with transposed operands), differentiated here once more.
        GradCheck.AssertSecondOrder(xs => Ops.Tanh(Ops.MatMul(xs[0], xs[1])), [Leaf(21, aShape), Leaf(22, bShape)], "MatMul");

    [TestCase(new[] { 3, 4 }, new[] { 4, 2 })]
    [TestCase(new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [TestCase(new[] { 3, 4 }, new[] { 2, 4, 2 })]
    public void ThirdOrder_TheTransposedProductsOwnDerivatives_MatchCentralDifferences(int[] aShape, int[] bShape) =>
        // The function checked is itself a gradient built with createGraph, so its second derivative runs the rules of the
        // backward products' backward products: every combination of transposed operands appears.
        GradCheck.AssertSecondOrder(xs =>
        {
            var y = Ops.MatMul(xs[0], xs[1]);
            var g = Autograd.Grad([(Ops.Tanh(y) * y).Sum()], [xs[0], xs[1]], createGraph: true);
            return Ops.Cat([g[0]!.Reshape(g[0]!.Numel), g[1]!.Reshape(g[1]!.Numel)], 0);
        }, [Leaf(23, aShape), Leaf(24, bShape)], "MatMul (third order)");

    [Test]
    public void Backward_OnlyOneOperandRequiresGrad_MatchesCentralDifferences_Float64()
    {
        var b = Tensor.Randn(new[] { 4, 2 }, 14, DType.Float64);
        GradCheck.Assert(xs => Ops.MatMul(xs[0], xs[1]), new[] { Leaf(13, 3, 4), b }, "MatMul");
        GradCheck.Assert(xs => Ops.MatMul(xs[1], xs[0]), new[] { Leaf(15, 2, 3), b }, "MatMul");
        Assert.That(b.Grad, Is.Null);
    }

    [Test]
    public void Backward_LargeProduct_MatchesNaiveTransposedProducts_Float64()
    {
        const int m = 5, k = 300, n = 7;
        var a = Leaf(16, m, k);
        var b = Leaf(17, k, n);
        var g = Tensor.Randn(new[] { m, n }, 18, DType.Float64);
        a.MatMul(b).Backward(g);
        var (ad, bd, gd) = (a.ToDoubleArray(), b.ToDoubleArray(), g.ToDoubleArray());
        Assert.That(a.Grad!.ToDoubleArray(), Is.EqualTo(Naive(gd, Transposed(bd, k, n), m, n, k)).Within(1e-11));   // g · Bᵀ
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(Naive(Transposed(ad, m, k), gd, k, m, n)).Within(1e-11));   // Aᵀ · g
    }

    [Test]
    public void Backward_BroadcastBatch_SumsGradientOverRepeats()
    {
        // b [4, 2] is shared by both batches of a: dB = Σ_batch Aᵀ · g
        var a = Leaf(19, 2, 3, 4);
        var b = Leaf(20, 4, 2);
        a.MatMul(b).Sum().Backward();
        var ad = a.ToDoubleArray();
        var expected = new double[8];
        for (int p = 0; p < 4; p++)
            for (int j = 0; j < 2; j++)
                for (int batch = 0; batch < 2; batch++)
                    for (int i = 0; i < 3; i++) expected[p * 2 + j] += ad[batch * 12 + i * 4 + p];
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(expected).Within(1e-12));
    }

    // ---- errors -------------------------------------------------------------------------------------------------

    [Test]
    public void Throws_WhenInnerDimsDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.MatMul(Tensor.Zeros(3, 4), Tensor.Zeros(5, 2)), "MatMul", "[3, 4]", "[5, 2]", "4 != 5");

    [Test]
    public void Throws_WhenVectorLengthsDiffer() =>
        AssertThrows<ArgumentException>(() => Ops.MatMul(Tensor.Zeros(3), Tensor.Zeros(4)), "MatMul", "[3]", "[4]", "3 != 4");

    [Test]
    public void Throws_WhenOperandIsScalar()
    {
        var s = Tensor.Scalar(2.0);
        AssertThrows<ArgumentException>(() => Ops.MatMul(s, Tensor.Zeros(3)), "MatMul", "[]", "[3]");
        AssertThrows<ArgumentException>(() => Ops.MatMul(Tensor.Zeros(2, 3), s), "MatMul", "[2, 3]", "[]");
    }

    [Test]
    public void Throws_WhenBatchDimsCannotBroadcast() =>
        AssertThrows<ArgumentException>(() => Ops.MatMul(Tensor.Zeros(2, 3, 4), Tensor.Zeros(3, 4, 5)), "MatMul", "[2, 3, 4]", "[3, 4, 5]");
}
