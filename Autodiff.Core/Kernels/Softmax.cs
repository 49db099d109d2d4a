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
/// is contiguous: a max pass, a pass summing <c>exp(x - max)</c>, and a pass writing the output, over a row that stays in
/// cache (one read of x and one write of y from memory), with the <see cref="RowVectors"/> loops. With <c>inner &gt; 1</c>
/// (dim 1 of <c>[N, C, H, W]</c>) the rows are strided: the kernel walks <c>k</c> down the rows of a block of up to
/// <see cref="BlockLanes"/> neighbouring positions at once, vectorized across the positions, so nothing is transposed and
/// every load is contiguous; each position sums its k in order 0, 1, 2, ..., so its result does not depend on the block.</para>
/// <para>Every entry point works on an outer range <c>[start, end)</c> and writes only those rows, so a caller can split
/// the rows across threads without changing a bit. All-<c>-∞</c> rows and rows holding <c>+∞</c> are not shifted (the max
/// is taken as 0) and give what IEEE arithmetic gives, as PyTorch; a NaN makes its row NaN.</para>
/// </remarks>
internal static class Softmax
{
    /// <summary>Positions of a strided block (its scratch lives on the stack).</summary>
    private const int BlockLanes = 128;

    // ---- forward ---------------------------------------------------------------------------------------------------

    /// <summary>The softmax <c>y = exp(x - max) / Σ exp(x - max)</c> or, with <paramref name="log"/>, the log-softmax
    /// <c>y = (x - max) - log Σ exp(x - max)</c>, along each row of the outer indices <c>[start, end)</c>.</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, int size, int inner, int start, int end, Span<T> y, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
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
            else
                for (int i = 0; i < inner; i += BlockLanes)
                    StridedForward(xs, size, inner, i, Math.Min(BlockLanes, inner - i), ys, log);
        }
    }

    /// <summary>The row's max as the shift, or 0 when it is infinite (all -∞, or a +∞: let IEEE decide).</summary>
    private static T Shift<T>(T max) where T : struct, IFloatingPointIeee754<T> => T.IsInfinity(max) ? T.Zero : max;

    private static void LogSoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        T max = Shift(Max(x));
        T logSum = T.Log(Sum(x, x, new ExpShifted<T>(max)));
        Map(x, x, y, new ShiftTwice<T>(max, logSum));                 // y = (x - max) - log Σ: the shift comes off first,
    }                                                                  // so logits of 1e4 keep their float32 digits

    private static void SoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        T max = Shift(Max(x));
        Map(x, x, y, new ExpShifted<T>(max));                          // y = exp(x - max)
        T sum = Sum<T>(y);
        Map(y, y, y, new DivideBy<T>(sum));                               // y = exp(x - max) / Σ
    }

    /// <summary>Forward over positions <c>[i0, i0 + count)</c> of one <c>[size, inner]</c> slab: per position the max and the
    /// sum of <c>exp(x - max)</c> down k (in order), then the outputs, vectorized across the positions.</summary>
    private static void StridedForward<T>(ReadOnlySpan<T> x, int size, int inner, int i0, int count, Span<T> y, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        Span<T> shift = Scratch<T>(stackalloc byte[BlockLanes * 8], count);
        Span<T> sum = Scratch<T>(stackalloc byte[BlockLanes * 8], count);
        for (int j = 0; j < count; j += w)
        {
            int lanes = Math.Min(w, count - j);
            var m = Load(x, i0 + j, lanes);
            for (int k = 1; k < size; k++) m = Vector256.Max(m, Load(x, k * inner + i0 + j, lanes));
            m = Vector256.ConditionalSelect(Vector256.Equals(Vector256.Abs(m), Vector256.Create(T.PositiveInfinity)), Vector256<T>.Zero, m);
            Store(m, shift, j, lanes);
            var s = Vector256<T>.Zero;
            for (int k = 0; k < size; k++)
            {
                var e = Exp(Load(x, k * inner + i0 + j, lanes) - m);
                if (!log) Store(e, y, k * inner + i0 + j, lanes);    // y = exp(x - max), divided below
                s += e;
            }
            Store(s, sum, j, lanes);
        }
        if (log)
            for (int j = 0; j < count; j++) sum[j] = T.Log(sum[j]);
        for (int k = 0; k < size; k++)
        {
            int at = k * inner + i0;
            for (int j = 0; j < count; j += w)
            {
                int lanes = Math.Min(w, count - j);
                var result = log
                    ? (Load(x, at + j, lanes) - Load(shift, j, lanes)) - Load(sum, j, lanes)     // (x - max) - log Σ
                    : Load(y, at + j, lanes) / Load(sum, j, lanes);                             // exp(x - max) / Σ
                Store(result, y, at + j, lanes);
            }
        }
    }

    // ---- backward --------------------------------------------------------------------------------------------------

    /// <summary>The backward of the rows of the outer indices <c>[start, end)</c>, for <c>y</c> the forward's output: softmax
    /// <c>dx = y ⊙ (dy - Σ dy ⊙ y)</c>, or with <paramref name="log"/> log-softmax <c>dx = dy - exp(y) · Σ dy</c>. Two passes:
    /// the sum along the row, then dx (every element written).</summary>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int size, int inner, int start, int end, Span<T> dx, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (size == 0) return;
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
            else
                for (int i = 0; i < inner; i += BlockLanes)
                    StridedBackward(ys, gs, size, inner, i, Math.Min(BlockLanes, inner - i), ds, log);
        }
    }

    /// <summary>Backward over positions <c>[i0, i0 + count)</c> of one <c>[size, inner]</c> slab: per position Σ dy (log) or
    /// Σ dy·y down k (in order), then the outputs.</summary>
    private static void StridedBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, int size, int inner, int i0, int count, Span<T> dx, bool log)
        where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        Span<T> sum = Scratch<T>(stackalloc byte[BlockLanes * 8], count);
        for (int j = 0; j < count; j += w)
        {
            int lanes = Math.Min(w, count - j);
            var s = Vector256<T>.Zero;
            for (int k = 0; k < size; k++)
            {
                var g = Load(dy, k * inner + i0 + j, lanes);
                s += log ? g : g * Load(y, k * inner + i0 + j, lanes);
            }
            Store(s, sum, j, lanes);
        }
        for (int k = 0; k < size; k++)
        {
            int at = k * inner + i0;
            for (int j = 0; j < count; j += w)
            {
                int lanes = Math.Min(w, count - j);
                var (g, yv, s) = (Load(dy, at + j, lanes), Load(y, at + j, lanes), Load(sum, j, lanes));
                Store(log ? g - Exp(yv) * s : yv * (g - s), dx, at + j, lanes);                 // as the contiguous rows
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
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => (a - _max) - _logSum;
    }

    /// <summary><c>g - exp(y)·sum</c> (log-softmax backward).</summary>
    private readonly struct LogSoftmaxGradient<T>(T sum) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _sum = Vector256.Create(sum);
        public static bool Binary => true;
        public Vector256<T> Invoke(Vector256<T> g, Vector256<T> y) => g - Exp(y) * _sum;
    }

    /// <summary><c>y·(g - dot)</c> (softmax backward).</summary>
    private readonly struct SoftmaxGradient<T>(T dot) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _dot = Vector256.Create(dot);
        public static bool Binary => true;
        public Vector256<T> Invoke(Vector256<T> g, Vector256<T> y) => y * (g - _dot);
    }
}
