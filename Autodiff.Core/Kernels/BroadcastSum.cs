using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Autodiff.Kernels;

/// <summary>How a gradient of a broadcast result sums back to the shape its input had: the gradient's dims with size-1
/// dims dropped and neighbours of one kind merged, alternating between <em>kept</em> blocks (present in the input) and
/// <em>summed</em> blocks (the input repeated along them). <c>[N, C] → [C]</c> is summed N, kept C (column sums);
/// <c>[N, M] → [N, 1]</c> is kept N, summed M (row sums); <c>[N, C, H, W] → [C, 1, 1]</c> is summed N, kept C, summed H·W.</summary>
internal sealed class SumToPlan
{
    /// <summary>Block sizes, outermost first (at least one).</summary>
    public readonly int[] Sizes;

    /// <summary>True for a kept block, false for a summed one; neighbours differ.</summary>
    public readonly bool[] Kept;

    private SumToPlan(int[] sizes, bool[] kept) => (Sizes, Kept) = (sizes, kept);

    /// <summary>The plan for summing a gradient of shape <paramref name="gradient"/> to <paramref name="target"/>, a shape
    /// that broadcasts to it.</summary>
    public static SumToPlan Create(ReadOnlySpan<int> gradient, ReadOnlySpan<int> target)
    {
        var sizes = new List<int>(gradient.Length);
        var kept = new List<bool>(gradient.Length);
        int offset = gradient.Length - target.Length;
        for (int d = 0; d < gradient.Length; d++)
        {
            if (gradient[d] == 1) continue;
            bool keep = d >= offset && target[d - offset] != 1;
            if (kept.Count > 0 && kept[^1] == keep) sizes[^1] *= gradient[d];
            else
            {
                sizes.Add(gradient[d]);
                kept.Add(keep);
            }
        }
        if (sizes.Count == 0)                                   // one element
        {
            sizes.Add(1);
            kept.Add(true);
        }
        return new SumToPlan([.. sizes], [.. kept]);
    }
}

/// <summary>The reduction of a broadcast gradient to its input's shape (the backward of every broadcasting op): column
/// sums and row sums over contiguous runs, vectorized, instead of a strided scatter per element.</summary>
/// <remarks>
/// <para>Each element of the result is <c>destination + g₀ + g₁ + …</c>, its contributions added one by one in the row-major
/// order of the gradient, except that a contiguous run of contributions (a summed innermost block) is first summed by
/// <see cref="RunSum"/>. That order depends only on the shapes, never on the thread count or on where the buffers lie: the
/// work is split only between result elements (columns of a column sum, rows of a row sum) or into the fixed chunks of
/// <see cref="RunSum"/>.</para>
/// </remarks>
internal static class BroadcastSum
{
    /// <summary><c>destination += Σ over the summed blocks of gradient</c>; destination has the kept blocks' elements.</summary>
    public static void SumTo<T>(SumToPlan plan, ReadOnlySpan<T> gradient, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        var sizes = plan.Sizes;
        int m = sizes.Length;
        bool keptInner = plan.Kept[m - 1];
        int innerBlocks = Math.Min(m, 2);                        // the last two blocks form the inner kernel
        int rows = innerBlocks == 2 ? sizes[m - 2] : 1, columns = sizes[m - 1];
        int innerSize = rows * columns;
        int innerResult = keptInner ? columns : rows;            // result elements one inner call writes
        int outerCount = gradient.Length / Math.Max(1, innerSize);
        if (innerSize == 0 || gradient.IsEmpty) return;
        // The outer blocks, odometer style: the gradient moves by innerSize per step, the result only along kept blocks.
        int outerRank = m - innerBlocks;
        Span<int> index = stackalloc int[Math.Max(1, outerRank)];
        Span<int> resultStride = stackalloc int[Math.Max(1, outerRank)];
        for (int d = outerRank - 1, stride = innerResult; d >= 0; d--)
        {
            resultStride[d] = plan.Kept[d] ? stride : 0;
            if (plan.Kept[d]) stride *= sizes[d];
        }
        int result = 0;
        for (int o = 0; o < outerCount; o++)
        {
            var g = gradient.Slice(o * innerSize, innerSize);
            var d = destination.Slice(result, innerResult);
            if (keptInner) ColumnSums(g, rows, columns, d);
            else RowSums(g, columns, d);
            for (int k = outerRank - 1; k >= 0; k--)
            {
                result += resultStride[k];
                if (++index[k] < sizes[k]) break;
                result -= resultStride[k] * sizes[k];
                index[k] = 0;
            }
        }
    }

    // ---- column sums: d[c] += Σ_r g[r, c], r ascending --------------------------------------------------------------

    /// <summary><c>destination[c] += Σ_r g[r, c]</c> for a row-major <c>[rows, columns]</c> g, each column summed in row
    /// order. When large, each thread takes one contiguous run of whole <see cref="ColumnBlock"/>s of columns: every
    /// column is summed alone, so the split never changes a bit.</summary>
    public static void ColumnSums<T>(ReadOnlySpan<T> g, int rows, int columns, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        int blocks = (columns + ColumnBlock - 1) / ColumnBlock;
        int parts = Chunks.Split(g.Length) ? Math.Min(Threading.Available, blocks) : 1;
        if (parts <= 1) ColumnSums(g, rows, columns, 0, columns, destination);
        else ColumnSumsShared(g, rows, columns, destination, blocks, parts);
    }

    /// <summary>The column split of <see cref="ColumnSums{T}(ReadOnlySpan{T}, int, int, Span{T})"/> (its own method, so
    /// its closure is allocated only when it runs).</summary>
    private static unsafe void ColumnSumsShared<T>(ReadOnlySpan<T> g, int rows, int columns, Span<T> destination, int blocks, int parts)
        where T : struct, IFloatingPointIeee754<T>
    {
        fixed (byte* pg = MemoryMarshal.AsBytes(g), pd = MemoryMarshal.AsBytes(destination))
        {
            var (gs, ds) = (new Pinned<T>(pg, g.Length), new Pinned<T>(pd, destination.Length));
            Parts.For(blocks, parts, Chunks.Wake(g.Length), (first, end) =>
            {
                int start = first * ColumnBlock;
                ColumnSums<T>(gs.Span, rows, columns, start, Math.Min(columns, end * ColumnBlock) - start, ds.Span);
            });
        }
    }

    /// <summary>Columns are split among threads in runs of whole blocks of this many (256 bytes of float32).</summary>
    private const int ColumnBlock = 64;

    /// <summary>The most parts a row split makes: more than threads, so a worker that wakes late still finds some to
    /// take. (A column split makes one per thread: narrower column runs read each row in pieces, measured 2.3x slower.)</summary>
    private const int MaxParts = 8;

    /// <summary>Columns <c>[first, first + count)</c> of <see cref="ColumnSums{T}(ReadOnlySpan{T}, int, int, Span{T})"/>:
    /// four rows at a time, streamed left to right, are added into each vector of the result (loaded and stored once per
    /// four rows), so every column is still summed in row order while the rows are read sequentially, as the hardware
    /// prefetcher likes.</summary>
    private static void ColumnSums<T>(ReadOnlySpan<T> g, int rows, int columns, int first, int count, Span<T> destination)
        where T : struct, IFloatingPointIeee754<T>
    {
        ref T dr = ref MemoryMarshal.GetReference(destination);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            ref T r0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(g), (nint)r * columns);
            ref T r1 = ref Unsafe.Add(ref r0, columns);
            ref T r2 = ref Unsafe.Add(ref r1, columns);
            ref T r3 = ref Unsafe.Add(ref r2, columns);
            int c = first, end = first + count;
            if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
                for (; c + Vector512<T>.Count <= end; c += Vector512<T>.Count)
                {
                    nuint at = (nuint)c;
                    var acc = Vector512.LoadUnsafe(ref dr, at) + Vector512.LoadUnsafe(ref r0, at);
                    acc += Vector512.LoadUnsafe(ref r1, at);
                    acc += Vector512.LoadUnsafe(ref r2, at);
                    (acc + Vector512.LoadUnsafe(ref r3, at)).StoreUnsafe(ref dr, at);
                }
            if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
                for (; c + Vector256<T>.Count <= end; c += Vector256<T>.Count)
                {
                    nuint at = (nuint)c;
                    var acc = Vector256.LoadUnsafe(ref dr, at) + Vector256.LoadUnsafe(ref r0, at);
                    acc += Vector256.LoadUnsafe(ref r1, at);
                    acc += Vector256.LoadUnsafe(ref r2, at);
                    (acc + Vector256.LoadUnsafe(ref r3, at)).StoreUnsafe(ref dr, at);
                }
            for (; c < end; c++)
                Unsafe.Add(ref dr, c) = Unsafe.Add(ref dr, c) + Unsafe.Add(ref r0, c) + Unsafe.Add(ref r1, c) + Unsafe.Add(ref r2, c) + Unsafe.Add(ref r3, c);
        }
        for (; r < rows; r++)
        {
            var row = g.Slice(r * columns + first, count);
            var d = destination.Slice(first, count);
            System.Numerics.Tensors.TensorPrimitives.Add(d, row, d);
        }
    }

    // ---- row sums: d[r] += RunSum(g[r, :]) --------------------------------------------------------------------------

    /// <summary><c>destination[r] += RunSum(g[r, :])</c> for a row-major <c>[destination.Length, length]</c> g. When large,
    /// threads take runs of rows, or, for a single row, the chunks of <see cref="RunSum{T}"/>.</summary>
    public static void RowSums<T>(ReadOnlySpan<T> g, int length, Span<T> destination) where T : struct, IFloatingPointIeee754<T>
    {
        int rows = destination.Length;
        int units = rows == 1 ? ChunkCount(length) : rows;
        int parts = Chunks.Split(g.Length) ? Math.Min(rows == 1 ? units : MaxParts, units) : 1;
        if (parts <= 1)
        {
            for (int r = 0; r < rows; r++) destination[r] += RunSum(g.Slice(r * length, length));
            return;
        }
        RowSumsShared(g, length, destination, rows, units, parts);
    }

    /// <summary>The row or chunk split of <see cref="RowSums{T}"/> (its own method, so its closures are allocated only
    /// when it runs).</summary>
    private static unsafe void RowSumsShared<T>(ReadOnlySpan<T> g, int length, Span<T> destination, int rows, int units, int parts)
        where T : struct, IFloatingPointIeee754<T>
    {
        fixed (byte* pg = MemoryMarshal.AsBytes(g), pd = MemoryMarshal.AsBytes(destination))
        {
            var (gs, ds) = (new Pinned<T>(pg, g.Length), new Pinned<T>(pd, destination.Length));
            if (rows > 1)
            {
                Parts.For(rows, parts, Chunks.Wake(g.Length), (first, end) =>
                {
                    for (int r = first; r < end; r++) ds.Span[r] += RunSum<T>(gs.Span.Slice(r * length, length));
                });
                return;
            }
            var partial = new T[units];                          // one long row: chunk sums, added in order below
            Threading.For(units, c => partial[c] = Reduce.Sum<T>(gs.Span.Slice(c * Chunks.Size, Math.Min(Chunks.Size, length - c * Chunks.Size))),
                Chunks.Wake(g.Length));
            T sum = partial[0];
            for (int c = 1; c < units; c++) sum += partial[c];
            destination[0] += sum;
        }
    }

    /// <summary>The sum of a contiguous run: <see cref="Reduce.Sum{T}"/> of it below <see cref="Chunks.ParallelMinElements"/>
    /// elements, else the sum of the <see cref="Reduce.Sum{T}"/>s of its <see cref="Chunks.Size"/> chunks in order (so a
    /// long run can be summed by several threads with the same result).</summary>
    public static T RunSum<T>(ReadOnlySpan<T> run) where T : struct, IFloatingPointIeee754<T>
    {
        if (run.Length < Chunks.ParallelMinElements) return Reduce.Sum(run);
        T sum = Reduce.Sum(run.Slice(0, Chunks.Size));
        for (int start = Chunks.Size; start < run.Length; start += Chunks.Size)
            sum += Reduce.Sum(run.Slice(start, Math.Min(Chunks.Size, run.Length - start)));
        return sum;
    }

    private static int ChunkCount(int length) => length < Chunks.ParallelMinElements ? 1 : (length + Chunks.Size - 1) / Chunks.Size;
}
