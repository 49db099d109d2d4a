using System.Numerics;
using System.Runtime.InteropServices;

namespace Autodiff.Optim;

/// <summary>In-place parameter updates of the optimizers, one loop each; the formulas are PyTorch's. The tensor-level
/// steps pick the float32 or float64 instantiation and hand the span kernels the buffers; nothing here is recorded.</summary>
internal static class OptimizerKernels
{
    /// <summary>One Adam step on <paramref name="theta"/> with state <paramref name="m"/>, <paramref name="v"/> and, for
    /// AMSGrad, <paramref name="vMax"/> (same shape and dtype; null without AMSGrad).</summary>
    public static void AdamStep(Tensor theta, Tensor grad, Tensor m, Tensor v, Tensor? vMax,
        double lr, double beta1, double beta2, double eps, double weightDecay, double correction1, double correction2)
    {
        if (theta.DType == DType.Float32)
            Adam<float>(theta.F32, grad.F32, m.F32, v.F32, lr, beta1, beta2, eps, weightDecay, correction1, correction2, vMax is null ? default : vMax.F32);
        else
            Adam<double>(theta.F64, grad.F64, m.F64, v.F64, lr, beta1, beta2, eps, weightDecay, correction1, correction2, vMax is null ? default : vMax.F64);
    }

    /// <summary>One RMSprop step; <paramref name="mean"/> (centered) and <paramref name="buffer"/> (momentum) may be null.</summary>
    public static void RmsPropStep(Tensor theta, Tensor grad, Tensor v, Tensor? mean, Tensor? buffer,
        double lr, double alpha, double eps, double weightDecay, double momentum)
    {
        if (theta.DType == DType.Float32)
            RmsProp<float>(theta.F32, grad.F32, v.F32, mean is null ? default : mean.F32, buffer is null ? default : buffer.F32,
                lr, alpha, eps, weightDecay, momentum);
        else
            RmsProp<double>(theta.F64, grad.F64, v.F64, mean is null ? default : mean.F64, buffer is null ? default : buffer.F64,
                lr, alpha, eps, weightDecay, momentum);
    }

    /// <summary>One Adam step: <c>g = ∇ + λθ</c>, <c>m = β₁m + (1-β₁)g</c>, <c>v = β₂v + (1-β₂)g²</c>,
    /// <c>θ -= lr · (m/c₁) / (√(v/c₂) + ε)</c> with the bias corrections <c>cᵢ = 1 - βᵢᵗ</c>; with AMSGrad (a non-empty
    /// <paramref name="vMax"/>) <c>v_max = max(v_max, v)</c> replaces <c>v</c> in the denominator.</summary>
    public static void Adam<T>(Span<T> theta, ReadOnlySpan<T> grad, Span<T> m, Span<T> v,
        double lr, double beta1, double beta2, double eps, double weightDecay, double correction1, double correction2, Span<T> vMax = default)
        where T : struct, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            AdamFloat(MemoryMarshal.Cast<T, float>(theta), MemoryMarshal.Cast<T, float>(grad), MemoryMarshal.Cast<T, float>(m),
                MemoryMarshal.Cast<T, float>(v), MemoryMarshal.Cast<T, float>(vMax), lr, beta1, beta2, eps, weightDecay, correction1, correction2);
            return;
        }
        bool amsgrad = !vMax.IsEmpty;
        for (int i = 0; i < theta.Length; i++)
        {
            double p = double.CreateTruncating(theta[i]);
            double g = double.CreateTruncating(grad[i]) + weightDecay * p;
            double mi = beta1 * double.CreateTruncating(m[i]) + (1 - beta1) * g;
            double vi = beta2 * double.CreateTruncating(v[i]) + (1 - beta2) * g * g;
            m[i] = T.CreateTruncating(mi);
            v[i] = T.CreateTruncating(vi);
            if (amsgrad) vMax[i] = T.CreateTruncating(vi = Math.Max(double.CreateTruncating(vMax[i]), vi));
            theta[i] = T.CreateTruncating(p - lr * (mi / correction1) / (Math.Sqrt(vi / correction2) + eps));
        }
    }

    /// <summary>Adam on float32 in float32 arithmetic, as PyTorch computes it for float32 parameters, SIMD across elements:
    /// <c>θ -= (lr/c₁) · m / (√v / √c₂ + ε)</c>. The tail runs the same float operations in the same order (no fused
    /// multiply-add anywhere), so an element's result does not depend on where it lies in the buffer.</summary>
    private static void AdamFloat(Span<float> theta, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> vMax,
        double lr, double beta1, double beta2, double eps, double weightDecay, double correction1, double correction2)
    {
        bool amsgrad = !vMax.IsEmpty;
        float b1 = (float)beta1, c1 = (float)(1 - beta1), b2 = (float)beta2, c2 = (float)(1 - beta2);
        float step = (float)(lr / correction1), invRoot = (float)(1 / Math.Sqrt(correction2)), e = (float)eps, wd = (float)weightDecay;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var (vb1, vc1, vb2, vc2) = (new Vector<float>(b1), new Vector<float>(c1), new Vector<float>(b2), new Vector<float>(c2));
            var (vStep, vInvRoot, vE, vWd) = (new Vector<float>(step), new Vector<float>(invRoot), new Vector<float>(e), new Vector<float>(wd));
            for (; i + Vector<float>.Count <= theta.Length; i += Vector<float>.Count)
            {
                var p = new Vector<float>(theta.Slice(i));
                var g = new Vector<float>(grad.Slice(i)) + vWd * p;                     // g = ∇ + λθ
                var mi = vb1 * new Vector<float>(m.Slice(i)) + vc1 * g;                 // m = β₁m + (1-β₁)g
                var vi = vb2 * new Vector<float>(v.Slice(i)) + vc2 * (g * g);           // v = β₂v + (1-β₂)g²
                mi.CopyTo(m.Slice(i));
                vi.CopyTo(v.Slice(i));
                if (amsgrad) (vi = Vector.Max(new Vector<float>(vMax.Slice(i)), vi)).CopyTo(vMax.Slice(i));   // v_max = max(v_max, v)
                (p - vStep * mi / (Vector.SquareRoot(vi) * vInvRoot + vE)).CopyTo(theta.Slice(i));
            }
        }
        for (; i < theta.Length; i++)
        {
            float p = theta[i];
            float g = grad[i] + wd * p;
            float mi = b1 * m[i] + c1 * g;
            float vi = b2 * v[i] + c2 * (g * g);
            (m[i], v[i]) = (mi, vi);
            if (amsgrad) vMax[i] = vi = MathF.Max(vMax[i], vi);
            theta[i] = p - step * mi / (MathF.Sqrt(vi) * invRoot + e);
        }
    }

    /// <summary>One RMSprop step (see <see cref="RMSprop"/>): <c>g = ∇ + λθ</c>, <c>v = αv + (1-α)g²</c>,
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
