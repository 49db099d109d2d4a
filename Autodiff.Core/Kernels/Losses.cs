using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>Element-wise loss formulas that need their own stable form.</summary>
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
}
