using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The <paramref name="k"/> largest (or smallest) elements along one dimension and their indices. Same as
    /// <c>torch.topk(x, k, dim, largest, sorted)</c>.</summary>
    /// <remarks>Forward: along <paramref name="dim"/>, <c>Values[.., j, ..] = x[.., Indices[.., j, ..], ..]</c> for the
    /// k chosen positions; ties go to the lower index, and NaN counts as larger than every number (as PyTorch). With
    /// <paramref name="sorted"/> the k are in order (largest first when <paramref name="largest"/>); without it they are
    /// in increasing index order. Backward: <c>dx[.., Indices[.., j, ..], ..] += g[.., j, ..]</c>, zero elsewhere (a
    /// named scatter whose own backward gathers again, so higher orders work). <c>Indices</c> is
    /// <see cref="DType.Int64"/> and not differentiable. An Int64 <paramref name="x"/> gives Int64 values, not
    /// differentiable either.</remarks>
    /// <param name="x">A Float32, Float64 or Int64 tensor.</param>
    /// <param name="k">How many elements to keep, in <c>[0, x.Shape[dim]]</c>.</param>
    /// <param name="dim">The dimension to select along (negative counts from the end).</param>
    /// <param name="largest">True for the k largest, false for the k smallest.</param>
    /// <param name="sorted">True to return the k in sorted order, false for increasing index order.</param>
    /// <returns>The values (x's dtype) and their Int64 indices, both of x's shape with <paramref name="dim"/> of size k.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">k is negative or larger than the dimension, or x is Bool.</exception>
    public static (Tensor Values, Tensor Indices) TopK(Tensor x, int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        Check.Numeric("TopK", x, nameof(x));                                             // Int64 too: values Int64, unrecorded
        int d = Check.Dim("TopK", dim, x.Shape);
        if (k < 0 || k > x.Shape[d])
            Check.Fail("TopK", $"k {k} is out of range for dim {dim} of size {x.Shape[d]} in shape {x.Shape}.", nameof(k));
        return SelectAlong("TopK", x, k, d, descending: largest, keepIndexOrder: !sorted);
    }

    /// <summary>TopK and Sort: the chosen k along dim d, recorded with a scatter back to them.</summary>
    private static (Tensor Values, Tensor Indices) SelectAlong(string op, Tensor x, int k, int d, bool descending, bool keepIndexOrder)
    {
        var (outer, size, inner) = x.Shape.Around(d);
        var indices = new int[outer * k * inner];
        Compute.RunNumber(x.DType, new SelectKernel(x, outer, size, inner, k, descending, keepIndexOrder, indices));
        var dims = x.Shape.ToArray();
        dims[d] = k;
        var shape = new Shape(dims);
        var values = Compute.Empty(shape, x.DType);
        Compute.RunNumber(x.DType, new SelectedKernel(x, indices, outer, size, k, inner, values, scatter: false));  // v[o, j, i] = x[o, idx, i]
        var y = Tape.Record(op, values, [x], "dx[indices] += g",
            [(g, e) => SelectScatter(op, g, indices, d, e.Inputs[0].Shape)]);
        return (y, Tensor.FromArray(Array.ConvertAll(indices, i => (long)i), dims));
    }

    /// <summary>TopK or Sort's backward as a named op: zeros of <paramref name="shape"/> with <c>g[o, j, i]</c> at
    /// <c>[o, indices[o, j, i], i]</c> along dim <paramref name="d"/>. Linear in g; its backward gathers again.</summary>
    private static Tensor SelectScatter(string op, Tensor g, int[] indices, int d, Shape shape)
    {
        var (outer, size, inner) = shape.Around(d);
        int k = g.Shape[d];
        var y = Compute.Zeros(shape, g.DType);
        Compute.RunNumber(g.DType, new SelectedKernel(g, indices, outer, size, k, inner, y, scatter: true));
        return Tape.Record(op + "Backward", y, [g], "dg += dy[indices]",
            [(dy, e) => SelectGather(op, dy, indices, d, e.Inputs[0].Shape)]);
    }

    /// <summary>The elements at <c>[o, indices[o, j, i], i]</c> along dim <paramref name="d"/>, as <paramref name="shape"/>:
    /// TopK or Sort with the choice fixed, the adjoint of <see cref="SelectScatter"/>.</summary>
    private static Tensor SelectGather(string op, Tensor x, int[] indices, int d, Shape shape)
    {
        var (outer, size, inner) = x.Shape.Around(d);
        var y = Compute.Empty(shape, x.DType);
        Compute.RunNumber(x.DType, new SelectedKernel(x, indices, outer, size, shape[d], inner, y, scatter: false));
        return Tape.Record(op, y, [x], "dx[indices] += g",
            [(g, e) => SelectScatter(op, g, indices, d, e.Inputs[0].Shape)]);
    }

    /// <summary>For each (outer, inner) row of length size, the indices of its k first elements in the order
    /// (value, then index), decreasing values when descending; NaN is the largest. Optionally re-sorted by index.</summary>
    private readonly struct SelectKernel(Tensor x, int outer, int size, int inner, int k, bool descending, bool keepIndexOrder, int[] indices) : INumberKernel
    {
        public void Run<T>() where T : struct, INumber<T>
        {
            ReadOnlySpan<T> src = x.Data<T>();
            var row = new T[size];
            var order = new int[size];
            bool desc = descending;
            Comparison<int> compare = (a, b) =>
            {
                int c = CompareNaNLargest<T>(row[a], row[b]);
                if (desc) c = -c;
                return c != 0 ? c : a.CompareTo(b);
            };
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    for (int s = 0; s < size; s++)
                    {
                        row[s] = src[(o * size + s) * inner + i];
                        order[s] = s;
                    }
                    Array.Sort(order, compare);
                    if (keepIndexOrder) Array.Sort(order, 0, k);
                    for (int j = 0; j < k; j++) indices[(o * k + j) * inner + i] = order[j];
                }
        }

        private static int CompareNaNLargest<T>(T a, T b) where T : struct, INumber<T>
        {
            bool an = T.IsNaN(a), bn = T.IsNaN(b);
            if (an || bn) return an.CompareTo(bn);
            return a < b ? -1 : a > b ? 1 : 0;
        }
    }

    /// <summary>The chosen k elements of each row along a dim: gathered into [outer, k, inner], or scattered (added)
    /// back into zeros of [outer, size, inner].</summary>
    private readonly struct SelectedKernel(Tensor source, int[] indices, int outer, int size, int k, int inner, Tensor destination, bool scatter) : INumberKernel
    {
        public void Run<T>() where T : struct, INumber<T>
        {
            ReadOnlySpan<T> src = source.Data<T>();
            var dst = destination.Data<T>();
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < k; j++)
                    for (int i = 0; i < inner; i++)
                    {
                        int chosen = (o * size + indices[(o * k + j) * inner + i]) * inner + i, picked = (o * k + j) * inner + i;
                        if (scatter) dst[chosen] += src[picked];
                        else dst[picked] = src[chosen];
                    }
        }
    }
}
