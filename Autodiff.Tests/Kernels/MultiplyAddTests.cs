using Autodiff.Kernels;

namespace Autodiff.Tests.Kernels;

/// <summary>Elementwise.MultiplyAdd (optimizer steps, GEMM edges): multiply, round, add, the same in the SIMD body and the tail.</summary>
public class MultiplyAddTests
{
    private static float[] Values(int n, int seed) => Enumerable.Range(0, n).Select(i => MathF.Sin(seed * 100 + i) * 1e3f).ToArray();

    [Test]
    public void EveryElement_IsTheUnfusedScalarFormula_WhereverItLies()
    {
        const int n = 37;
        var (x, y, z) = (Values(n, 1), Values(n, 2), Values(n, 3));
        for (int start = 0; start < 9; start++)
        {
            var d1 = new float[n - start];
            var d2 = new float[n - start];
            Elementwise.MultiplyAdd<float>(x.AsSpan(start), y.AsSpan(start), z.AsSpan(start), d1);
            Elementwise.MultiplyAdd<float>(x.AsSpan(start), 0.37f, z.AsSpan(start), d2);
            for (int i = 0; i < d1.Length; i++)
            {
                float product = x[start + i] * y[start + i], scaled = x[start + i] * 0.37f;   // rounded to float before the add
                Assert.That(d1[i], Is.EqualTo(product + z[start + i]), $"start {start}, element {i}");
                Assert.That(d2[i], Is.EqualTo(scaled + z[start + i]), $"start {start}, element {i}");
            }
        }
    }
}
