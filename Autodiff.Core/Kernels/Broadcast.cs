using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>How operands are read when broadcast to one output, with the output's dims merged as far as the reads allow:
/// size-1 dims dropped, and a dim merged into the next inner one wherever every operand either runs on contiguously
/// across the two or repeats across both. <c>x[N, C] + bias[C]</c> becomes two dims (<c>[N, C]</c>, bias strides
/// <c>[0, 1]</c>), <c>x * 2.0</c> and <c>a + b</c> of one shape become one.</summary>
/// <remarks>Along the innermost merged dim every operand has stride 1 (it runs) or 0 (it repeats one value), so each row
/// of the output is one span kernel call: span with span, span with a scalar, or a scalar with a span.</remarks>
internal sealed class BroadcastPlan
{
    /// <summary>The merged output dims, outermost first; at least one (a one-element output is <c>[1]</c>).</summary>
    public readonly int[] Dims;

    /// <summary><c>Strides[k][d]</c>: how far operand k's read moves per step along merged dim d (0 where it repeats).</summary>
    public readonly int[][] Strides;

    private BroadcastPlan(int[] dims, int[][] strides) => (Dims, Strides) = (dims, strides);

    /// <summary>The plan for reading <paramref name="operands"/> (each broadcastable to <paramref name="output"/>) in the
    /// row-major order of <paramref name="output"/>.</summary>
    public static BroadcastPlan Create(ReadOnlySpan<int> output, params ReadOnlySpan<Shape> operands)
    {
        int rank = output.Length, count = operands.Length;
        Span<int> dims = stackalloc int[Math.Max(1, rank)];
        Span<int> strides = stackalloc int[count * Math.Max(1, rank)];   // strides[k * rank + d] for merged dim d
        Span<int> running = stackalloc int[count];                         // each operand's stride for the current dim
        running.Fill(1);
        int merged = 0;
        // Innermost dim first: an operand's stride along output dim d is the product of its own dims inside d, or 0
        // where it has size 1 (repeats); dim d joins the merged dim inside it when every operand moves by that dim's
        // stride times its size.
        Span<int> next = stackalloc int[count];
        for (int d = rank - 1; d >= 0; d--)
        {
            int size = output[d];
            for (int k = 0; k < count; k++)
            {
                var own = operands[k].Dims;
                int j = own.Length - (rank - d);
                int ownSize = j >= 0 ? own[j] : 1;
                next[k] = ownSize == 1 ? 0 : running[k];
                running[k] *= ownSize;
            }
            if (size == 1) continue;
            bool merge = merged > 0;
            for (int k = 0; k < count && merge; k++)
            {
                int inner = strides[k * rank + merged - 1];
                merge = next[k] == inner * dims[merged - 1];
            }
            if (merge) dims[merged - 1] *= size;
            else
            {
                dims[merged] = size;
                for (int k = 0; k < count; k++) strides[k * rank + merged] = next[k];
                merged++;
            }
        }
        if (merged == 0)                                          // every operand has one element: one run of 1
        {
            dims[0] = 1;
            for (int k = 0; k < count; k++) strides[k * Math.Max(1, rank)] = 1;
            merged = 1;
            rank = Math.Max(1, rank);
        }
        var planDims = new int[merged];
        var planStrides = new int[count][];
        for (int m = 0; m < merged; m++) planDims[m] = dims[merged - 1 - m];           // outermost first
        for (int k = 0; k < count; k++)
        {
            var ks = planStrides[k] = new int[merged];
            for (int m = 0; m < merged; m++) ks[m] = strides[k * rank + merged - 1 - m];
        }
        return new BroadcastPlan(planDims, planStrides);
    }

    /// <summary>The innermost merged dim: the length of one row of the output.</summary>
    public int Inner => Dims[^1];

    /// <summary>Calls <c>segment(position, length, offsets)</c> for the runs of output elements
    /// <c>[start, end)</c>, each within one row; <c>offsets[k]</c> is where operand k's read starts for the run's first
    /// element (then it moves by its innermost stride, 0 or 1).</summary>
    public void Walk<TSegment>(int start, int end, ref TSegment segment) where TSegment : ISegment, allows ref struct
    {
        int rank = Dims.Length, inner = Dims[rank - 1], count = Strides.Length;
        Span<int> offsets = stackalloc int[count];
        Span<int> index = stackalloc int[rank];
        int row = start / inner, column = start - row * inner;
        for (int d = rank - 2, rest = row; d >= 0; d--)         // the row's multi-index over the outer dims
        {
            index[d] = rest % Dims[d];
            rest /= Dims[d];
        }
        for (int k = 0; k < count; k++)
        {
            int o = column * Strides[k][rank - 1];
            for (int d = 0; d < rank - 1; d++) o += index[d] * Strides[k][d];
            offsets[k] = o;
        }
        int position = start;
        while (position < end)
        {
            int length = Math.Min(inner - column, end - position);
            segment.Run(position, length, offsets);
            position += length;
            if (position >= end) break;
            for (int k = 0; k < count; k++) offsets[k] -= column * Strides[k][rank - 1];   // back to the row's start
            column = 0;
            for (int d = rank - 2; d >= 0; d--)                  // next row, odometer style
            {
                for (int k = 0; k < count; k++) offsets[k] += Strides[k][d];
                if (++index[d] < Dims[d]) break;
                for (int k = 0; k < count; k++) offsets[k] -= Strides[k][d] * Dims[d];
                index[d] = 0;
            }
        }
    }
}

/// <summary>One run of a broadcast kernel, within one row of the output; see <see cref="BroadcastPlan.Walk"/>.</summary>
internal interface ISegment
{
    void Run(int position, int length, scoped ReadOnlySpan<int> offsets);
}

/// <summary>Broadcast element-wise kernels: the row runs of a <see cref="BroadcastPlan"/> handed to span kernels.</summary>
internal static class Broadcast
{
    /// <summary><c>destination[i] = op(x[…], y[…])</c> for the output elements <c>[start, end)</c> of
    /// <paramref name="plan"/> (x is its operand 0, y operand 1): per row, one span kernel of the operator, with a scalar
    /// for an operand that repeats along the row.</summary>
    public static void Binary<T, TOp>(TOp op, BroadcastPlan plan, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination, int start, int end)
        where T : struct, IFloatingPointIeee754<T> where TOp : struct, IBinaryOperator
    {
        var segment = new BinarySegment<T, TOp>(op, x, y, destination, plan.Strides[0][^1], plan.Strides[1][^1]);
        plan.Walk(start, end, ref segment);
    }

    private ref struct BinarySegment<T, TOp>(TOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination, int xStride, int yStride) : ISegment
        where T : struct, IFloatingPointIeee754<T> where TOp : struct, IBinaryOperator
    {
        private readonly ReadOnlySpan<T> _x = x, _y = y;
        private readonly Span<T> _destination = destination;

        public readonly void Run(int position, int length, scoped ReadOnlySpan<int> offsets)
        {
            var d = _destination.Slice(position, length);
            if (xStride == yStride || length == 1) op.Invoke(_x.Slice(offsets[0], length), _y.Slice(offsets[1], length), d);
            else if (yStride == 0) op.Invoke(_x.Slice(offsets[0], length), _y[offsets[1]], d);
            else op.Invoke(_x[offsets[0]], _y.Slice(offsets[1], length), d);
        }
    }

    /// <summary><c>destination[i] = condition[…] ≠ 0 ? a[…] : b[…]</c> for the output elements <c>[start, end)</c> of
    /// <paramref name="plan"/> (operands condition, a, b in that order).</summary>
    public static void Where<T>(BroadcastPlan plan, ReadOnlySpan<T> condition, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, int start, int end)
        where T : struct, IFloatingPointIeee754<T>
    {
        var segment = new WhereSegment<T>(condition, a, b, destination, plan.Strides[0][^1], plan.Strides[1][^1], plan.Strides[2][^1]);
        plan.Walk(start, end, ref segment);
    }

    private ref struct WhereSegment<T>(ReadOnlySpan<T> condition, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination,
        int cStride, int aStride, int bStride) : ISegment where T : struct, IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _condition = condition, _a = a, _b = b;
        private readonly Span<T> _destination = destination;

        public readonly void Run(int position, int length, scoped ReadOnlySpan<int> offsets)
        {
            var d = _destination.Slice(position, length);
            if (cStride == 1 && aStride == 1 && bStride == 1)
            {
                Elementwise.Where(_condition.Slice(offsets[0], length), _a.Slice(offsets[1], length), _b.Slice(offsets[2], length), d);
                return;
            }
            int c = offsets[0], i = offsets[1], j = offsets[2];
            for (int k = 0; k < d.Length; k++, c += cStride, i += aStride, j += bStride)
                d[k] = _condition[c] != T.Zero ? _a[i] : _b[j];
        }
    }

    /// <summary>The backward of Maximum (<paramref name="max"/>) or Minimum for one input, broadcast:
    /// <c>da[i] = dy[i]</c> where <c>a[…]</c> wins against <c>b[…]</c>, <c>dy[i]/2</c> on a tie, 0 elsewhere, for the
    /// output elements <c>[start, end)</c> of <paramref name="plan"/> (operands a, b, dy in that order; dy has the output's
    /// shape).</summary>
    public static void Extremum<T>(BroadcastPlan plan, ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool max, ReadOnlySpan<T> dy, Span<T> da, int start, int end)
        where T : struct, IFloatingPointIeee754<T>
    {
        var segment = new ExtremumSegment<T>(a, b, max, dy, da, plan.Strides[0][^1], plan.Strides[1][^1]);
        plan.Walk(start, end, ref segment);
    }

    private ref struct ExtremumSegment<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool max, ReadOnlySpan<T> dy, Span<T> da,
        int aStride, int bStride) : ISegment where T : struct, IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _a = a, _b = b, _dy = dy;
        private readonly Span<T> _da = da;

        public readonly void Run(int position, int length, scoped ReadOnlySpan<int> offsets)
        {
            var g = _dy.Slice(position, length);
            var d = _da.Slice(position, length);
            if (aStride == 1 && bStride == 1)
            {
                ElementwiseBackward.MaximumOrMinimum(_a.Slice(offsets[0], length), _b.Slice(offsets[1], length), max, g, d);
                return;
            }
            T half = T.One / (T.One + T.One);
            for (int k = 0, i = offsets[0], j = offsets[1]; k < d.Length; k++, i += aStride, j += bStride)
                d[k] = _a[i] == _b[j] ? g[k] * half : (max ? _a[i] > _b[j] : _a[i] < _b[j]) ? g[k] : T.Zero;
        }
    }
}
