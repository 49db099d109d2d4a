using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Autodiff.Kernels;

internal static partial class MatMul
{
    /// <summary>Below this many flops (<c>2·m·k·n</c>) a product runs on the calling thread: starting a worker costs more
    /// than it saves.</summary>
    /// <remarks>2·128³ ≈ 4.2 MFLOP, about 60 µs on one AVX2 core. Measured on a 2-core EPYC when it was quiet (float32,
    /// sustained loops, GFLOP/s one thread → two): 128³ 47–54 → 57, 160³ 50–55 → 73–81, 100·784·100 39–41 → 57–62,
    /// 256³ 59–64 → 84–93; sizes below 128³ were not measured on two threads. When other processes load the machine,
    /// the second thread often waits for a core and two threads can be slower than one up to ~512³. Rechecked after the
    /// single-thread kernel got faster (SIMD packing, A read in place), on a loaded machine, best of three runs, one
    /// thread → two: 128³ 75–88 → 53–151, 160³ 79–91 → 77–116, 192³ 80–94 → 61–127, 100·784·100 59–73 → 62–93; the
    /// crossover did not move measurably, so the threshold stays.</remarks>
    internal const long ParallelMinFlops = 2L * 128 * 128 * 128;

    /// <summary>Computes the product on one thread, or splits it into <see cref="Threading.NumThreads"/> parts when it is
    /// large enough, each computed with <see cref="Blocked"/> on its own thread (the calling thread takes one).</summary>
    /// <remarks>
    /// <para>Usually C is cut into disjoint blocks: along n into runs of whole NR-wide slivers when n &gt; m, else along m
    /// into runs of whole Mr-tall slivers. Each thread then packs all of the smaller operand and its share of the larger
    /// one, and sums every element over the same k blocks in the same order as one thread would.</para>
    /// <para>When k is cut into as many blocks as there are threads and the cut of C would make every thread pack the
    /// same operand (a row cut packs all of op(B) on each thread; a column cut packs op(A) on each when a part is wider
    /// than <see cref="DirectAMaxColumns"/>), the threads split k instead: thread t computes the sum over k block t alone,
    /// packing only its slice of each operand; thread 0 into C (as one thread would, from C₀ or from nothing), the others
    /// into scratch, which is then added to C in block order. That is exactly the one-thread evaluation
    /// <c>(…((C₀ + s₀) + s₁) + …)</c>, so the bits again do not depend on the thread count. It pays when the scratch,
    /// m·n, is smaller than the operand each thread would otherwise pack in full (the MLP's forward x·Wᵀ at batch 128
    /// and 784 inputs packs W once instead of twice).</para>
    /// </remarks>
    private static void Run<T, TVector, TSimd>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, in Problem g)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        int nr = 2 * TSimd.Count;
        bool splitColumns = g.N > g.M;
        int slivers = splitColumns ? (g.N + nr - 1) / nr : (g.M + Mr - 1) / Mr;
        int threads = 2L * g.M * g.K * g.N < ParallelMinFlops ? 1 : Math.Min(Threading.Available, slivers);
        if (threads == 1)
        {
            Blocked<T, TVector, TSimd>(a, b, c, g, 0, g.M, 0, g.N, 0, g.K, !g.Accumulate);
            return;
        }
        int kBlocks = (g.K + Kc - 1) / Kc;
        bool splitDepth = kBlocks == threads && !g.PrepackedB && (splitColumns ? g.N / threads > DirectAMaxColumns && g.N < g.K : g.M < g.K);
        var split = splitDepth ? new Split(SplitKind.Depth, BlockDepth(g.K), kBlocks, threads)
            : new Split(splitColumns ? SplitKind.Columns : SplitKind.Rows, splitColumns ? nr : Mr, slivers, threads);
        RunParallel<T, TVector, TSimd>(a, b, c, g, split);
    }

    /// <summary>Which dimension a <see cref="Split"/> cuts: C's rows or columns, or k.</summary>
    private enum SplitKind { Rows, Columns, Depth }

    /// <summary>A dimension cut into <see cref="Parts"/> runs of whole slivers (<see cref="Unit"/> rows, columns or k
    /// steps each), part t taking slivers <c>[⌊t·Slivers / Parts⌋, ⌊(t + 1)·Slivers / Parts⌋)</c>.</summary>
    private readonly record struct Split(SplitKind Kind, int Unit, int Slivers, int Parts)
    {
        public (int Start, int End) Range(int part, int length) =>
            ((int)((long)part * Slivers / Parts) * Unit, Math.Min(length, (int)((long)(part + 1) * Slivers / Parts) * Unit));
    }

    /// <summary>Runs the parts of <paramref name="split"/> with <see cref="Threading.For(int, Action{int})"/>, then, for a k split, adds
    /// the scratch sums to C in block order. A span cannot be captured by the workers' delegate, so the operands are pinned
    /// for the whole loop (this thread blocks inside the <c>fixed</c> block until every part is done; the scratch is a
    /// pinned workspace array) and the workers rebuild the spans from their addresses.</summary>
    private static unsafe void RunParallel<T, TVector, TSimd>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, Problem g, Split split)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        int mn = g.M * g.N;
        Span<T> partial = split.Kind == SplitKind.Depth ? Workspace<T>.Partial((split.Parts - 1) * mn) : default;
        fixed (byte* pa = MemoryMarshal.AsBytes(a), pb = MemoryMarshal.AsBytes(b), pc = MemoryMarshal.AsBytes(c), pp = MemoryMarshal.AsBytes(partial))
        {
            var job = new ParallelJob<T, TVector, TSimd>((nint)pa, a.Length, (nint)pb, b.Length, (nint)pc, c.Length, (nint)pp, g, split);
            Threading.For(split.Parts, job.Run);
        }
        c = c.Slice(0, mn);
        for (int part = 1; part < split.Parts && split.Kind == SplitKind.Depth; part++)
            TensorPrimitives.Add(c, partial.Slice((part - 1) * mn, mn), c);               // C = (…(C + s₁) + s₂ …)
    }

    /// <summary>One parallel product: the pinned operands' addresses and lengths, the scratch for a k split, and how the
    /// product is split.</summary>
    private sealed class ParallelJob<T, TVector, TSimd>(nint a, int aLength, nint b, int bLength, nint c, int cLength, nint partial, Problem g, Split split)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        public unsafe void Run(int part)
        {
            var sa = new ReadOnlySpan<T>((void*)a, aLength);
            var sb = new ReadOnlySpan<T>((void*)b, bLength);
            var sc = new Span<T>((void*)c, cLength);
            switch (split.Kind)
            {
                case SplitKind.Columns:
                    var (j0, j1) = split.Range(part, g.N);
                    Blocked<T, TVector, TSimd>(sa, sb, sc, g, 0, g.M, j0, j1, 0, g.K, !g.Accumulate);
                    break;
                case SplitKind.Rows:
                    var (i0, i1) = split.Range(part, g.M);
                    Blocked<T, TVector, TSimd>(sa, sb, sc, g, i0, i1, 0, g.N, 0, g.K, !g.Accumulate);
                    break;
                default:
                    // k block `part`: thread 0 continues C as one thread would; the others fill their own scratch.
                    var (p0, p1) = split.Range(part, g.K);
                    int mn = g.M * g.N;
                    var target = part == 0 ? sc : new Span<T>((void*)(partial + (nint)(part - 1) * mn * Unsafe.SizeOf<T>()), mn);
                    Blocked<T, TVector, TSimd>(sa, sb, target, g, 0, g.M, 0, g.N, p0, p1, part > 0 || !g.Accumulate);
                    break;
            }
        }
    }
}
