using System.Numerics;

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

    /// <summary><c>loss[n] = -x[n, t[n]]</c> for <c>x [N, C]</c>: gathers each row's target entry.</summary>
    public static void NllLoss<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> targets, int c, Span<T> loss) where T : struct, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < targets.Length; n++) loss[n] = -x[n * c + targets[n]];
    }

    /// <summary><c>dx[n, t[n]] = -g[n]</c> and 0 elsewhere, for <c>dx [N, C]</c>: the adjoint of <see cref="NllLoss{T}"/>,
    /// scattering each row's gradient back to its target entry.</summary>
    public static void NllLossBackward<T>(ReadOnlySpan<T> g, ReadOnlySpan<int> targets, int c, Span<T> dx) where T : struct, IFloatingPointIeee754<T>
    {
        dx.Clear();
        for (int n = 0; n < targets.Length; n++) dx[n * c + targets[n]] = -g[n];
    }
}
