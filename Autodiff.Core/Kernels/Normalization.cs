using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static Autodiff.Kernels.RowVectors;

namespace Autodiff.Kernels;

/// <summary>Normalization over groups of values, forward and backward, vectorized: LayerNorm's rows of <c>[R, M]</c>
/// (contiguous) and BatchNorm's channels of <c>[N, C, S]</c> (N blocks of S contiguous values each). Statistics are
/// two-pass (mean, then mean squared deviation), summed in an order fixed by the shape (<see cref="RowVectors"/>).</summary>
/// <remarks>
/// <para>With <c>x̂ = (x - μ)·rstd</c>, <c>y = x̂·w + b</c> and M values per group, the input gradient is
/// <c>dx = rstd·(ĝ - Σĝ/M - x̂·Σ(ĝ·x̂)/M)</c>, <c>ĝ = dy·w</c>, when μ and rstd came from the group (each x moved them), and
/// <c>dx = w·rstd·dy</c> when they are constants (BatchNorm in eval mode); the weight gradient is <c>dw = Σ dy·x̂</c> and the
/// bias gradient <c>db = Σ dy</c>. The backward kernels compute whichever of dx, dw and db they are given a destination for
/// (an empty span: not wanted) in the same two passes: a pass of sums, then a pass writing dx and adding into dw and db.</para>
/// <para>Entry points take a range of rows (LayerNorm) or channels (BatchNorm) <c>[start, end)</c> and write only its
/// outputs, so a caller can split the work across threads. LayerNorm's dw and db are sums over rows, added into their
/// destination: a split that keeps the bits whatever the thread count cuts the rows into chunks fixed by the shape, gives
/// each chunk its own dw and db, and adds those up in chunk order.</para>
/// </remarks>
internal static class Normalization
{
    // ---- LayerNorm: per row r of x viewed as [R, M] --------------------------------------------------------------------

    /// <summary>For rows <c>[start, end)</c>: <c>mean[r]</c>, <c>rstd[r] = 1/√(σ²[r] + eps)</c> (biased variance) and
    /// <c>y[r] = (x[r] - mean[r])·rstd[r] ⊙ w + b</c>; an empty weight means 1, an empty bias 0. Three passes over a row
    /// that stays in cache.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowForward<T>(ReadOnlySpan<T> x, int m, T eps, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int start, int end,
        Span<T> mean, Span<T> rstd, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(m);
        if (m < Vector256<T>.Count)
        {
            ShortRowsForward(x, m, eps, weight, bias, start, end, mean, rstd, y);
            return;
        }
        for (int r = start; r < end; r++)
        {
            var xr = x.Slice(r * m, m);
            T mu = Sum(xr) / count;
            T sd = T.One / T.Sqrt(Sum(xr, xr, new SquaredDeviation<T>(mu)) / count + eps);
            (mean[r], rstd[r]) = (mu, sd);
            Affine(xr, mu, sd, weight, bias, y.Slice(r * m, m));
        }
    }

    /// <summary><see cref="RowForward{T}"/> for rows shorter than a vector (<c>[N, 4]</c>): element by element, sums in order,
    /// the affine map with <see cref="Affine{T}"/>'s formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortRowsForward<T>(ReadOnlySpan<T> x, int m, T eps, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int start, int end,
        Span<T> mean, Span<T> rstd, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(m);
        for (int r = start; r < end; r++)
        {
            var xr = x.Slice(r * m, m);
            var yr = y.Slice(r * m, m);
            T sum = T.Zero, squares = T.Zero;
            foreach (T v in xr) sum += v;
            T mu = sum / count;
            foreach (T v in xr) squares += (v - mu) * (v - mu);
            T sd = T.One / T.Sqrt(squares / count + eps);
            (mean[r], rstd[r]) = (mu, sd);
            for (int i = 0; i < m; i++)
            {
                T v = (xr[i] - mu) * sd;
                if (!weight.IsEmpty) v *= weight[i];
                if (!bias.IsEmpty) v += bias[i];
                yr[i] = v;
            }
        }
    }

    /// <summary>The gradients of <see cref="RowForward{T}"/> for rows <c>[start, end)</c>: per row
    /// <c>dx = rstd·(ĝ - Σĝ/M - x̂·Σ(ĝ·x̂)/M)</c> with <c>ĝ = dy ⊙ w</c> written into dx, and <c>dw += dy ⊙ x̂</c>,
    /// <c>db += dy</c> added into dw and db [M] (the caller zeroes them). Empty destinations are skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int m, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> weight, int start, int end, Span<T> dx, Span<T> dw, Span<T> db) where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(m);
        int w = Vector256<T>.Count;
        if (m < w)
        {
            ShortRowsBackward(x, dy, m, mean, rstd, weight, start, end, dx, dw, db);
            return;
        }
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * m, m), gr = dy.Slice(r * m, m);
            T mu = mean[r], sd = rstd[r];
            var (vmu, vsd) = (Vector256.Create(mu), Vector256.Create(sd));
            Vector256<T> meanG = default, meanGX = default;
            if (!dx.IsEmpty)
            {
                var (sumG, sumGX) = GradientSums(xr, gr, weight, mu, sd);               // Σ ĝ, Σ ĝ·x̂
                (meanG, meanGX) = (Vector256.Create(sumG / count), Vector256.Create(sumGX / count));
            }
            var dxr = dx.IsEmpty ? default : dx.Slice(r * m, m);
            var step = new RowGradientStep<T>(vmu, vsd, meanG, meanGX, weight, dxr, dw, db);
            int i = 0;
            for (; i + w <= m; i += w) step.Apply(Load(xr, i), Load(gr, i), i, w);
            if (i < m) step.Apply(Load(xr, m - w), Load(gr, m - w), m - w, m - i);          // the last whole vector, its new lanes
        }
    }

    /// <summary>One vector of <see cref="RowBackward{T}"/>'s second pass: dx stored, <c>dy ⊙ x̂</c> and dy added into dw and db.</summary>
    private readonly ref struct RowGradientStep<T>(Vector256<T> mu, Vector256<T> sd, Vector256<T> meanG, Vector256<T> meanGX,
        ReadOnlySpan<T> weight, Span<T> dx, Span<T> dw, Span<T> db) where T : struct, IFloatingPointIeee754<T>
    {
        private readonly ReadOnlySpan<T> _weight = weight;
        private readonly Span<T> _dx = dx, _dw = dw, _db = db;

        /// <summary>The vector of x and dy at <paramref name="at"/>, whose last <paramref name="fresh"/> lanes are new (a vector
        /// moved back to end at the row's end repeats the others: dx gets the same bits again, dw and db must not add twice).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(Vector256<T> x, Vector256<T> g, int at, int fresh)
        {
            var xhat = (x - mu) * sd;
            if (!_dx.IsEmpty)
            {
                var gw = _weight.IsEmpty ? g : g * Load(_weight, at);
                Store(sd * ((gw - meanG) - xhat * meanGX), _dx, at);                     // dx = rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂))
            }
            if (!_dw.IsEmpty) AddInto(g * xhat, _dw, at, fresh);                          // dw += dy ⊙ x̂
            if (!_db.IsEmpty) AddInto(g, _db, at, fresh);                                 // db += dy
        }

        /// <summary><c>sum[at..] += v</c> on the last <paramref name="fresh"/> lanes (all of a whole new vector).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void AddInto(Vector256<T> v, Span<T> sum, int at, int fresh)
        {
            var old = Load(sum, at);
            var added = old + v;
            if (fresh < Vector256<T>.Count) added = Vector256.ConditionalSelect(LastLanes<T>(fresh), added, old);
            Store(added, sum, at);
        }
    }

    /// <summary><see cref="RowBackward{T}"/> for rows shorter than a vector: element by element, sums in order, with the
    /// formulas of <see cref="RowGradientStep{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortRowsBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int m, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> weight, int start, int end, Span<T> dx, Span<T> dw, Span<T> db) where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(m);
        for (int r = start; r < end; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * m, m), gr = dy.Slice(r * m, m);
            T mu = mean[r], sd = rstd[r], meanG = T.Zero, meanGX = T.Zero;
            if (!dx.IsEmpty)
            {
                for (int i = 0; i < m; i++)                                              // Σ ĝ, Σ ĝ·x̂, in order
                {
                    T gw = weight.IsEmpty ? gr[i] : gr[i] * weight[i];
                    meanG += gw;
                    meanGX += gw * ((xr[i] - mu) * sd);
                }
                (meanG, meanGX) = (meanG / count, meanGX / count);
            }
            for (int i = 0; i < m; i++)
            {
                T g = gr[i], xhat = (xr[i] - mu) * sd;
                if (!dx.IsEmpty) dx[r * m + i] = sd * (((weight.IsEmpty ? g : g * weight[i]) - meanG) - xhat * meanGX);
                if (!dw.IsEmpty) dw[i] += g * xhat;
                if (!db.IsEmpty) db[i] += g;
            }
        }
    }

    // ---- BatchNorm: per channel c of x viewed as [N, C, S] ------------------------------------------------------------

    /// <summary>For channels <c>[start, end)</c>: <c>mean[c]</c> and biased <c>variance[c]</c> over the N·S values of channel c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ChannelMoments<T>(ReadOnlySpan<T> x, int n, int c, int s, int start, int end, Span<T> mean, Span<T> variance)
        where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked((long)n * s);
        if (UseColumns<T>(s, start, end))
        {
            ColumnMoments(x, n, c, s, start, end, mean, variance);
            return;
        }
        for (int ch = start; ch < end; ch++)
        {
            T sum = T.Zero;
            for (int i = 0; i < n; i++) sum += BlockSum(x.Slice((i * c + ch) * s, s));
            T mu = sum / count, squares = T.Zero;
            for (int i = 0; i < n; i++) squares += BlockSquaredDeviations(x.Slice((i * c + ch) * s, s), mu);
            (mean[ch], variance[ch]) = (mu, squares / count);
        }
    }

    /// <summary>For channels <c>[start, end)</c>: <c>y = (x - mean[c])·rstd[c]·w[c] + b[c]</c>; an empty weight means 1, an
    /// empty bias 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ChannelAffine<T>(ReadOnlySpan<T> x, int n, int c, int s, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int start, int end, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        if (UseColumns<T>(s, start, end))
        {
            ColumnAffine(x, n, c, s, mean, rstd, weight, bias, start, end, y);
            return;
        }
        for (int ch = start; ch < end; ch++)
        {
            T scale = rstd[ch] * (weight.IsEmpty ? T.One : weight[ch]), shift = bias.IsEmpty ? T.Zero : bias[ch];
            for (int i = 0; i < n; i++)
            {
                int at = (i * c + ch) * s;
                Map(x.Slice(at, s), x.Slice(at, s), y.Slice(at, s), new ScaleShift<T>(mean[ch], scale, shift));
            }
        }
    }

    /// <summary>The gradients of <see cref="ChannelAffine{T}"/> for channels <c>[start, end)</c> (see the class remarks):
    /// <c>dx = w·rstd·(dy - Σdy/M - x̂·Σ(dy·x̂)/M)</c> with <paramref name="batchStatistics"/>, <c>dx = w·rstd·dy</c> without,
    /// written into dx; <c>dw[c] = Σ dy·x̂</c> and <c>db[c] = Σ dy</c> written into dw and db. Empty destinations are skipped;
    /// with batch statistics, dw and db are the very sums dx needs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ChannelBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int n, int c, int s, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> weight, bool batchStatistics, int start, int end, Span<T> dx, Span<T> dw, Span<T> db)
        where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked((long)n * s);
        bool sums = (batchStatistics && !dx.IsEmpty) || !dw.IsEmpty || !db.IsEmpty;
        if (UseColumns<T>(s, start, end))
        {
            ColumnBackward(x, dy, n, c, s, mean, rstd, weight, batchStatistics, sums, start, end, dx, dw, db);
            return;
        }
        for (int ch = start; ch < end; ch++)
        {
            T mu = mean[ch], sd = rstd[ch];
            T sumG = T.Zero, sumGX = T.Zero;                                             // Σ dy, Σ dy·x̂
            if (sums)
                for (int i = 0; i < n; i++)
                {
                    int at = (i * c + ch) * s;
                    var (g, gx) = GradientSums(x.Slice(at, s), dy.Slice(at, s), default, mu, sd);
                    (sumG, sumGX) = (sumG + g, sumGX + gx);
                }
            if (!dw.IsEmpty) dw[ch] = sumGX;
            if (!db.IsEmpty) db[ch] = sumG;
            if (dx.IsEmpty) continue;
            T k = (weight.IsEmpty ? T.One : weight[ch]) * sd;
            var map = batchStatistics ? new InputGradient<T>(mu, sd, k, sumG / count, sumGX / count) : new InputGradient<T>(k);
            for (int i = 0; i < n; i++)
            {
                int at = (i * c + ch) * s;
                Map(x.Slice(at, s), dy.Slice(at, s), dx.Slice(at, s), map);
            }
        }
    }

    // ---- BatchNorm with blocks shorter than a vector ([N, C], [N, C, L] with small L): x as N rows of C·S columns --------

    /// <summary>True when channel c's blocks are shorter than a vector but the channels' columns <c>[start·S, end·S)</c>
    /// hold one: then the kernels run down the N rows vectorized across the columns instead of along the blocks.</summary>
    private static bool UseColumns<T>(int s, int start, int end) where T : struct =>
        s < Vector256<T>.Count && (end - start) * s >= Vector256<T>.Count;

    /// <summary><see cref="ChannelMoments{T}"/> by columns: each column summed down the rows (in row order), then a channel's
    /// S columns in order; the same for the squared deviations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnMoments<T>(ReadOnlySpan<T> x, int n, int c, int s, int start, int end, Span<T> mean, Span<T> variance)
        where T : struct, IFloatingPointIeee754<T>
    {
        int len = (end - start) * s, cs = c * s, j0 = start * s;
        T count = T.CreateChecked((long)n * s);
        var rented = ArrayPool<T>.Shared.Rent(2 * len);
        Span<T> sums = rented.AsSpan(0, len), columnMean = rented.AsSpan(len, len);
        sums.Clear();
        for (int i = 0; i < n; i++) ColumnAdd(x.Slice(i * cs + j0, len), x.Slice(i * cs + j0, len), sums, default(Identity<T>));
        for (int ch = start; ch < end; ch++)
        {
            mean[ch] = ChannelTotal(sums, s, ch - start) / count;
            columnMean.Slice((ch - start) * s, s).Fill(mean[ch]);
        }
        sums.Clear();
        for (int i = 0; i < n; i++) ColumnAdd(x.Slice(i * cs + j0, len), columnMean, sums, default(SquaredDifference<T>));
        for (int ch = start; ch < end; ch++) variance[ch] = ChannelTotal(sums, s, ch - start) / count;
        ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary><see cref="ChannelAffine{T}"/> by columns: <c>y = (x - μ)·scale + shift</c> with each column's channel's
    /// constants, the formula of the block path (so the same bits for the same μ and rstd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnAffine<T>(ReadOnlySpan<T> x, int n, int c, int s, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int start, int end, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        int len = (end - start) * s, cs = c * s, j0 = start * s, w = Vector256<T>.Count, last = len - w;
        var rented = ArrayPool<T>.Shared.Rent(3 * len);
        Span<T> mu = rented.AsSpan(0, len), scale = rented.AsSpan(len, len), shift = rented.AsSpan(2 * len, len);
        for (int ch = start; ch < end; ch++)
        {
            int at = (ch - start) * s;
            mu.Slice(at, s).Fill(mean[ch]);
            scale.Slice(at, s).Fill(rstd[ch] * (weight.IsEmpty ? T.One : weight[ch]));
            shift.Slice(at, s).Fill(bias.IsEmpty ? T.Zero : bias[ch]);
        }
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<T> xr = x.Slice(i * cs + j0, len);
            var yr = y.Slice(i * cs + j0, len);
            for (int j = 0; ; j += w)                                                    // the last vector overlaps: same bits again
            {
                int at = Math.Min(j, last);
                Store((Load(xr, at) - Load(mu, at)) * Load(scale, at) + Load(shift, at), yr, at);
                if (at == last) break;
            }
        }
        ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary><see cref="ChannelBackward{T}"/> by columns: Σ dy and Σ dy·x̂ down each column (in row order), a channel's
    /// S columns added in order, then dx with each column's channel's constants (the block path's formula).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int n, int c, int s, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> weight, bool batchStatistics, bool sums, int start, int end, Span<T> dx, Span<T> dw,
        Span<T> db) where T : struct, IFloatingPointIeee754<T>
    {
        int len = (end - start) * s, cs = c * s, j0 = start * s, w = Vector256<T>.Count, last = len - w;
        T count = T.CreateChecked((long)n * s);
        var rented = ArrayPool<T>.Shared.Rent(7 * len);
        Span<T> mu = rented.AsSpan(0, len), sd = rented.AsSpan(len, len), k = rented.AsSpan(2 * len, len);
        Span<T> meanG = rented.AsSpan(3 * len, len), meanGX = rented.AsSpan(4 * len, len);
        Span<T> sumG = rented.AsSpan(5 * len, len), sumGX = rented.AsSpan(6 * len, len);
        for (int ch = start; ch < end; ch++)
        {
            int at = (ch - start) * s;
            mu.Slice(at, s).Fill(mean[ch]);
            sd.Slice(at, s).Fill(rstd[ch]);
            k.Slice(at, s).Fill((weight.IsEmpty ? T.One : weight[ch]) * rstd[ch]);
        }
        if (sums)
        {
            sumG.Clear();
            sumGX.Clear();
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<T> xr = x.Slice(i * cs + j0, len), gr = dy.Slice(i * cs + j0, len);
                for (int j = 0; ; j += w)                                                // the last vector overlaps: its new lanes only
                {
                    int at = Math.Min(j, last);
                    var g = Load(gr, at);
                    var gx = g * ((Load(xr, at) - Load(mu, at)) * Load(sd, at));
                    var (oldG, oldGX) = (Load(sumG, at), Load(sumGX, at));
                    var (newG, newGX) = (oldG + g, oldGX + gx);
                    if (at < j)
                    {
                        var fresh = LastLanes<T>(len - j);
                        (newG, newGX) = (Vector256.ConditionalSelect(fresh, newG, oldG), Vector256.ConditionalSelect(fresh, newGX, oldGX));
                    }
                    Store(newG, sumG, at);
                    Store(newGX, sumGX, at);
                    if (at == last) break;
                }
            }
            for (int ch = start; ch < end; ch++)
            {
                T g = ChannelTotal(sumG, s, ch - start), gx = ChannelTotal(sumGX, s, ch - start);
                if (!dw.IsEmpty) dw[ch] = gx;
                if (!db.IsEmpty) db[ch] = g;
                meanG.Slice((ch - start) * s, s).Fill(g / count);
                meanGX.Slice((ch - start) * s, s).Fill(gx / count);
            }
        }
        if (!dx.IsEmpty)
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<T> xr = x.Slice(i * cs + j0, len), gr = dy.Slice(i * cs + j0, len);
                var dr = dx.Slice(i * cs + j0, len);
                for (int j = 0; ; j += w)                                                // the last vector overlaps: same bits again
                {
                    int at = Math.Min(j, last);
                    var g = Load(gr, at);
                    Store(batchStatistics
                        ? Load(k, at) * ((g - Load(meanG, at)) - ((Load(xr, at) - Load(mu, at)) * Load(sd, at)) * Load(meanGX, at))
                        : Load(k, at) * g, dr, at);
                    if (at == last) break;
                }
            }
        ArrayPool<T>.Shared.Return(rented);
    }

    /// <summary>The sum of channel <paramref name="index"/>'s S columns, in order.</summary>
    private static T ChannelTotal<T>(ReadOnlySpan<T> columns, int s, int index) where T : struct, IFloatingPointIeee754<T>
    {
        T total = T.Zero;
        foreach (T v in columns.Slice(index * s, s)) total += v;
        return total;
    }

    /// <summary><c>sum[j] += f(a[j], b[j])</c> over a row of at least a vector: whole vectors, the last one overlapping the
    /// one before with its repeated lanes left alone.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void ColumnAdd<T, TMap>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> sum, TMap f) where T : struct, IFloatingPointIeee754<T>
        where TMap : struct, IRowMap<T>
    {
        int w = Vector256<T>.Count, n = a.Length, last = n - w;
        for (int j = 0; ; j += w)
        {
            int at = Math.Min(j, last);
            var old = Load(sum, at);
            var added = old + f.Invoke(Load(a, at), TMap.Binary ? Load(b, at) : default);
            if (at < j) added = Vector256.ConditionalSelect(LastLanes<T>(n - j), added, old);
            Store(added, sum, at);
            if (at == last) break;
        }
    }

    /// <summary><c>(a - b)²</c>: a squared deviation from a per-column mean.</summary>
    private readonly struct SquaredDifference<T> : IRowMap<T> where T : struct
    {
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => (a - b) * (a - b);
    }

    // ---- shared loops ----------------------------------------------------------------------------------------------------

    /// <summary><c>y = ((x - mu)·sd) ⊙ w + b</c> over one row of at least a vector; an empty weight or bias is left out. The
    /// last partial vector is the row's last whole vector (its first lanes get the same bits again).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Affine<T>(ReadOnlySpan<T> x, T mu, T sd, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y)
        where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count, m = x.Length, i = 0;
        var (vmu, vsd) = (Vector256.Create(mu), Vector256.Create(sd));
        for (; i + w <= m; i += w) Store(AffineVector(Load(x, i), vmu, vsd, weight, bias, i), y, i);
        if (i < m) Store(AffineVector(Load(x, m - w), vmu, vsd, weight, bias, m - w), y, m - w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> AffineVector<T>(Vector256<T> x, Vector256<T> mu, Vector256<T> sd, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, int at)
        where T : struct, IFloatingPointIeee754<T>
    {
        var v = (x - mu) * sd;
        if (!weight.IsEmpty) v *= Load(weight, at);
        if (!bias.IsEmpty) v += Load(bias, at);
        return v;
    }


    /// <summary><c>Σ ĝ</c> and <c>Σ ĝ·x̂</c> over one contiguous run, with <c>ĝ = dy ⊙ w</c> (an empty weight: dy) and
    /// <c>x̂ = (x - mu)·sd</c>: two accumulators each, in an order fixed by the length; runs shorter than a vector are
    /// summed in order, element by element (BatchNorm1d's blocks of one value).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (T SumG, T SumGX) GradientSums<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> weight, T mu, T sd)
        where T : struct, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count, n = x.Length, i = 0;
        if (n < w)
        {
            T sg = T.Zero, sgx = T.Zero;
            for (; i < n; i++)
            {
                T gw = weight.IsEmpty ? dy[i] : dy[i] * weight[i];
                sg += gw;
                sgx += gw * ((x[i] - mu) * sd);
            }
            return (sg, sgx);
        }
        var (vmu, vsd) = (Vector256.Create(mu), Vector256.Create(sd));
        var (g0, g1, h0, h1) = (Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero, Vector256<T>.Zero);
        for (; i + 2 * w <= n; i += 2 * w)
        {
            var a = weight.IsEmpty ? Load(dy, i) : Load(dy, i) * Load(weight, i);
            var b = weight.IsEmpty ? Load(dy, i + w) : Load(dy, i + w) * Load(weight, i + w);
            (g0, h0) = (g0 + a, h0 + a * ((Load(x, i) - vmu) * vsd));
            (g1, h1) = (g1 + b, h1 + b * ((Load(x, i + w) - vmu) * vsd));
        }
        if (i + w <= n)
        {
            var a = weight.IsEmpty ? Load(dy, i) : Load(dy, i) * Load(weight, i);
            (g0, h0) = (g0 + a, h0 + a * ((Load(x, i) - vmu) * vsd));
            i += w;
        }
        if (i < n)                                                                       // the last whole vector, its new lanes
        {
            var mask = LastLanes<T>(n - i);
            var a = weight.IsEmpty ? Load(dy, n - w) : Load(dy, n - w) * Load(weight, n - w);
            g1 += Vector256.ConditionalSelect(mask, a, Vector256<T>.Zero);
            h1 += Vector256.ConditionalSelect(mask, a * ((Load(x, n - w) - vmu) * vsd), Vector256<T>.Zero);
        }
        return (HorizontalSum(g0 + g1), HorizontalSum(h0 + h1));
    }

    /// <summary>The sum of a block: vectorized when it holds a vector, else element by element in order.</summary>
    private static T BlockSum<T>(ReadOnlySpan<T> x) where T : struct, IFloatingPointIeee754<T>
    {
        if (x.Length >= Vector256<T>.Count) return Sum(x);
        T sum = T.Zero;
        foreach (T v in x) sum += v;
        return sum;
    }

    /// <summary><c>Σ (x - mu)²</c> over a block, as <see cref="BlockSum{T}"/>.</summary>
    private static T BlockSquaredDeviations<T>(ReadOnlySpan<T> x, T mu) where T : struct, IFloatingPointIeee754<T>
    {
        if (x.Length >= Vector256<T>.Count) return Sum(x, x, new SquaredDeviation<T>(mu));
        T sum = T.Zero;
        foreach (T v in x) sum += (v - mu) * (v - mu);
        return sum;
    }

    /// <summary><c>(a - mu)·scale + shift</c>: BatchNorm's per-channel affine map.</summary>
    private readonly struct ScaleShift<T>(T mu, T scale, T shift) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _mu = Vector256.Create(mu), _scale = Vector256.Create(scale), _shift = Vector256.Create(shift);
        public static bool Binary => false;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => (a - _mu) * _scale + _shift;
    }

    /// <summary>BatchNorm's <c>dx = k·((g - meanG) - x̂·meanGX)</c> with <c>x̂ = (x - mu)·rstd</c> (batch statistics), or
    /// <c>dx = k·g</c> (running statistics), from <c>(a, b) = (x, g)</c>.</summary>
    private readonly struct InputGradient<T> : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _mu, _rstd, _k, _meanG, _meanGX;
        private readonly bool _batch;

        public InputGradient(T mu, T rstd, T k, T meanG, T meanGX) =>
            (_mu, _rstd, _k, _meanG, _meanGX, _batch) = (Vector256.Create(mu), Vector256.Create(rstd), Vector256.Create(k),
                Vector256.Create(meanG), Vector256.Create(meanGX), true);

        public InputGradient(T k) => (_mu, _rstd, _k, _meanG, _meanGX, _batch) = (default, default, Vector256.Create(k), default, default, false);

        public static bool Binary => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]

        public Vector256<T> Invoke(Vector256<T> x, Vector256<T> g) =>
            _batch ? _k * ((g - _meanG) - ((x - _mu) * _rstd) * _meanGX) : _k * g;
    }
}
