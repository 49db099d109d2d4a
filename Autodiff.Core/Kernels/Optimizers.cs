using System.Numerics;

namespace Autodiff.Kernels;

/// <summary>In-place parameter updates of the optimizers, one loop each; the formulas are PyTorch's.</summary>
internal static class Optimizers
{
    /// <summary>One Adam step: <c>g = ∇ + λθ</c>, <c>m = β₁m + (1-β₁)g</c>, <c>v = β₂v + (1-β₂)g²</c>,
    /// <c>θ -= lr · (m/c₁) / (√(v/c₂) + ε)</c> with the bias corrections <c>cᵢ = 1 - βᵢᵗ</c>.</summary>
    public static void Adam<T>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> m, Span<T> v,
        double lr, double beta1, double beta2, double eps, double weightDecay, double correction1, double correction2)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < theta.Length; i++)
        {
            double p = double.CreateTruncating(theta[i]);
            double g = double.CreateTruncating(grad[i]) + weightDecay * p;
            double mi = beta1 * double.CreateTruncating(m[i]) + (1 - beta1) * g;
            double vi = beta2 * double.CreateTruncating(v[i]) + (1 - beta2) * g * g;
            m[i] = T.CreateTruncating(mi);
            v[i] = T.CreateTruncating(vi);
            theta[i] = T.CreateTruncating(p - lr * (mi / correction1) / (Math.Sqrt(vi / correction2) + eps));
        }
    }

    /// <summary>One RMSprop step (see <c>Autodiff.Optim.RMSprop</c>): <c>g = ∇ + λθ</c>, <c>v = αv + (1-α)g²</c>,
    /// optionally centered by <c>ḡ = αḡ + (1-α)g</c>, then <c>θ -= lr·g/(√(v - ḡ²) + ε)</c> or through the momentum buffer.</summary>
    public static void RmsProp<T>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> v, Span<T> mean, Span<T> buffer,
        double lr, double alpha, double eps, double weightDecay, double momentum)
        where T : struct, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < theta.Length; i++)
        {
            double p = double.CreateTruncating(theta[i]);
            double g = double.CreateTruncating(grad[i]) + weightDecay * p;
            double vi = alpha * double.CreateTruncating(v[i]) + (1 - alpha) * g * g;
            v[i] = T.CreateTruncating(vi);
            double variance = vi;
            if (!mean.IsEmpty)
            {
                double gi = alpha * double.CreateTruncating(mean[i]) + (1 - alpha) * g;
                mean[i] = T.CreateTruncating(gi);
                variance = vi - gi * gi;
            }
            double scaled = g / (Math.Sqrt(variance) + eps);
            if (!buffer.IsEmpty)
            {
                scaled = momentum * double.CreateTruncating(buffer[i]) + scaled;
                buffer[i] = T.CreateTruncating(scaled);
            }
            theta[i] = T.CreateTruncating(p - lr * scaled);
        }
    }
}
