using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Autodiff.Kernels;

/// <summary>General matrix multiply over row-major spans: <c>C (+)= op(A) · op(B)</c>, with <c>op</c> an optional transpose.</summary>
/// <remarks>
/// <para><c>op(A)</c> is <c>[m, k]</c> (stored <c>[k, m]</c> when <c>transA</c>), <c>op(B)</c> is <c>[k, n]</c> (stored
/// <c>[n, k]</c> when <c>transB</c>), <c>C</c> is <c>[m, n]</c>. The backward products of a matmul, <c>dA = dC·Bᵀ</c> and
/// <c>dB = Aᵀ·dC</c>, are transposed variants; the packing routines read the transposes in place.</para>
/// <para>GotoBLAS/BLIS structure: C is cut into <c>NC</c>-wide column panels; k into blocks of at most <see cref="Kc"/>;
/// for each (panel, k block) the slice of op(B) is packed into <c>NR</c>-wide column slivers, then op(A) in <c>MC</c>-row
/// blocks is packed into <see cref="Mr"/>-tall row slivers, and a register-blocked micro-kernel computes each
/// <c>Mr × NR</c> tile of C from one A sliver and one B sliver (when C is at most <see cref="DirectAMaxColumns"/> wide,
/// the full A slivers are read in place, with a row and a depth stride, instead of packed; full B slivers are read in
/// place when <see cref="ReadBInPlace"/> says so), with fused multiply-adds,
/// <c>NR</c> = two SIMD vectors (6×16 for float and 6×8 for double with AVX2; 6×32 / 6×16 with AVX-512; 6×8 / 6×4 with
/// 128-bit vectors).</para>
/// <para>Every element is computed the same way: <c>C[i, j] = (…((C₀ + s₀) + s₁) + …)</c> where <c>s_b</c> is the sum over
/// the b-th k block, accumulated from zero in increasing p by one fused multiply-add per term (<c>C₀</c> is absent when
/// <c>accumulate</c> is false). The k blocks depend on k alone, so the bits of C do not depend on the vector width, the
/// position of the element in an edge tile, the alignment of the spans, or the number of threads (threads take disjoint
/// blocks of C, or whole k blocks whose sums are then added to C in block order; see <see cref="Run"/>).</para>
/// <para>Vector widths: the micro-kernels are generic over the width (<see cref="IGemmSimd{T, TVector}"/>) and
/// <see cref="WidestVector"/> picks the widest with hardware fused multiply-add, so an AVX-512 machine runs 6 × 32
/// (float) / 6 × 16 (double) tiles in zmm registers and an AVX2 one 6 × 16 / 6 × 8 in ymm. Every width does one fused
/// multiply-add per term (emulated exactly in software on 128-bit vectors without FMA hardware), in the same order, so
/// the bits do not depend on the width either; the tests compare the widths bit for bit and each with a reference.
/// Measured on a 2-core AMD EPYC (Zen 5, AVX-512 with full-width FMA units), on a quiet machine: the float32 peak of a
/// loop of 12 independent FMA chains is 206 GFLOP/s per core on zmm registers (two 16-lane FMAs per cycle at ≈ 3.2 GHz),
/// 400–410 on both cores, and 103 per core on ymm; this GEMM reaches 186–196 GFLOP/s at 256³ and 176–186 at 1024³ on one
/// thread (85–95% of peak), 262–300 and 265–356 on two (65–87% of both cores). Two alternatives
/// for AVX-512 did not measurably beat the 6-row tile (within ±3%, the noise of the comparison) and were not kept: a
/// 12 × 32 tile (24 of the 32 zmm registers as accumulators, half the B loads per flop), and the BLIS loop order with
/// an A sliver in L1 and a 256–512-column B panel in L2. The k blocks are not sized per width: they fix the summation
/// order, so a per-width <see cref="Kc"/> would make the bits depend on the width.</para>
/// </remarks>
internal static partial class MatMul
{
    /// <summary>Rows of a micro-tile, and of a packed A sliver.</summary>
    internal const int Mr = 6;

    /// <summary>Largest k block; a packed B sliver, <c>Kc × NR</c>, is 25 KB with AVX2 and stays in L1. 400 rather than
    /// 256 puts k = 784 (the MLP's input) in two blocks instead of four: longer runs for the hardware prefetcher when
    /// packing, half the passes over C (≈ 5% on 100×784×100 and 128×784×256; 1024³, now three blocks, is unchanged).
    /// With AVX-512 the sliver is 50 KB, more than Zen 5's 48 KB L1, and streams from L2 (128 bytes per 12 FMAs, which
    /// L2 sustains); it is the same for every width because it fixes the order of the sums.</summary>
    private const int Kc = 400;

    /// <summary>Widest column panel for which op(A) is read in place rather than packed: 16 B slivers.</summary>
    private const int DirectAMaxColumns = 256;

    /// <summary>Rows of a packed A block: <c>Mc × Kc</c> is 225 KB (float or double), kept in L2.</summary>
    private static int Mc<T>() => Unsafe.SizeOf<T>() == sizeof(float) ? 144 : 72;

    /// <summary>Columns of a packed B panel: <c>Kc × Nc</c> is 6.4 MB, kept in L3.</summary>
    private static int Nc<T>() => Unsafe.SizeOf<T>() == sizeof(float) ? 4096 : 2048;

    /// <summary>The vector registers the micro-kernel uses.</summary>
    internal enum VectorWidth { Bits128 = 128, Bits256 = 256, Bits512 = 512 }

    /// <summary>The widest width with hardware fused multiply-add: 512 with AVX-512, 256 with AVX2 + FMA, else 128.</summary>
    internal static VectorWidth WidestVector =>
        Vector512.IsHardwareAccelerated ? VectorWidth.Bits512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? VectorWidth.Bits256
        : VectorWidth.Bits128;

    /// <summary><c>C (+)= op(A) · op(B)</c> on the widest vectors the machine has; see <see cref="MatMul"/>.</summary>
    /// <remarks>With <paramref name="accumulate"/> false, C's old contents are never read (they may be NaN).</remarks>
    public static void Gemm<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int k, int n, bool accumulate)
        where T : struct, IFloatingPointIeee754<T>
        => Gemm(a, transA, b, transB, c, m, k, n, accumulate, WidestVector);

    /// <summary><see cref="Gemm{T}(ReadOnlySpan{T}, bool, ReadOnlySpan{T}, bool, Span{T}, int, int, int, bool)"/> on the
    /// given vector width (the tests run the 128-bit fallback and compare it with the wider kernels, bit for bit).</summary>
    internal static void Gemm<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int k, int n,
        bool accumulate, VectorWidth width)
        where T : struct, IFloatingPointIeee754<T>
    {
        // The loops below index through refs, so the lengths are checked here, once.
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(a.Length, m * k, nameof(a));
        ArgumentOutOfRangeException.ThrowIfLessThan(b.Length, k * n, nameof(b));
        ArgumentOutOfRangeException.ThrowIfLessThan(c.Length, m * n, nameof(c));
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) c.Slice(0, m * n).Clear();                              // an empty sum is 0
            return;
        }
        var problem = new Problem(transA, transB, m, k, n, accumulate);
        switch (width)
        {
            case VectorWidth.Bits512: Run<T, Vector512<T>, Gemm512<T>>(a, b, c, problem); break;
            case VectorWidth.Bits256: Run<T, Vector256<T>, Gemm256<T>>(a, b, c, problem); break;
            default: Run<T, Vector128<T>, Gemm128<T>>(a, b, c, problem); break;
        }
    }

    /// <summary>The shape of one product and how its operands are stored (<paramref name="PrepackedB"/>: b is already in
    /// the slivers of a <see cref="PackedB{T}"/>).</summary>
    private readonly record struct Problem(bool TransA, bool TransB, int M, int K, int N, bool Accumulate, bool PrepackedB = false);

    /// <summary>Depth of the k blocks: k cut into <c>⌈k / Kc⌉</c> blocks of equal size (the last one shorter), a function
    /// of k alone, so the summation order of C never depends on anything else.</summary>
    private static int BlockDepth(int k)
    {
        int blocks = (k + Kc - 1) / Kc;
        return (k + blocks - 1) / blocks;
    }

    /// <summary>Computes rows <c>[i0, i1)</c> × columns <c>[j0, j1)</c> of C on the calling thread, from the k blocks
    /// that start in <c>[p0, p1)</c> (all of them unless a parallel split gives each thread its own; see
    /// <see cref="Run"/>). The first of these blocks sets C when <paramref name="overwriteFirst"/>, else it adds to it.</summary>
    private static void Blocked<T, TVector, TSimd>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, in Problem g, int i0, int i1, int j0, int j1,
        int p0, int p1, bool overwriteFirst)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        var (m, k, n) = (g.M, g.K, g.N);
        int nr = 2 * TSimd.Count;
        int kc = BlockDepth(k);
        int mc = Math.Min(Mc<T>(), RoundUp(i1 - i0, Mr));
        int nc = Math.Min(Nc<T>(), RoundUp(j1 - j0, nr));
        Span<T> packedA = Workspace<T>.PackedA(mc * kc), packedB = g.PrepackedB ? default : Workspace<T>.PackedB(nc * kc), tile = Workspace<T>.Tile(Mr * nr);
        int prepackedN = RoundUp(n, nr);                                              // a prepacked k block is prepackedN·kcb long
        ref T c0 = ref MemoryMarshal.GetReference(c);
        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        for (int jc = j0; jc < j1; jc += nc)
        {
            int ncb = Math.Min(nc, j1 - jc);
            for (int pc = p0; pc < p1; pc += kc)
            {
                int kcb = Math.Min(kc, k - pc);
                bool overwrite = overwriteFirst && pc == p0;
                // Slivers of op(B)ᵀ, whose element [j, p] = op(B)[p, j] is b[j·k + p] (transB) or b[p·n + j]. Read in
                // place when op(B)'s rows are stored rows and a sliver stays in L1 (see ReadBInPlace), except a last
                // partial sliver, which is packed with zero padding.
                // A prepacked B (PackedB) has every sliver ready: sliver j of k block pc at prepackedN·pc + j·kcb.
                int directB = !g.TransB && !g.PrepackedB && ReadBInPlace(kcb, n, Unsafe.SizeOf<T>()) ? ncb / nr * nr : 0;
                if (directB < ncb && !g.PrepackedB) Pack(b, transposed: !g.TransB, g.TransB ? k : n, jc + directB, ncb - directB, pc, kcb, nr, packedB);
                for (int ic = i0; ic < i1; ic += mc)
                {
                    int mcb = Math.Min(mc, i1 - ic);
                    // Slivers of op(A), whose element [i, p] is a[p·m + i] (transA) or a[i·k + p]. Read in place when
                    // few B slivers reuse them (packing would cost about as much as the reads it saves), except a last
                    // partial sliver, which is packed with zero padding.
                    int direct = ncb <= DirectAMaxColumns ? mcb / Mr * Mr : 0;
                    if (direct < mcb) Pack(a, transposed: g.TransA, g.TransA ? m : k, ic + direct, mcb - direct, pc, kcb, Mr, packedA);
                    for (int jr = 0; jr < ncb; jr += nr)
                    {
                        int cols = Math.Min(nr, ncb - jr);
                        for (int ir = 0; ir < mcb; ir += Mr)
                        {
                            bool inPlace = ir < direct;
                            ref T aSliver = ref inPlace ? ref Unsafe.Add(ref a0, g.TransA ? pc * m + ic + ir : (ic + ir) * k + pc) : ref packedA[(ir - direct) * kcb];
                            var (rowStep, depthStep) = inPlace ? (g.TransA ? 1 : k, g.TransA ? m : 1) : (1, Mr);
                            ref T cTile = ref Unsafe.Add(ref c0, (ic + ir) * n + jc + jr);
                            bool bInPlace = jr < directB;
                            ref T bSliver = ref bInPlace ? ref Unsafe.Add(ref b0, pc * n + jc + jr)
                                : ref g.PrepackedB ? ref Unsafe.Add(ref b0, pc * prepackedN + (jc + jr) * kcb) : ref packedB[(jr - directB) * kcb];
                            nint bStep = bInPlace ? n : nr;
                            if (cols <= TSimd.Count)                                  // a last sliver at most half full
                                MicroKernelNarrow<T, TVector, TSimd>(kcb, ref aSliver, rowStep, depthStep, ref bSliver, bStep, ref cTile, n,
                                    Math.Min(Mr, mcb - ir), cols, overwrite, tile);
                            else
                                MicroKernel<T, TVector, TSimd>(kcb, ref aSliver, rowStep, depthStep, ref bSliver, bStep, ref cTile, n,
                                    Math.Min(Mr, mcb - ir), cols, overwrite, tile);
                        }
                    }
                }
            }
        }
    }

    /// <summary>One tile of C: <c>C[r, j] (+)= Σ_p A[r, p] · B[p, j]</c> for r &lt; <paramref name="rows"/> (≤ Mr),
    /// j &lt; <paramref name="cols"/> (≤ NR), p &lt; <paramref name="kc"/>, from an A sliver, <c>A[r, p] =
    /// a[r·rowStep + p·depthStep]</c> (packed: 1 and Mr; in place: k and 1, or 1 and m for Aᵀ), and a B sliver,
    /// <c>B[p, j] = b[p·bStep + j]</c> (packed: NR; in place: n). The sum starts from zero and adds the terms in increasing p, each by one
    /// fused multiply-add; then C is set to it (<paramref name="overwrite"/>) or C is added to it.</summary>
    /// <remarks>The twelve accumulators (six rows × two vectors) stay in registers. A partial tile is computed in full
    /// (the packed slivers are zero-padded) into <paramref name="tile"/>, and only its valid part reaches C, by the same
    /// addition, so an element gets the same bits in a partial tile as in a full one.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernel<T, TVector, TSimd>(int kc, ref T a, nint rowStep, nint depthStep, ref T b, nint bStep, ref T c, int ldc, int rows, int cols, bool overwrite, Span<T> tile)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        nuint w = (nuint)TSimd.Count;
        TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint a2 = 2 * rowStep, a3 = 3 * rowStep, a4 = 4 * rowStep, a5 = 5 * rowStep;
        int nr = 2 * (int)w;
        bool full = rows == Mr && cols == nr;
        if (full) PrefetchTile(ref c, ldc, nr);
        for (int p = 0; p < kc; p++)
        {
            // Row r of the tile += A[r, p] · B[p, :], where B[p, :] is the vector pair (b0, b1).
            TVector b0 = TSimd.Load(ref b, 0), b1 = TSimd.Load(ref b, w);
            TVector ar = TSimd.Broadcast(a);
            c00 = TSimd.MultiplyAdd(ar, b0, c00); c01 = TSimd.MultiplyAdd(ar, b1, c01);
            ar = TSimd.Broadcast(Unsafe.Add(ref a, rowStep));
            c10 = TSimd.MultiplyAdd(ar, b0, c10); c11 = TSimd.MultiplyAdd(ar, b1, c11);
            ar = TSimd.Broadcast(Unsafe.Add(ref a, a2));
            c20 = TSimd.MultiplyAdd(ar, b0, c20); c21 = TSimd.MultiplyAdd(ar, b1, c21);
            ar = TSimd.Broadcast(Unsafe.Add(ref a, a3));
            c30 = TSimd.MultiplyAdd(ar, b0, c30); c31 = TSimd.MultiplyAdd(ar, b1, c31);
            ar = TSimd.Broadcast(Unsafe.Add(ref a, a4));
            c40 = TSimd.MultiplyAdd(ar, b0, c40); c41 = TSimd.MultiplyAdd(ar, b1, c41);
            ar = TSimd.Broadcast(Unsafe.Add(ref a, a5));
            c50 = TSimd.MultiplyAdd(ar, b0, c50); c51 = TSimd.MultiplyAdd(ar, b1, c51);
            a = ref Unsafe.Add(ref a, depthStep);
            b = ref Unsafe.Add(ref b, bStep);
        }

        ref T t = ref full ? ref c : ref MemoryMarshal.GetReference(tile);
        int ldt = full ? ldc : nr;
        bool set = overwrite || !full;
        StoreRow<T, TVector, TSimd>(c00, c01, ref t, set);
        StoreRow<T, TVector, TSimd>(c10, c11, ref Unsafe.Add(ref t, ldt), set);
        StoreRow<T, TVector, TSimd>(c20, c21, ref Unsafe.Add(ref t, 2 * ldt), set);
        StoreRow<T, TVector, TSimd>(c30, c31, ref Unsafe.Add(ref t, 3 * ldt), set);
        StoreRow<T, TVector, TSimd>(c40, c41, ref Unsafe.Add(ref t, 4 * ldt), set);
        StoreRow<T, TVector, TSimd>(c50, c51, ref Unsafe.Add(ref t, 5 * ldt), set);
        if (!full) CopyTile(ref t, nr, ref c, ldc, rows, cols, overwrite);
    }

    /// <summary>Asks for the cache lines of a full tile of C, so that they arrive while the k loop runs (C's rows are
    /// <paramref name="ldc"/> apart and a tile touches 6–12 lines that are otherwise fetched only at its end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchTile<T>(ref T c, int ldc, int cols)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < Mr; r++)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref c, r * ldc)));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref c, r * ldc + cols - 1)));
        }
    }

    /// <summary><see cref="MicroKernel"/> for a tile whose columns fit in the first vector of the B sliver: six
    /// accumulators, half the multiply-adds. Each element gets the same chain of fused multiply-adds as in the full
    /// kernel, so the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroKernelNarrow<T, TVector, TSimd>(int kc, ref T a, nint rowStep, nint depthStep, ref T b, nint bStep, ref T c, int ldc, int rows, int cols, bool overwrite, Span<T> tile)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        int w = TSimd.Count;
        TVector c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        nint a2 = 2 * rowStep, a3 = 3 * rowStep, a4 = 4 * rowStep, a5 = 5 * rowStep;
        for (int p = 0; p < kc; p++)
        {
            TVector b0 = TSimd.Load(ref b, 0);
            c0 = TSimd.MultiplyAdd(TSimd.Broadcast(a), b0, c0);
            c1 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref a, rowStep)), b0, c1);
            c2 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref a, a2)), b0, c2);
            c3 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref a, a3)), b0, c3);
            c4 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref a, a4)), b0, c4);
            c5 = TSimd.MultiplyAdd(TSimd.Broadcast(Unsafe.Add(ref a, a5)), b0, c5);
            a = ref Unsafe.Add(ref a, depthStep);
            b = ref Unsafe.Add(ref b, bStep);
        }
        ref T t = ref MemoryMarshal.GetReference(tile);
        TSimd.Store(c0, ref t, 0);
        TSimd.Store(c1, ref t, (nuint)w);
        TSimd.Store(c2, ref t, (nuint)(2 * w));
        TSimd.Store(c3, ref t, (nuint)(3 * w));
        TSimd.Store(c4, ref t, (nuint)(4 * w));
        TSimd.Store(c5, ref t, (nuint)(5 * w));
        CopyTile(ref t, w, ref c, ldc, rows, cols, overwrite);
    }

    /// <summary>Sets (<paramref name="overwrite"/>) or adds the valid <c>rows × cols</c> part of a scratch tile to C.</summary>
    private static void CopyTile<T>(ref T tile, int ldt, ref T c, int ldc, int rows, int cols, bool overwrite)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++)
            {
                ref T cij = ref Unsafe.Add(ref c, r * ldc + j);
                T sum = Unsafe.Add(ref tile, r * ldt + j);
                cij = overwrite ? sum : cij + sum;
            }
    }

    /// <summary><c>destination[0 .. 2w) = (lo, hi)</c> when <paramref name="set"/>, else <c>destination[..] += (lo, hi)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T, TVector, TSimd>(TVector lo, TVector hi, ref T destination, bool set)
        where T : struct where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        nuint w = (nuint)TSimd.Count;
        if (!set)
        {
            lo = TSimd.Add(TSimd.Load(ref destination, 0), lo);
            hi = TSimd.Add(TSimd.Load(ref destination, w), hi);
        }
        TSimd.Store(lo, ref destination, 0);
        TSimd.Store(hi, ref destination, w);
    }

    /// <summary>Whether full slivers of op(B), when its rows are b's stored rows (no transB), are read in place (row p of
    /// the sliver at <c>b[p·n + j ..]</c>) rather than packed: when the sliver, <paramref name="kc"/> rows of two vectors,
    /// is at most 128 rows (16 KB of 64-byte lines for float with AVX-512) and the row stride spreads those lines over the
    /// L1 sets (a stride that is an odd number of 64-byte lines, twice one, or not a whole number of lines), so it stays
    /// in L1 for every A sliver that reuses it.</summary>
    /// <remarks>Packing such a sliver costs about what it saves: it is reused by only m / 6 A slivers. Measured on the
    /// MLP's backward products with AVX-512, one thread, alternating with the build that packs (medians of 11–21, thread
    /// CPU time on a loaded machine and wall time on a quiet one): g·W at [128, 100]·[100, 784] 1.05–1.07× faster, gᵀ·x
    /// at [100, 128]ᵀ·[128, 784] 1.05–1.09×; gᵀ·x at [256, 128]ᵀ·[128, 784] 0.94–1.02× (no clear change either way; also
    /// none from packing again above 128 rows); k = 256 (1.00×) and a 1 KB stride (256³, 0.91×) did not gain, hence the
    /// limits.</remarks>
    private static bool ReadBInPlace(int kc, int n, int elementSize)
    {
        int stride = n * elementSize;
        return kc <= 128 && (stride % 64 != 0 || BitOperations.TrailingZeroCount(stride / 64) <= 1);
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
