using System.Numerics;
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

    /// <summary>Splits C into <see cref="Threading.NumThreads"/> disjoint blocks when the product is large enough, and
    /// computes each block with <see cref="Blocked"/> on its own thread (the calling thread takes one).</summary>
    /// <remarks>C is cut along n into runs of whole NR-wide slivers when n &gt; m, else along m into runs of whole
    /// Mr-tall slivers: each thread then packs all of the smaller operand and its share of the larger one. The k blocks
    /// are the same on every thread, so every element is summed in the same order as on one thread: the result is
    /// bit-identical for any thread count.</remarks>
    private static void Run<T, TVector, TSimd>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, in Problem g)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        int nr = 2 * TSimd.Count;
        bool splitColumns = g.N > g.M;
        int slivers = splitColumns ? (g.N + nr - 1) / nr : (g.M + Mr - 1) / Mr;
        int threads = 2L * g.M * g.K * g.N < ParallelMinFlops ? 1 : Math.Min(Threading.Available, slivers);
        if (threads == 1)
            Blocked<T, TVector, TSimd>(a, b, c, g, 0, g.M, 0, g.N);
        else
            RunParallel<T, TVector, TSimd>(a, b, c, g, new Split(splitColumns, splitColumns ? nr : Mr, slivers, threads));
    }

    /// <summary>C cut into <see cref="Parts"/> runs of whole slivers (<see cref="Unit"/> columns or rows each), part t
    /// taking slivers <c>[⌊t·Slivers / Parts⌋, ⌊(t + 1)·Slivers / Parts⌋)</c>.</summary>
    private readonly record struct Split(bool Columns, int Unit, int Slivers, int Parts)
    {
        public (int Start, int End) Range(int part, int length) =>
            ((int)((long)part * Slivers / Parts) * Unit, Math.Min(length, (int)((long)(part + 1) * Slivers / Parts) * Unit));
    }

    /// <summary>Runs the parts of <paramref name="split"/> with <c>Parallel.For</c>. A span cannot be captured by the
    /// workers' delegate, so the operands are pinned for the whole loop (this thread blocks inside the <c>fixed</c>
    /// block until every part is done) and the workers rebuild the spans from their addresses.</summary>
    private static unsafe void RunParallel<T, TVector, TSimd>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, Problem g, Split split)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        fixed (byte* pa = MemoryMarshal.AsBytes(a), pb = MemoryMarshal.AsBytes(b), pc = MemoryMarshal.AsBytes(c))
        {
            var job = new ParallelJob<T, TVector, TSimd>((nint)pa, a.Length, (nint)pb, b.Length, (nint)pc, c.Length, g, split);
            Parallel.For(0, split.Parts, new ParallelOptions { MaxDegreeOfParallelism = split.Parts }, job.Run);
        }
    }

    /// <summary>One parallel product: the pinned operands' addresses and lengths, and how C is split.</summary>
    private sealed class ParallelJob<T, TVector, TSimd>(nint a, int aLength, nint b, int bLength, nint c, int cLength, Problem g, Split split)
        where T : struct, IFloatingPointIeee754<T> where TVector : struct where TSimd : IGemmSimd<T, TVector>
    {
        public unsafe void Run(int part)
        {
            var (start, end) = split.Range(part, split.Columns ? g.N : g.M);
            var sa = new ReadOnlySpan<T>((void*)a, aLength);
            var sb = new ReadOnlySpan<T>((void*)b, bLength);
            var sc = new Span<T>((void*)c, cLength);
            if (split.Columns) Blocked<T, TVector, TSimd>(sa, sb, sc, g, 0, g.M, start, end);
            else Blocked<T, TVector, TSimd>(sa, sb, sc, g, start, end, 0, g.N);
        }
    }
}
