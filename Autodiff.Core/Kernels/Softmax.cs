using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static Autodiff.Kernels.RowVectors;

namespace Autodiff.Kernels;

/// <summary>Softmax and log-softmax along one dimension, forward and backward, fused and vectorized; numerically stable
/// (the row's max is subtracted first).</summary>
/// <remarks>
/// <para>A tensor is seen as <c>[outer, size, inner]</c>, the softmax running over <c>size</c>. With <c>inner = 1</c> each row
/// is contiguous: a max pass, a pass of <c>exp(x - max)</c> and its sum, and a pass writing the output, over a row that stays
/// in cache (one read of x and one write of y from memory), with the <see cref="RowVectors"/> loops. With <c>inner &gt; 1</c>
/// (dim 1 of <c>[N, C, H, W]</c>) the rows are strided: the kernel walks <c>k</c> down the rows of a block of up to
/// <see cref="BlockLanes"/> neighbouring positions at once, vectorized across the positions, so nothing is transposed and
/// every load is contiguous; each position sums its k in order 0, 1, 2, ..., so its result does not depend on the block.
/// Slabs narrower than a vector (<c>inner &lt; 8</c> floats) go through a zero-padded copy.</para>
/// <para>Every entry point works on an outer range <c>[start, end)</c> and writes only those rows, so a caller can split
/// the rows across threads without changing a bit. All-<c>-∞</c> rows and rows holding <c>+∞</c> are not shifted (the max
/// is taken as 0) and give what IEEE arithmetic gives, as PyTorch; a NaN makes its row NaN. Exp is
/// <see cref="RowVectors.Exp{T}"/>: one exp per element forward, one per element in log-softmax's backward (none in
/// softmax's), which bounds these kernels' speed.</para>
/// </remarks>
internal static class Softmax
{
    /// <summary>Positions of a strided block (its scratch lives on the stack).</summary>
    private const int BlockLanes = 128;

    // ---- forward ---------------------------------------------------------------------------------------------------

    /// <summary>The softmax <c>y = exp(x - max) / Σ exp(x - max)</c> or, with <paramref name="log"/>, the log-softmax
    /// <c>y = (x - max) - log Σ exp(x - max)</c>, along each row of the outer indices <c>[start, end)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, int size, int inner, int start, int end, Span<T> y, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        if (inner == 1 && size < Vector256<T>.Count)
        {
            ShortRowsForward(x, size, start, end, y, log);
            return;
        }
        int slab = size * inner;
        for (int o = start; o < end; o++)
        {
            var xs = x.Slice(o * slab, slab);
            var ys = y.Slice(o * slab, slab);
            if (inner == 1)
            {
                if (log) LogSoftmaxRow(xs, ys);
                else SoftmaxRow(xs, ys);
            }
            else if (inner < Vector256<T>.Count) Padded(xs, default, size, inner, ys, log, backward: false);
            else
                for (int i = 0, count; i < inner; i += count)
                    StridedForward(xs, size, inner, i, count = BlockLength(inner, i), ys, log);
        }
    }

    /// <summary>The row's max as the shift, or 0 when it is infinite (all -∞, or a +∞: let IEEE decide).</summary>
    private static T Shift<T>(T max) where T : struct, IFloatingPointIeee754<T> => T.IsInfinity(max) ? T.Zero : max;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LogSoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        T max = Shift(Max(x));
        T logSum = T.Log(Sum(x, x, new ExpShifted<T>(max)));
        Map(x, x, y, new ShiftTwice<T>(max, logSum));                 // y = (x - max) - log Σ: the shift comes off first,
    }                                                                  // so logits of 1e4 keep their float32 digits

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        T max = Shift(Max(x));
        T sum = MapSum(x, x, y, new ExpShifted<T>(max));               // y = exp(x - max), and Σ of it
        Map(y, y, y, new DivideBy<T>(sum));                            // y = exp(x - max) / Σ
    }

    /// <summary>The positions of the block starting at <paramref name="i0"/>: <see cref="BlockLanes"/>, or all that are left
    /// when fewer than <see cref="BlockLanes"/> + 8 are (so a block holds a whole vector whenever the row does).</summary>
    private static int BlockLength(int inner, int i0) => inner - i0 < BlockLanes + 8 ? inner - i0 : BlockLanes;

    /// <summary>Where the vector covering position <paramref name="j"/> of a block of <paramref name="count"/> ≥ 8 positions
    /// starts: whole vectors from 0, the last one moved back to end at the block's end (its first lanes repeat positions
    /// already done, with the same bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int VectorStart<T>(int j, int count) where T : struct => Math.Min(j, count - Vector256<T>.Count);

    /// <summary>Forward over positions <c>[i0, i0 + count)</c> (at least a vector's worth) of one <c>[size, inner]</c> slab:
    /// per position the max and the sum of <c>exp(x - max)</c> down k (in order), then the outputs, vectorized across the
    /// positions. The softmax takes exp again rather than storing it: the output pass then reads only x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StridedForward<T>(ReadOnlySpan<T> x, int size, int inner, int i0, int count, Span<T> y, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        Debug.Assert(count >= w && count <= BlockLanes + 8, "a block holds at least one vector and fits the scratch");
        Span<T> shift = Scratch<T>(stackalloc byte[(BlockLanes + 8) * 8], count);
        Span<T> sum = Scratch<T>(stackalloc byte[(BlockLanes + 8) * 8], count);
        var infinity = Vector256.Create(T.PositiveInfinity);
        for (int j = 0; j < count; j += w)
        {
            int at = i0 + VectorStart<T>(j, count);
            var m = Load(x, at);
            for (int k = 1; k < size; k++) m = Vector256.MaxNative(m, Load(x, k * inner + at));        // see Max for NaN
            m = Vector256.ConditionalSelect(Vector256.Equals(Vector256.Abs(m), infinity), Vector256<T>.Zero, m);
            var s = Vector256<T>.Zero;
            for (int k = 0; k < size; k++) s += Exp(Load(x, k * inner + at) - m);
            Store(m, shift, at - i0);
            Store(s, sum, at - i0);
        }
        if (log)
            for (int j = 0; j < count; j++) sum[j] = T.Log(sum[j]);
        for (int k = 0; k < size; k++)
        {
            int row = k * inner + i0;
            for (int j = 0; j < count; j += w)
            {
                int at = VectorStart<T>(j, count);
                var (v, m, s) = (Load(x, row + at), Load(shift, at), Load(sum, at));
                Store(log ? (v - m) - s : Exp(v - m) / s, y, row + at);                      // (x - max) - log Σ, or exp(x - max) / Σ
            }
        }
    }

    // ---- backward --------------------------------------------------------------------------------------------------

    /// <summary>The backward of the rows of the outer indices <c>[start, end)</c>, for <c>y</c> the forward's output: softmax
    /// <c>dx = y ⊙ (dy - Σ dy ⊙ y)</c>, or with <paramref name="log"/> log-softmax <c>dx = dy - exp(y) · Σ dy</c>. Two passes:
    /// the sum along the row, then dx (every element written).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int size, int inner, int start, int end, Span<T> dx, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
        if (inner == 1 && size < Vector256<T>.Count)
        {
            ShortRowsBackward(y, dy, size, start, end, dx, log);
            return;
        }
        int slab = size * inner;
        for (int o = start; o < end; o++)
        {
            ReadOnlySpan<T> ys = y.Slice(o * slab, slab), gs = dy.Slice(o * slab, slab);
            var ds = dx.Slice(o * slab, slab);
            if (inner == 1)
            {
                if (log) Map(gs, ys, ds, new LogSoftmaxGradient<T>(Sum(gs)));     // dx = dy - exp(y)·Σ dy
                else Map(gs, ys, ds, new SoftmaxGradient<T>(Dot(gs, ys)));        // dx = y·(dy - Σ dy·y)
            }
            else if (inner < Vector256<T>.Count) Padded(ys, gs, size, inner, ds, log, backward: true);
            else
                for (int i = 0, count; i < inner; i += count)
                    StridedBackward(ys, gs, size, inner, i, count = BlockLength(inner, i), ds, log);
        }
    }

    /// <summary>Rows shorter than a vector (<c>[N, 2]</c>, <c>[N, 4]</c>): element by element, except the exponentials, which
    /// run as one vectorized map over a chunk of rows (the lane function every other path uses, so the same bits); each row's
    /// sums are taken in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortRowsForward<T>(ReadOnlySpan<T> x, int size, int start, int end, Span<T> y, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        const int chunkRows = 256;
        var rented = log ? ArrayPool<T>.Shared.Rent(chunkRows * size) : null;
        Span<T> maxes = Scratch<T>(stackalloc byte[chunkRows * 8], chunkRows);
        for (int r0 = start; r0 < end; r0 += chunkRows)
        {
            int rows = Math.Min(chunkRows, end - r0), at = r0 * size;
            ReadOnlySpan<T> xc = x.Slice(at, rows * size);
            var yc = y.Slice(at, rows * size);
            var shifted = log ? rented.AsSpan(0, rows * size) : yc;                    // x - max, then (softmax) its exp in place
            for (int r = 0; r < rows; r++)
            {
                T max = xc[r * size];
                for (int k = 1; k < size; k++) max = T.Max(max, xc[r * size + k]);
                maxes[r] = max = Shift(max);
                for (int k = 0; k < size; k++) shifted[r * size + k] = xc[r * size + k] - max;
            }
            var exps = log ? rented.AsSpan(0, rows * size) : yc;
            Map(shifted, shifted, exps, default(ExpOf<T>));                             // exp(x - max), vectorized over the chunk
            for (int r = 0; r < rows; r++)
            {
                T sum = T.Zero;
                for (int k = 0; k < size; k++) sum += exps[r * size + k];
                if (log)
                {
                    T logSum = T.Log(sum);
                    for (int k = 0; k < size; k++) yc[r * size + k] = (xc[r * size + k] - maxes[r]) - logSum;
                }
                else for (int k = 0; k < size; k++) yc[r * size + k] /= sum;
            }
        }
        if (rented is not null) ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>The backward of rows shorter than a vector, as <see cref="ShortRowsForward{T}"/>: log-softmax's exp(y) as
    /// one vectorized map over a chunk of rows (into dx), the rest element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortRowsBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int size, int start, int end, Span<T> dx, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        const int chunkRows = 256;
        for (int r0 = start; r0 < end; r0 += chunkRows)
        {
            int rows = Math.Min(chunkRows, end - r0), at = r0 * size;
            ReadOnlySpan<T> yc = y.Slice(at, rows * size), gc = dy.Slice(at, rows * size);
            var dc = dx.Slice(at, rows * size);
            if (log) Map(yc, yc, dc, default(ExpOf<T>));                                // dx = exp(y), vectorized over the chunk
            for (int r = 0; r < rows; r++)
            {
                T sum = T.Zero;                                                          // Σ dy (log) or Σ dy·y
                for (int k = 0; k < size; k++) sum += log ? gc[r * size + k] : gc[r * size + k] * yc[r * size + k];
                for (int k = 0; k < size; k++)
                {
                    int i = r * size + k;
                    dc[i] = log ? gc[i] - dc[i] * sum : yc[i] * (gc[i] - sum);
                }
            }
        }
    }

    /// <summary>A slab whose rows are fewer positions apart than a vector holds (<c>inner &lt; 8</c> floats): copied into a
    /// slab padded to one vector per k (the padding is 0), run through the strided kernel there, and copied back. Each
    /// position still sums its k in order, so it gets the bits it would get in a wider slab.</summary>
    private static void Padded<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, int size, int inner, Span<T> destination, bool log, bool backward)
        where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        var buffer = ArrayPool<T>.Shared.Rent(3 * size * w);
        Span<T> pa = buffer.AsSpan(0, size * w), pb = buffer.AsSpan(size * w, size * w), pd = buffer.AsSpan(2 * size * w, size * w);
        pa.Clear();
        pb.Clear();
        for (int k = 0; k < size; k++)
        {
            a.Slice(k * inner, inner).CopyTo(pa.Slice(k * w));
            if (backward) b.Slice(k * inner, inner).CopyTo(pb.Slice(k * w));
        }
        if (backward) StridedBackward<T>(pa, pb, size, w, 0, w, pd, log);
        else StridedForward<T>(pa, size, w, 0, w, pd, log);
        for (int k = 0; k < size; k++) pd.Slice(k * w, inner).CopyTo(destination.Slice(k * inner, inner));
        ArrayPool<T>.Shared.Return(buffer);
    }

    /// <summary>Backward over positions <c>[i0, i0 + count)</c> (at least a vector's worth) of one <c>[size, inner]</c> slab:
    /// per position Σ dy (log) or Σ dy·y down k (in order), then the outputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StridedBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int size, int inner, int i0, int count, Span<T> dx, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        Debug.Assert(count >= w && count <= BlockLanes + 8, "a block holds at least one vector and fits the scratch");
        Span<T> sum = Scratch<T>(stackalloc byte[(BlockLanes + 8) * 8], count);
        for (int j = 0; j < count; j += w)
        {
            int at = i0 + VectorStart<T>(j, count);
            var s = Vector256<T>.Zero;
            for (int k = 0; k < size; k++)
            {
                var g = Load(dy, k * inner + at);
                s += log ? g : g * Load(y, k * inner + at);
            }
            Store(s, sum, at - i0);
        }
        for (int k = 0; k < size; k++)
        {
            int row = k * inner + i0;
            for (int j = 0; j < count; j += w)
            {
                int at = VectorStart<T>(j, count);
                var (g, yv, s) = (Load(dy, row + at), Load(y, row + at), Load(sum, at));
                Store(log ? g - Exp(yv) * s : yv * (g - s), dx, row + at);                       // as the contiguous rows
            }
        }
    }

    /// <summary>The first <paramref name="count"/> elements of stack memory as <typeparamref name="T"/>.</summary>
    private static Span<T> Scratch<T>(Span<byte> bytes, int count) where T : struct => MemoryMarshal.Cast<byte, T>(bytes)[..count];

    // ---- the lane functions ----------------------------------------------------------------------------------------

    /// <summary><c>(a - max) - logSum</c>.</summary>
    private readonly struct ShiftTwice<T>(T max, T logSum) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _max = Vector256.Create(max), _logSum = Vector256.Create(logSum);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => (a - _max) - _logSum;
    }

    /// <summary><c>g - exp(y)·sum</c> (log-softmax backward).</summary>
    private readonly struct LogSoftmaxGradient<T>(T sum) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _sum = Vector256.Create(sum);
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> g, Vector256<T> y) => g - Exp(y) * _sum;
    }

    /// <summary><c>y·(g - dot)</c> (softmax backward).</summary>
    private readonly struct SoftmaxGradient<T>(T dot) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _dot = Vector256.Create(dot);
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> g, Vector256<T> y) => y * (g - _dot);
    }
}
