using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>Normalization over groups of values: BatchNorm's channels of <c>[N, C, S]</c> (strided blocks) and LayerNorm's
/// rows of <c>[R, M]</c> (contiguous). Statistics are two-pass (mean, then mean squared deviation) and summed in a fixed order.</summary>
/// <remarks>With <c>x̂ = (x - μ)·rstd</c>, <c>y = x̂·w + b</c> and M values per group, the backward is
/// <c>dx += w·rstd·(g - Σg/M - x̂·Σ(g·x̂)/M)</c> when μ and rstd came from the batch (each x moved them), and
/// <c>dx += w·rstd·g</c> when they are constants (BatchNorm in eval mode); <c>dw += Σ g·x̂</c>, <c>db += Σ g</c>.</remarks>
internal static class Normalization
{
    // ---- BatchNorm: per channel c of x viewed as [N, C, S] ------------------------------------------------------------

    /// <summary><c>mean[c]</c> and biased <c>variance[c]</c> over the N·S values of channel c.</summary>
    public static void ChannelMoments<T>(ReadOnlySpan<T> x, int n, int c, int s, Span<T> mean, Span<T> variance)
        where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked((long)n * s);
        for (int ch = 0; ch < c; ch++)
        {
            T sum = T.Zero;
            for (int i = 0; i < n; i++) sum += Reduce.Sum(x.Slice((i * c + ch) * s, s));
            T mu = sum / count, squares = T.Zero;
            for (int i = 0; i < n; i++) squares += SquaredDeviations(x.Slice((i * c + ch) * s, s), mu);
            (mean[ch], variance[ch]) = (mu, squares / count);
        }
    }

    /// <summary><c>y = (x - mean[c])·rstd[c]·w[c] + b[c]</c>; an empty weight means 1, an empty bias 0.</summary>
    public static void ChannelAffine<T>(ReadOnlySpan<T> x, int n, int c, int s, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
            {
                T scale = rstd[ch] * (weight.IsEmpty ? T.One : weight[ch]), shift = bias.IsEmpty ? T.Zero : bias[ch];
                Affine(x.Slice((i * c + ch) * s, s), mean[ch], scale, shift, y.Slice((i * c + ch) * s, s));
            }
    }

    /// <summary>The backward of <see cref="ChannelAffine{T}"/> (see the class remarks); empty dx, dw or db are skipped.</summary>
    public static void ChannelBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int n, int c, int s, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> weight, bool batchStatistics, Span<T> dx, Span<T> dw, Span<T> db)
        where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked((long)n * s);
        for (int ch = 0; ch < c; ch++)
        {
            T sumG = T.Zero, sumGX = T.Zero;                                             // Σ g, Σ g·x̂
            for (int i = 0; i < n; i++)
            {
                int at = (i * c + ch) * s;
                sumG += Reduce.Sum(dy.Slice(at, s));
                sumGX += GradientDotNormalized(x.Slice(at, s), dy.Slice(at, s), mean[ch], rstd[ch]);
            }
            if (!db.IsEmpty) db[ch] += sumG;                                             // db += Σ g
            if (!dw.IsEmpty) dw[ch] += sumGX;                                            // dw += Σ g·x̂
            if (dx.IsEmpty) continue;
            T k = (weight.IsEmpty ? T.One : weight[ch]) * rstd[ch];
            var (meanG, meanGX) = batchStatistics ? (sumG / count, sumGX / count) : (T.Zero, T.Zero);
            for (int i = 0; i < n; i++)
            {
                int at = (i * c + ch) * s;
                AddInputGradient(x.Slice(at, s), dy.Slice(at, s), mean[ch], rstd[ch], k, meanG, meanGX, dx.Slice(at, s));
            }
        }
    }

    // ---- LayerNorm: per row r of x viewed as [R, M] --------------------------------------------------------------------

    /// <summary><c>mean[r]</c> and biased <c>variance[r]</c> over the M values of row r.</summary>
    public static void RowMoments<T>(ReadOnlySpan<T> x, int rows, int m, Span<T> mean, Span<T> variance)
        where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(m);
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * m, m);
            T mu = Reduce.Sum(row) / count;
            (mean[r], variance[r]) = (mu, SquaredDeviations(row, mu) / count);
        }
    }

    /// <summary><c>y[r] = (x[r] - mean[r])·rstd[r] ⊙ w + b</c>; an empty weight means 1, an empty bias 0.</summary>
    public static void RowAffine<T>(ReadOnlySpan<T> x, int rows, int m, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var yr = y.Slice(r * m, m);
            Affine(x.Slice(r * m, m), mean[r], rstd[r], T.Zero, yr);
            if (!weight.IsEmpty) Elementwise.Multiply(yr, weight, yr);
            if (!bias.IsEmpty) Elementwise.Add(yr, bias, yr);
        }
    }

    /// <summary>The backward of <see cref="RowAffine{T}"/>: per row <c>dx += rstd·(ĝ - Σĝ/M - x̂·Σ(ĝ·x̂)/M)</c> with
    /// <c>ĝ = g ⊙ w</c>; <c>dw += Σ_r g ⊙ x̂</c>, <c>db += Σ_r g</c>. Empty dx, dw or db are skipped.</summary>
    public static void RowBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int rows, int m, ReadOnlySpan<T> mean,
        ReadOnlySpan<T> rstd, ReadOnlySpan<T> weight, Span<T> dx, Span<T> dw, Span<T> db) where T : struct, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(m);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * m, m), gr = dy.Slice(r * m, m);
            T mu = mean[r], sd = rstd[r], sumG = T.Zero, sumGX = T.Zero;                // Σ ĝ, Σ ĝ·x̂
            for (int i = 0; i < m; i++)
            {
                T xhat = (xr[i] - mu) * sd, g = gr[i];
                if (!dw.IsEmpty) dw[i] += g * xhat;                                      // dw += g ⊙ x̂
                if (!db.IsEmpty) db[i] += g;                                             // db += g
                T gw = weight.IsEmpty ? g : g * weight[i];
                sumG += gw;
                sumGX += gw * xhat;
            }
            if (dx.IsEmpty) continue;
            T meanG = sumG / count, meanGX = sumGX / count;
            var dxr = dx.Slice(r * m, m);
            for (int i = 0; i < m; i++)                                                  // dx += rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂))
            {
                T xhat = (xr[i] - mu) * sd, gw = weight.IsEmpty ? gr[i] : gr[i] * weight[i];
                dxr[i] += sd * (gw - meanG - xhat * meanGX);
            }
        }
    }

    // ---- shared loops ----------------------------------------------------------------------------------------------------

    /// <summary><c>Σ (x[i] - mu)²</c>.</summary>
    private static T SquaredDeviations<T>(ReadOnlySpan<T> x, T mu) where T : struct, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        foreach (T v in x) sum += (v - mu) * (v - mu);
        return sum;
    }

    /// <summary><c>y[i] = (x[i] - mu)·scale + shift</c>.</summary>
    private static void Affine<T>(ReadOnlySpan<T> x, T mu, T scale, T shift, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = (x[i] - mu) * scale + shift;
    }

    /// <summary><c>Σ g[i]·x̂[i]</c> with <c>x̂ = (x - mu)·rstd</c>.</summary>
    private static T GradientDotNormalized<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, T mu, T rstd) where T : struct, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int i = 0; i < x.Length; i++) sum += g[i] * ((x[i] - mu) * rstd);
        return sum;
    }

    /// <summary><c>dx[i] += k·(g[i] - meanG - x̂[i]·meanGX)</c> with <c>x̂ = (x - mu)·rstd</c>.</summary>
    private static void AddInputGradient<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> g, T mu, T rstd, T k, T meanG, T meanGX, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += k * (g[i] - meanG - (x[i] - mu) * rstd * meanGX);
    }
}
