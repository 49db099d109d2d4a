using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

/// <summary>General matrix multiply over row-major spans: <c>C (+)= op(A) · op(B)</c>, with <c>op</c> an optional transpose.</summary>
/// <remarks>
/// <c>op(A)</c> is <c>[m, k]</c> (stored <c>[k, m]</c> when <c>transA</c>), <c>op(B)</c> is <c>[k, n]</c> (stored <c>[n, k]</c>
/// when <c>transB</c>), <c>C</c> is <c>[m, n]</c>. The backward products of a matmul, <c>dA = dC·Bᵀ</c> and <c>dB = Aᵀ·dC</c>,
/// are the transposed variants, so no operand is copied to transpose it (except Aᵀ·Bᵀ, which no op needs on a hot path).
/// Blocked over k and n so a panel of B stays in cache while the rows of A stream past; the inner loop adds four
/// rank-1 updates per load and store of C, in SIMD vectors of <see cref="Vector{T}"/>.
/// </remarks>
internal static class MatMul
{
    private const int BlockK = 256;
    private const int BlockN = 512;

    public static void Gemm<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int k, int n, bool accumulate)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (!accumulate) c.Slice(0, m * n).Clear();
        if (m == 0 || n == 0 || k == 0) return;
        if (transB && !transA)
        {
            // C[i, j] += A[i, :] · B[j, :], both rows contiguous.
            for (int i = 0; i < m; i++)
            {
                var ai = a.Slice(i * k, k);
                var ci = c.Slice(i * n, n);
                for (int j = 0; j < n; j++) ci[j] += Reduce.Dot(ai, b.Slice(j * k, k));
            }
            return;
        }
        if (transB)
        {
            var bt = new T[k * n];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) bt[p * n + j] = b[j * k + p];
            Gemm(a, transA, bt, false, c, m, k, n, accumulate: true);
            return;
        }
        for (int j0 = 0; j0 < n; j0 += BlockN)
        {
            int nb = Math.Min(BlockN, n - j0);
            for (int p0 = 0; p0 < k; p0 += BlockK)
            {
                int kb = Math.Min(BlockK, k - p0);
                for (int i = 0; i < m; i++)
                    RowUpdate(a, transA, b, c.Slice(i * n + j0, nb), i, m, k, n, p0, kb, j0);
            }
        }
    }

    /// <summary><c>C[i, j0:j0+nb] += Σ_{p in block} A[i, p] · B[p, j0:j0+nb]</c>.</summary>
    private static void RowUpdate<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, Span<T> ci, int i, int m, int k, int n, int p0, int kb, int j0)
        where T : struct, IFloatingPointIeee754<T>
    {
        int width = Vector<T>.Count;
        int nb = ci.Length;
        ref T cRef = ref MemoryMarshal.GetReference(ci);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        int p = p0, pEnd = p0 + kb;
        for (; p + 4 <= pEnd; p += 4)
        {
            T a0 = A(a, transA, i, p, m, k), a1 = A(a, transA, i, p + 1, m, k);
            T a2 = A(a, transA, i, p + 2, m, k), a3 = A(a, transA, i, p + 3, m, k);
            var (v0, v1, v2, v3) = (new Vector<T>(a0), new Vector<T>(a1), new Vector<T>(a2), new Vector<T>(a3));
            nuint r0 = (nuint)(p * n + j0), r1 = r0 + (nuint)n, r2 = r1 + (nuint)n, r3 = r2 + (nuint)n;
            int j = 0;
            for (; j + width <= nb; j += width)
            {
                nuint u = (nuint)j;
                var acc = Vector.LoadUnsafe(ref cRef, u);
                acc += v0 * Vector.LoadUnsafe(ref bRef, r0 + u) + v1 * Vector.LoadUnsafe(ref bRef, r1 + u)
                     + v2 * Vector.LoadUnsafe(ref bRef, r2 + u) + v3 * Vector.LoadUnsafe(ref bRef, r3 + u);
                acc.StoreUnsafe(ref cRef, u);
            }
            for (; j < nb; j++)
            {
                int u = j0 + j;
                ci[j] += a0 * b[p * n + u] + a1 * b[(p + 1) * n + u] + a2 * b[(p + 2) * n + u] + a3 * b[(p + 3) * n + u];
            }
        }
        for (; p < pEnd; p++)
        {
            T ap = A(a, transA, i, p, m, k);
            var bp = b.Slice(p * n + j0, nb);
            Elementwise.MultiplyAdd<T>(bp, ap, ci, ci);
        }
    }

    private static T A<T>(ReadOnlySpan<T> a, bool transA, int i, int p, int m, int k) => transA ? a[p * m + i] : a[i * k + p];
}
