using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Autodiff.Kernels.RowVectors;

namespace Autodiff.Kernels;

/// <summary>Loss formulas that need their own stable form, and the gather/scatter pair of the negative log-likelihood.</summary>
internal static class Losses
{
    /// <summary><c>loss = max(x, 0) - x·t + log(1 + e^-|x|)</c>, the stable form of <c>-[t log σ(x) + (1-t) log(1-σ(x))]</c>.</summary>
    public static void BinaryCrossEntropyWithLogits<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, Span<T> loss) where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            double v = double.CreateTruncating(x[i]);
            loss[i] = T.CreateTruncating(Math.Max(v, 0) - v * double.CreateTruncating(t[i]) + SpecialFunctions.Log1p(Math.Exp(-Math.Abs(v))));
        }
    }

    /// <summary><c>loss[n] = -w[t[n]]·x[n, t[n]]</c> for <c>x [N, C]</c>: gathers each row's target entry, scaled by its
    /// class weight (<paramref name="weight"/> empty: all 1); 0 for a row whose target is <paramref name="ignoreIndex"/>.</summary>
    public static void NllLoss<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> targets, int c, int ignoreIndex, ReadOnlySpan<double> weight, Span<T> loss)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < targets.Length; n++)
        {
            int t = targets[n];
            loss[n] = t == ignoreIndex ? T.Zero
                : weight.IsEmpty ? -x[n * c + t]
                : -(T.CreateTruncating(weight[t]) * x[n * c + t]);
        }
    }

    /// <summary><c>dx[n, t[n]] = -w[t[n]]·g[n]</c> and 0 elsewhere, for <c>dx [N, C]</c>: the adjoint of <see cref="NllLoss{T}"/>,
    /// scattering each row's gradient back to its target entry; a row whose target is <paramref name="ignoreIndex"/> stays 0.</summary>
    public static void NllLossBackward<T>(ReadOnlySpan<T> g, ReadOnlySpan<int> targets, int c, int ignoreIndex, ReadOnlySpan<double> weight, Span<T> dx)
        where T : struct, IFloatingPointIeee754<T>
    {
        dx.Clear();
        for (int n = 0; n < targets.Length; n++)
        {
            int t = targets[n];
            if (t == ignoreIndex) continue;
            dx[n * c + t] = weight.IsEmpty ? -g[n] : -(T.CreateTruncating(weight[t]) * g[n]);
        }
    }

    /// <summary>The elements summed in float lanes before a partial sum joins the double total of <see cref="SquaredErrorSum{T}"/>.</summary>
    private const int SquaredErrorBlock = 4096;

    /// <summary><c>Σ (x[i] - y[i])²</c>, vectorized: each block of 4096 elements summed in vector lanes
    /// (<see cref="RowVectors.Sum{T, TMap}"/>), the block sums added in double, in order. The blocks start at fixed indices,
    /// so the result depends on the values alone (not on the address, nor on how the blocks might be split across threads),
    /// and a float32 sum of a million squares keeps close to float64 accuracy.</summary>
    public static double SquaredErrorSum<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : struct, IFloatingPointIeee754<T> =>
        BlockSum(x, y, default(SquaredDifference<T>));

    /// <summary><c>Σ x[i]²</c>, in the same fixed blocks as <see cref="SquaredErrorSum{T}"/> (a gradient's squared norm).</summary>
    public static double SquareSum<T>(ReadOnlySpan<T> x) where T : struct, IFloatingPointIeee754<T> =>
        BlockSum(x, x, default(Product<T>));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double BlockSum<T, TMap>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, TMap f) where T : struct, IFloatingPointIeee754<T>
        where TMap : struct, IRowMap<T>
    {
        double total = 0;
        for (int i = 0; i < x.Length; i += SquaredErrorBlock)
        {
            int n = Math.Min(SquaredErrorBlock, x.Length - i);
            total += double.CreateTruncating(Sum(x.Slice(i, n), y.Slice(i, n), f));
        }
        return total;
    }

    /// <summary><c>destination[i] = k·(x[i] - y[i])</c>: the squared error's gradient, one pass.</summary>
    public static void ScaledDifference<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, T k, Span<T> destination) where T : struct =>
        Map(x, y, destination, new ScaledDifferenceMap<T>(k));

    /// <summary><c>(a - b)²</c>.</summary>
    private readonly struct SquaredDifference<T> : IRowMap<T> where T : struct
    {
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => (a - b) * (a - b);
    }

    /// <summary><c>k·(a - b)</c>.</summary>
    private readonly struct ScaledDifferenceMap<T>(T k) : IRowMap<T> where T : struct
    {
        private readonly Vector256<T> _k = Vector256.Create(k);
        public static bool Binary => true;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => _k * (a - b);
    }
}
