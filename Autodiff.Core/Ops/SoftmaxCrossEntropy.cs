using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The notes' Softmax-with-loss layer: the cross-entropy of each row of <paramref name="logits"/> against its
    /// class index, fused with the softmax. Returns one loss per row, shape [N]; reduce it with Mean or Sum.
    /// Same as <c>torch.nn.functional.cross_entropy(logits, targets, reduction='none')</c>.</summary>
    /// <remarks>Forward <c>loss[n] = logsumexp(x[n]) - x[n, t[n]]</c>, computed stably. Backward
    /// <c>dx[n] += g[n] · (softmax(x[n]) - onehot(t[n]))</c>: the fused layer sends back "prediction minus target",
    /// so with a mean reduction <c>dx = (y - t) / N</c>. Only the softmax is saved. A target equal to -100 gives loss 0 and
    /// no gradient, as PyTorch's default <c>ignore_index</c>.</remarks>
    /// <param name="logits">Unnormalized scores, shape [N, C].</param>
    /// <param name="targets">The class of each row, N values in <c>[0, C)</c>.</param>
    /// <exception cref="ArgumentException">Logits are not 2-D, the target count is not N, or a target is outside [0, C).</exception>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, int[] targets) => SoftmaxCrossEntropy(logits, targets, null);

    /// <summary>The cross-entropy of each row of <paramref name="logits"/> against its class index, with class weights, an
    /// ignored index and label smoothing, fused with the softmax; one loss per row, shape [N]. Same as
    /// <c>torch.nn.functional.cross_entropy(logits, targets, weight=w, ignore_index=i, reduction='none', label_smoothing=ε)</c>.</summary>
    /// <remarks>Forward, PyTorch's formula with <c>log p = log_softmax(x[n])</c> and <c>t = t[n]</c>:
    /// <c>loss[n] = (1 - ε)·w[t]·(-log p[t]) + (ε/C)·Σ_c w[c]·(-log p[c])</c> (w = 1 without weights), and 0 where
    /// <c>t[n] = ignoreIndex</c>. That is <c>-Σ_c q[c]·log p[c]</c> for the target row <c>q = (1 - ε)·w[t]·onehot(t) + (ε/C)·w</c>,
    /// so the backward is <c>dx[n] += g[n]·(s·softmax(x[n]) - q)</c> with <c>s = Σ q</c>; ignored rows get exact zeros.
    /// The weights are constants (read once, not differentiated, as PyTorch's nll_loss). A mean over these losses divides
    /// by <c>Σ w[t[n]]</c> over the rows not ignored, for both terms: <c>Functional.CrossEntropy</c> does that.</remarks>
    /// <param name="logits">Unnormalized scores, shape [N, C].</param>
    /// <param name="targets">The class of each row, N values in <c>[0, C)</c> or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="weight">A weight per class, shape [C] (any float dtype), or null for all 1.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 (default -100, as PyTorch).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target mixes <c>(1 - ε)·onehot(t)</c> with the uniform <c>ε/C</c>.</param>
    /// <exception cref="ArgumentException">Logits are not 2-D, the target count is not N, a target is outside [0, C) and not
    /// <paramref name="ignoreIndex"/>, the weight is not of shape [C] or requires grad, or labelSmoothing is outside [0, 1].</exception>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, int[] targets, Tensor? weight, int ignoreIndex = -100, double labelSmoothing = 0.0)
    {
        const string op = "SoftmaxCrossEntropy";
        var classTargets = CheckClassTargets(op, logits, targets, nameof(logits), weight, ignoreIndex, labelSmoothing);
        int n = classTargets.Indices.Length;

        var probabilities = Compute.Empty(logits.Shape, logits.DType);                  // softmax(x), saved for the backward
        var losses = Compute.Empty(new Shape(n), logits.DType);
        Compute.Run(logits.DType, new CrossEntropyKernel(logits, classTargets, probabilities, losses));   // loss = logsumexp(x) - x[t]

        return Tape.Record(op, losses, [logits], classTargets.IsOneHot ? "dx += g·(softmax(x) - onehot(t))" : "dx += g·(Σq·softmax(x) - q)",
            [(g, e) => SoftmaxCrossEntropyBackward(g, e.Inputs[0], probabilities, classTargets)]);
    }

    /// <summary>The backward of SoftmaxCrossEntropy as an op: <c>dx[n] = dy[n] · (s[n]·p[n] - q[n])</c> for the loss
    /// gradient <paramref name="dy"/> [N], with <c>p = softmax(logits)</c> (the forward's saved <paramref name="probabilities"/>)
    /// and the target row <c>q[n]</c> (<c>onehot(t[n])</c> without weights or smoothing), <c>s[n] = Σ q[n]</c>.</summary>
    /// <remarks>Its own derivative, against the gradient g [N, C] of dx: <c>d(dy)[n] = s[n]·Σ g[n]·p[n] - Σ g[n]·q[n]</c> and
    /// <c>d(logits)[n] = dy[n]·s[n] · p[n] ⊙ (g[n] - Σ g[n]·p[n])</c> (the softmax's Jacobian), with p recomputed by ops so
    /// that it carries the logits' graph to the next order.</remarks>
    private static Tensor SoftmaxCrossEntropyBackward(Tensor dy, Tensor logits, Tensor probabilities, ClassTargets targets)
    {
        var dx = Compute.Empty(logits.Shape, logits.DType);
        Compute.Run(logits.DType, new CrossEntropyBackwardKernel(probabilities, targets, dy, dx));  // dx = dy·(s·p - q)

        return Tape.Record("SoftmaxCrossEntropyBackward", dx, [dy, logits],
            targets.IsOneHot ? "d(dy) += Σ g·p - g[t], dx += dy·p⊙(g - Σ g·p)" : "d(dy) += Σq·Σ g·p - Σ g·q, dx += dy·Σq·p⊙(g - Σ g·p)",
            [(g, e) =>
             {
                 var (q, s) = CrossEntropyTargets(targets, e.Inputs[1].DType);
                 return s * Sum(g * Softmax(e.Inputs[1], 1), 1) - Sum(g * q, 1);
             },
             (g, e) =>
             {
                 var (_, s) = CrossEntropyTargets(targets, e.Inputs[1].DType);
                 var p = Softmax(e.Inputs[1], 1);
                 return Unsqueeze(e.Inputs[0] * s, 1) * p * (g - Sum(g * p, 1, keepDim: true));
             }]);
    }

    /// <summary>The constant target rows q [N, C] and their sums s [N] of a cross-entropy (zero in ignored rows), for the
    /// second-order rules.</summary>
    private static (Tensor Q, Tensor S) CrossEntropyTargets(ClassTargets targets, DType dtype)
    {
        var q = Compute.Empty(new Shape(targets.Indices.Length, targets.Classes), dtype);
        var s = Compute.Empty(new Shape(targets.Indices.Length), dtype);
        Compute.Run(dtype, new CrossEntropyTargetsKernel(targets, q, s));
        return (q, s);
    }

    /// <summary>Row-wise <c>p = softmax(x)</c> and <c>loss = -Σ q·log p</c> for logits [N, C].</summary>
    private readonly struct CrossEntropyKernel(Tensor logits, ClassTargets targets, Tensor probabilities, Tensor losses) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Kernels.CrossEntropy.Forward<T>(logits.Data<T>(), targets.Indices, targets.Classes, targets.IgnoreIndex, targets.Weight,
                targets.Smoothing, 0, targets.Indices.Length, probabilities.Data<T>(), losses.Data<T>());
    }

    /// <summary><c>dx[n] = dy[n] · (s·p[n] - q[n])</c> for probabilities [N, C].</summary>
    private readonly struct CrossEntropyBackwardKernel(Tensor probabilities, ClassTargets targets, Tensor dy, Tensor dx) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Kernels.CrossEntropy.Backward<T>(probabilities.Data<T>(), targets.Indices, targets.Classes, targets.IgnoreIndex,
                targets.Weight, targets.Smoothing, dy.Data<T>(), 0, targets.Indices.Length, dx.Data<T>());
    }

    /// <summary>The dense target rows q [N, C] and s = Σ q [N].</summary>
    private readonly struct CrossEntropyTargetsKernel(ClassTargets targets, Tensor q, Tensor s) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Kernels.CrossEntropy.Targets<T>(targets.Indices, targets.Classes, targets.IgnoreIndex, targets.Weight, targets.Smoothing,
                q.Data<T>(), s.Data<T>());
    }
}
