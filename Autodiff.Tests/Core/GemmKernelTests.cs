using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Autodiff;
using Autodiff.Kernels;
using static Autodiff.Tests.TestHelpers;

namespace Autodiff.Tests.Core;

/// <summary>Kernels/MatMul.cs, the packed GEMM <c>C (+)= op(A)·op(B)</c>: values against a float64 reference on shapes around
/// every block boundary, for both transposes, both dtypes and both modes; each vector width's kernels on their own (the
/// 512- and 256-bit ones only where the machine has them: elsewhere those tests are reported as ignored, not passed); and
/// the bits of C, which must not depend on the thread count, the vector width, the alignment of the spans or where an
/// element falls in a tile.</summary>
public class GemmKernelTests
{
    // Block sizes in MatMul: Mr = 6; NR = 2 vectors: 16 / 8 (float / double) with AVX2, 32 / 16 with AVX-512, 8 / 4 with
    // 128-bit vectors; Kc = 400; Mc = 144 / 72; Nc = 4096 / 2048.
    private static readonly int[][] Shapes =
    [
        [1, 1, 1], [2, 3, 5], [7, 11, 13], [31, 37, 41],          // tiny and primes
        [5, 4, 15], [6, 9, 16], [7, 3, 17], [12, 5, 32], [13, 2, 33], // around Mr and NR
        [9, 399, 10], [8, 400, 9], [10, 401, 11], [4, 801, 3],  // around Kc (k = 401: two blocks of 201 and 200)
        [9, 255, 10], [10, 257, 11],                                // around the previous Kc, 256
        [71, 3, 5], [72, 4, 6], [73, 5, 7], [143, 3, 9], [144, 2, 17], [145, 3, 8], // around Mc (double, float)
        [3, 2, 2047], [2, 3, 2049], [3, 2, 4095], [2, 1, 4097], // around Nc (double, float)
        [0, 5, 3], [3, 0, 4], [4, 5, 0], [0, 0, 0],              // empty
    ];

    private static IEnumerable<TestCaseData> ShapeCases() =>
        Shapes.Select(s => new TestCaseData(s[0], s[1], s[2]).SetArgDisplayNames($"{s[0]}x{s[1]}x{s[2]}"));

    [TestCaseSource(nameof(ShapeCases))]
    public void Gemm_MatchesFloat64Reference_Float32(int m, int k, int n) => CheckAllVariants<float>(m, k, n);

    [TestCaseSource(nameof(ShapeCases))]
    public void Gemm_MatchesFloat64Reference_Float64(int m, int k, int n) => CheckAllVariants<double>(m, k, n);

    [TestCase(512)]
    [TestCase(256)]
    [TestCase(128)]
    public void Gemm_ThreadCountDoesNotChangeBits(int bits)
    {
        var width = RequireWidth(bits);
        // Each above the 2·128³-flop threshold for splitting. m > n splits rows (138 rows: 66 + 72 on two threads, 42 + 42
        // + 54 on three), n > m columns; k = 401 is two k blocks. 100·500·60 and the MLP layer's forward x·Wᵀ (k = 784)
        // split k on two threads (one k block each, the second summed in scratch and added to C) and rows on three;
        // then the layer's weight gradient gᵀ·x, as it is stored.
        var cases = new List<(int M, int K, int N, bool TransA, bool TransB)>();
        foreach (var (m, k, n) in new[] { (138, 300, 64), (64, 300, 150), (70, 401, 80), (100, 500, 60) })
            foreach (var (transA, transB) in TransposeCombos) cases.Add((m, k, n, transA, transB));
        cases.Add((128, 784, 100, false, true));
        cases.Add((100, 128, 784, true, false));
        foreach (var (m, k, n, transA, transB) in cases)
            foreach (bool accumulate in new[] { true, false })
            {
                string what = $"{m}x{k}x{n} transA={transA} transB={transB} accumulate={accumulate}";
                var one = RunWithThreads<float>(1, m, k, n, transA, transB, accumulate, width);
                Assert.That(RunWithThreads<float>(2, m, k, n, transA, transB, accumulate, width), Is.EqualTo(one), $"{what}, 2 threads");
                Assert.That(RunWithThreads<float>(3, m, k, n, transA, transB, accumulate, width), Is.EqualTo(one), $"{what}, 3 threads");
            }
        foreach (var (m, k, n) in new[] { (138, 300, 64), (64, 300, 150), (100, 500, 60) })
        {
            var oneDouble = RunWithThreads<double>(1, m, k, n, true, true, true, width);
            Assert.That(RunWithThreads<double>(2, m, k, n, true, true, true, width), Is.EqualTo(oneDouble), $"double {m}x{k}x{n}, 2 threads");
            Assert.That(RunWithThreads<double>(3, m, k, n, true, true, true, width), Is.EqualTo(oneDouble), $"double {m}x{k}x{n}, 3 threads");
        }
    }

    [TestCase(512)]
    [TestCase(256)]
    [TestCase(128)]
    public void Gemm_VectorWidthMatchesReferenceOnOddShapes_Float32(int bits) => CheckOddShapes<float>(RequireWidth(bits));

    [TestCase(512)]
    [TestCase(256)]
    [TestCase(128)]
    public void Gemm_VectorWidthMatchesReferenceOnOddShapes_Float64(int bits) => CheckOddShapes<double>(RequireWidth(bits));

    [Test]
    public void Gemm_AlignmentDoesNotChangeBits()
    {
        const int m = 37, k = 300, n = 45;
        var rng = new Random(7);
        var a = RandomArray<float>(rng, m * k);
        var b = RandomArray<float>(rng, k * n);
        float[]? first = null;
        for (int offset = 0; offset < 9; offset++)
        {
            var (aa, bb, cc) = (new float[m * k + offset], new float[k * n + offset], new float[m * n + offset]);
            a.CopyTo(aa, offset);
            b.CopyTo(bb, offset);
            MatMul.Gemm<float>(aa.AsSpan(offset), false, bb.AsSpan(offset), true, cc.AsSpan(offset), m, k, n, accumulate: false);
            var c = cc[offset..];
            first ??= c;
            Assert.That(c, Is.EqualTo(first), $"offset {offset}");
        }
    }

    [Test]
    public void Gemm_VectorWidthDoesNotChangeBits()
    {
        var widths = new List<MatMul.VectorWidth> { MatMul.VectorWidth.Bits128 };
        if (Vector256.IsHardwareAccelerated) widths.Add(MatMul.VectorWidth.Bits256);
        if (Vector512.IsHardwareAccelerated) widths.Add(MatMul.VectorWidth.Bits512);
        // 53 and 67 rows end in partial tiles; k = 401 is two k blocks; n = 70 and 67 end in partial slivers, narrow on
        // some widths.
        foreach (var (m, k, n) in new[] { (53, 300, 70), (67, 401, 67) })
            foreach (var (transA, transB) in TransposeCombos)
            {
                Assert.That(RunWithWidths<float>(widths, m, k, n, transA, transB), Is.True, $"float {m}x{k}x{n} {transA} {transB}");
                Assert.That(RunWithWidths<double>(widths, m, k, n, transA, transB), Is.True, $"double {m}x{k}x{n} {transA} {transB}");
            }
    }

    [Test]
    public void Gemm_EdgeTileElementsEqualFullTileElements()
    {
        // Rows 1.. of A·B computed as a product of their own sit in different tiles (row r moves from tile row r % 6 to
        // (r - 1) % 6, and the last tile is partial), yet each element must keep its bits.
        const int m = 20, k = 270, n = 37;
        var rng = new Random(3);
        var a = RandomArray<float>(rng, m * k);
        var b = RandomArray<float>(rng, k * n);
        var full = new float[m * n];
        MatMul.Gemm<float>(a, false, b, false, full, m, k, n, accumulate: false);
        var shifted = new float[(m - 1) * n];
        MatMul.Gemm<float>(a.AsSpan(k), false, b, false, shifted, m - 1, k, n, accumulate: false);
        Assert.That(shifted, Is.EqualTo(full[n..]));
        // Columns 0..n-2 as a product of their own: B's columns are rows of Bᵀ, so pass Bᵀ and drop its last row.
        var bt = new float[n * k];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
        var narrow = new float[m * (n - 1)];
        MatMul.Gemm<float>(a, false, bt, true, narrow, m, k, n - 1, accumulate: false);
        for (int i = 0; i < m; i++)
            Assert.That(narrow.AsSpan(i * (n - 1), n - 1).ToArray(), Is.EqualTo(full.AsSpan(i * n, n - 1).ToArray()), $"row {i}");
    }

    [Test]
    public void Gemm_InPlaceAGivesTheBitsOfPackedA()
    {
        // op(A) is read in place when C is at most 256 columns wide and packed when wider: the first 200 columns of a
        // 300-column product (packed A) must equal a 200-column product (A in place), for A stored either way.
        const int m = 25, k = 530, wide = 300, narrow = 200;
        var rng = new Random(9);
        var a = RandomArray<float>(rng, m * k);
        var bt = RandomArray<float>(rng, wide * k);                             // Bᵀ [wide, k]: its first rows are B's first columns
        foreach (bool transA in new[] { false, true })
        {
            var full = new float[m * wide];
            MatMul.Gemm<float>(a, transA, bt, true, full, m, k, wide, accumulate: false);
            var part = new float[m * narrow];
            MatMul.Gemm<float>(a, transA, bt.AsSpan(0, narrow * k), true, part, m, k, narrow, accumulate: false);
            for (int i = 0; i < m; i++)
                Assert.That(part.AsSpan(i * narrow, narrow).ToArray(), Is.EqualTo(full.AsSpan(i * wide, narrow).ToArray()), $"transA={transA} row {i}");
        }
    }

    [Test]
    public void Gemm_InPlaceBGivesTheBitsOfPackedB()
    {
        // op(B) stored [k, n] is read in place for k ≤ 128 (at strides that spread over L1); stored [n, k] (transB) it is
        // always packed: the two must give the same bits, also for the partial last sliver, which is packed either way.
        foreach (var (m, k, n) in new[] { (25, 100, 784), (13, 128, 100), (7, 67, 37) })
        {
            var rng = new Random(m + k + n);
            var a = RandomArray<float>(rng, m * k);
            var b = RandomArray<float>(rng, k * n);
            var bt = new float[n * k];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) bt[j * k + p] = b[p * n + j];
            foreach (bool transA in new[] { false, true })
            {
                var inPlace = new float[m * n];
                MatMul.Gemm<float>(a, transA, b, false, inPlace, m, k, n, accumulate: false);
                var packed = new float[m * n];
                MatMul.Gemm<float>(a, transA, bt, true, packed, m, k, n, accumulate: false);
                Assert.That(inPlace, Is.EqualTo(packed), $"{m}x{k}x{n} transA={transA}");
            }
        }
    }

    [TestCase(512)]
    [TestCase(256)]
    [TestCase(128)]
    public void Gemm_PrepackedBGivesTheBitsOfTheUnpackedProduct(int bits)
    {
        // A recurrent layer packs W_hh once (MatMul.PackB) and multiplies every step by it: the bits must be those of the
        // plain product, for partial tiles and slivers, several k blocks (k = 401, 1024), more columns than one panel
        // (n = 4097 float), and the thread splits of the layer's own products (32 × 256 × 1024 and 32 × 1024 × 256).
        var width = RequireWidth(bits);
        foreach (var (m, k, n) in new[] { (7, 11, 13), (13, 401, 37), (3, 5, 4097), (32, 256, 1024), (32, 1024, 256) })
            foreach (var (transA, transB) in TransposeCombos)
                foreach (bool accumulate in new[] { true, false })
                {
                    var rng = new Random(m + k + n);
                    var (a, b, c0) = (RandomArray<float>(rng, m * k), RandomArray<float>(rng, k * n), RandomArray<float>(rng, m * n));
                    if (!accumulate) c0.AsSpan().Fill(float.NaN);
                    var plain = (float[])c0.Clone();
                    MatMul.Gemm<float>(a, transA, b, transB, plain, m, k, n, accumulate, width);
                    foreach (int threads in new[] { 1, 2 })
                    {
                        var packed = WithThreads(threads, () =>
                        {
                            var c = (float[])c0.Clone();
                            using var pb = MatMul.PackB<float>(b, transB, k, n, width);
                            MatMul.Gemm<float>(a, transA, pb, c, m, accumulate);
                            MatMul.Gemm<float>(a, transA, pb, c.AsSpan(), 0, accumulate);           // m = 0: nothing
                            return c;
                        });
                        Assert.That(packed, Is.EqualTo(plain), $"{m}x{k}x{n} transA={transA} transB={transB} accumulate={accumulate} threads={threads}");
                    }
                }
        var ad = RandomArray<double>(new Random(5), 9 * 401);
        var bd = RandomArray<double>(new Random(6), 401 * 19);
        var (cd, cp) = (new double[9 * 19], new double[9 * 19]);
        MatMul.Gemm<double>(ad, false, bd, false, cd, 9, 401, 19, accumulate: false, width);
        using (var pd = MatMul.PackB<double>(bd, false, 401, 19, width)) MatMul.Gemm<double>(ad, false, pd, cp, 9, accumulate: false);
        Assert.That(cp, Is.EqualTo(cd), "double 9x401x19");
    }

    [Test]
    public void Gemm_ThrowsWhenASpanIsTooShort()
    {
        var x = new float[6];
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.Gemm<float>(x, false, x, false, new float[4], 2, 4, 2, false));
        Assert.Throws<ArgumentOutOfRangeException>(() => MatMul.Gemm<float>(x, false, x, false, new float[3], 2, 3, 2, false));
    }

    private static readonly (bool, bool)[] TransposeCombos = [(false, false), (false, true), (true, false), (true, true)];

    /// <summary>Every (transA, transB, accumulate) on one shape, with each operand a slice in the middle of a larger array
    /// whose other elements must stay untouched; C starts as NaN when not accumulating (its old value must not be read).</summary>
    private static void CheckAllVariants<T>(int m, int k, int n) where T : struct, IFloatingPointIeee754<T>
    {
        const int pad = 5;
        var rng = new Random(m * 10007 + k * 101 + n);
        foreach (var (transA, transB) in TransposeCombos)
            foreach (bool accumulate in new[] { false, true })
            {
                string what = $"{typeof(T).Name} {m}x{k}x{n} transA={transA} transB={transB} accumulate={accumulate}";
                var a = RandomArray<T>(rng, m * k + 2 * pad);
                var b = RandomArray<T>(rng, k * n + 2 * pad);
                var c = RandomArray<T>(rng, m * n + 2 * pad);
                if (!accumulate) c.AsSpan(pad, m * n).Fill(T.NaN);
                var before = (T[])c.Clone();

                MatMul.Gemm<T>(a.AsSpan(pad, m * k), transA, b.AsSpan(pad, k * n), transB, c.AsSpan(pad, m * n), m, k, n, accumulate);

                Assert.That(c[..pad], Is.EqualTo(before[..pad]), $"{what}: elements before C changed");
                Assert.That(c[(pad + m * n)..], Is.EqualTo(before[(pad + m * n)..]), $"{what}: elements after C changed");
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        // C[i, j] = C₀[i, j] + Σₚ op(A)[i, p] · op(B)[p, j], in float64; the error bound is (k + 2)·u·Σ|terms|, doubled for the reference's own rounding.
                        double sum = accumulate ? double.CreateTruncating(before[pad + i * n + j]) : 0, magnitude = Math.Abs(sum);
                        for (int p = 0; p < k; p++)
                        {
                            double term = double.CreateTruncating(a[pad + (transA ? p * m + i : i * k + p)])
                                        * double.CreateTruncating(b[pad + (transB ? j * k + p : p * n + j)]);
                            sum += term;
                            magnitude += Math.Abs(term);
                        }
                        double got = double.CreateTruncating(c[pad + i * n + j]);
                        double tolerance = 2 * (k + 2) * Eps<T>() * magnitude;
                        Assert.That(got, Is.EqualTo(sum).Within(tolerance), $"{what}: C[{i}, {j}]");
                    }
            }
    }

    /// <summary>The unit roundoff of T: 2⁻²⁴ for float, 2⁻⁵³ for double.</summary>
    private static double Eps<T>() => typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);

    private static T[] RandomArray<T>(Random rng, int length) where T : struct, IFloatingPointIeee754<T>
    {
        var x = new T[length];
        for (int i = 0; i < length; i++) x[i] = T.CreateTruncating(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>C = C₀ + op(A)·op(B), or op(A)·op(B) into a C poisoned with NaN, on seeded data with
    /// <see cref="Threading.NumThreads"/> set to <paramref name="threads"/>.</summary>
    private static T[] RunWithThreads<T>(int threads, int m, int k, int n, bool transA, bool transB, bool accumulate, MatMul.VectorWidth width)
        where T : struct, IFloatingPointIeee754<T> =>
        WithThreads(threads, () =>
        {
            var rng = new Random(11);
            var (a, b, c) = (RandomArray<T>(rng, m * k), RandomArray<T>(rng, k * n), RandomArray<T>(rng, m * n));
            if (!accumulate) c.AsSpan().Fill(T.NaN);
            MatMul.Gemm<T>(a, transA, b, transB, c, m, k, n, accumulate, width);
            return c;
        });

    /// <summary>The width for <paramref name="bits"/>, or <see cref="Assert.Ignore(string)"/> when this machine lacks the
    /// hardware for it (the kernels would still run, emulated, but the point is to test the code the machine runs).</summary>
    private static MatMul.VectorWidth RequireWidth(int bits)
    {
        if (bits == 512 && !Vector512.IsHardwareAccelerated)
            Assert.Ignore("No AVX-512 on this machine (Vector512.IsHardwareAccelerated is false): the 512-bit GEMM kernels were not tested.");
        if (bits == 256 && !(Vector256.IsHardwareAccelerated && Fma.IsSupported))
            Assert.Ignore("No AVX2 + FMA on this machine: the 256-bit GEMM kernels were not tested.");
        return (MatMul.VectorWidth)bits;
    }

    /// <summary>Shapes with every dimension in 1..67: each boundary of the 6-row tiles (5, 6, 7, 11, 12, 13, …) and of the
    /// 4/8/16/32-lane B slivers and their halves, and a seeded sample of the rest.</summary>
    private static IEnumerable<(int M, int K, int N)> OddShapes()
    {
        int[] rowEdges = [1, 2, 5, 6, 7, 11, 12, 13, 17, 18, 19, 23, 24, 25, 30, 36, 37, 60, 66, 67];
        int[] columnEdges = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 47, 48, 49, 63, 64, 65, 67];
        int[] depths = [1, 2, 3, 8, 17, 31, 64, 67];
        yield return (1, 1, 1);
        yield return (67, 67, 67);
        var rng = new Random(1667);
        int Pick(int[] edges) => rng.Next(2) == 0 ? edges[rng.Next(edges.Length)] : rng.Next(1, 68);
        for (int i = 0; i < 40; i++) yield return (Pick(rowEdges), Pick(depths), Pick(columnEdges));
    }

    /// <summary>Every (transA, transB, accumulate) of each <see cref="OddShapes"/> shape on one vector width, the operands
    /// at varying offsets into larger arrays (so at every alignment) whose other elements must stay untouched, C poisoned
    /// with NaN when not accumulating, against a reference within the worst-case rounding bound of the kernel's sum.</summary>
    /// <remarks>An element is <c>C₀ + s</c>, s summed by one fused multiply-add per term from zero (k ≤ 67 is one k
    /// block): at most k + 1 roundings, so <c>|error| ≤ γ_(k+1)·(|C₀| + Σ|aₚ·bₚ|)</c>, γ_j = j·u / (1 − j·u). The
    /// reference is the exact sum rounded to float64 (products split exactly with a fused multiply-add, summed with a
    /// compensated sum), so the bound holds with a few float64 units added for the reference's own rounding.</remarks>
    private static void CheckOddShapes<T>(MatMul.VectorWidth width) where T : struct, IFloatingPointIeee754<T>
    {
        double u = Eps<T>();
        int shape = 0;
        foreach (var (m, k, n) in OddShapes())
        {
            shape++;
            var rng = new Random(shape);
            foreach (var (transA, transB) in TransposeCombos)
                foreach (bool accumulate in new[] { false, true })
                {
                    string what = $"{width} {typeof(T).Name} {m}x{k}x{n} transA={transA} transB={transB} accumulate={accumulate}";
                    var (padA, padB, padC) = (rng.Next(16), rng.Next(16), rng.Next(16));
                    var a = RandomArray<T>(rng, padA + m * k + 3);
                    var b = RandomArray<T>(rng, padB + k * n + 3);
                    var c = RandomArray<T>(rng, padC + m * n + 3);
                    if (!accumulate) c.AsSpan(padC, m * n).Fill(T.NaN);
                    var before = (T[])c.Clone();

                    MatMul.Gemm<T>(a.AsSpan(padA, m * k), transA, b.AsSpan(padB, k * n), transB, c.AsSpan(padC, m * n), m, k, n, accumulate, width);

                    Assert.That(c[..padC], Is.EqualTo(before[..padC]), $"{what}: elements before C changed");
                    Assert.That(c[(padC + m * n)..], Is.EqualTo(before[(padC + m * n)..]), $"{what}: elements after C changed");
                    double gamma = (k + 1) * u / (1 - (k + 1) * u);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++)
                        {
                            double c0 = accumulate ? double.CreateTruncating(before[padC + i * n + j]) : 0;
                            var (sum, magnitude) = ExactDot(c0, k, p => double.CreateTruncating(a[padA + (transA ? p * m + i : i * k + p)]),
                                p => double.CreateTruncating(b[padB + (transB ? j * k + p : p * n + j)]));
                            double got = double.CreateTruncating(c[padC + i * n + j]);
                            double tolerance = gamma * magnitude + 4 * Math.Pow(2, -53) * magnitude;
                            Assert.That(got, Is.EqualTo(sum).Within(tolerance), $"{what}: C[{i}, {j}]");
                        }
                }
        }
    }

    /// <summary><c>c0 + Σₚ x(p)·y(p)</c> rounded once to float64 (up to a few units of float64 rounding: each product is
    /// split exactly into a float64 and its rounding error with a fused multiply-add, and the parts are added with
    /// Neumaier's compensated sum), and <c>|c0| + Σ|x(p)·y(p)|</c>.</summary>
    private static (double Sum, double Magnitude) ExactDot(double c0, int k, Func<int, double> x, Func<int, double> y)
    {
        double sum = c0, compensation = 0, magnitude = Math.Abs(c0);
        void Add(double term)
        {
            double t = sum + term;
            compensation += Math.Abs(sum) >= Math.Abs(term) ? (sum - t) + term : (term - t) + sum;
            sum = t;
        }
        for (int p = 0; p < k; p++)
        {
            double xp = x(p), yp = y(p), product = xp * yp;
            Add(product);
            Add(Math.FusedMultiplyAdd(xp, yp, -product));
            magnitude += Math.Abs(product);
        }
        return (sum + compensation, magnitude);
    }

    /// <summary>Whether every width in <paramref name="widths"/> gives the bits of the first, overwriting and accumulating.</summary>
    private static bool RunWithWidths<T>(List<MatMul.VectorWidth> widths, int m, int k, int n, bool transA, bool transB)
        where T : struct, IFloatingPointIeee754<T>
    {
        var rng = new Random(5);
        var (a, b, c0) = (RandomArray<T>(rng, m * k), RandomArray<T>(rng, k * n), RandomArray<T>(rng, m * n));
        var first = new Dictionary<bool, T[]>();
        foreach (var width in widths)
            foreach (bool accumulate in new[] { false, true })
            {
                var c = (T[])c0.Clone();
                MatMul.Gemm<T>(a, transA, b, transB, c, m, k, n, accumulate, width);
                if (!first.TryAdd(accumulate, c) && !c.AsSpan().SequenceEqual(first[accumulate])) return false;
            }
        return true;
    }
}
