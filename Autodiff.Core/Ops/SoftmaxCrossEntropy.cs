using System.Numerics;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The notes' Softmax-with-loss layer: the cross-entropy of each row of <paramref name="logits"/> against its
    /// class index, fused with the softmax. Returns one loss per row, shape [N]; reduce it with Mean or Sum.
    /// Same as <c>torch.nn.functional.cross_entropy(logits, targets, reduction='none')</c>.</summary>
    /// <remarks>Forward <c>loss[n] = logsumexp(x[n]) - x[n, t[n]]</c>, computed stably. Backward
    /// <c>dx[n] += g[n] · (softmax(x[n]) - onehot(t[n]))</c>: the fused layer sends back "prediction minus target",
    /// so with a mean reduction <c>dx = (y - t) / N</c>. Only the softmax is saved.</remarks>
    /// <param name="logits">Unnormalized scores, shape [N, C].</param>
    /// <param name="targets">The class of each row, N values in <c>[0, C)</c>.</param>
    /// <exception cref="ArgumentException">Logits are not 2-D, the target count is not N, or a target is outside [0, C).</exception>
    public static Tensor SoftmaxCrossEntropy(Tensor logits, int[] targets)
    {
        const string op = "SoftmaxCrossEntropy";
        var (n, _) = CheckClassTargets(op, logits, targets, nameof(logits));
        var saved = (int[])targets.Clone();

        var probabilities = Compute.Empty(logits.Shape, logits.DType);                  // softmax(x), saved for the backward
        var losses = Compute.Empty(new Shape(n), logits.DType);
        Compute.Run(logits.DType, new CrossEntropyKernel(logits, saved, probabilities, losses));   // loss = logsumexp(x) - x[t]

        return Tape.Record(op, losses, [logits], "dx += g·(softmax(x) - onehot(t))",
            [(g, e) => SoftmaxCrossEntropyBackward(g, e.Inputs[0], probabilities, saved)]);
    }

    /// <summary>The backward of SoftmaxCrossEntropy as an op: <c>dx[n] = dy[n] · (p[n] - onehot(t[n]))</c> for the loss
    /// gradient <paramref name="dy"/> [N], with <c>p = softmax(logits)</c> (the forward's saved <paramref name="probabilities"/>).</summary>
    /// <remarks>Its own derivative, against the gradient g [N, C] of dx: <c>d(dy)[n] = Σ g[n]·p[n] - g[n, t[n]]</c> and
    /// <c>d(logits)[n] = dy[n] · p[n] ⊙ (g[n] - Σ g[n]·p[n])</c> (the softmax's Jacobian), with p recomputed by ops so
    /// that it carries the logits' graph to the next order.</remarks>
    internal static Tensor SoftmaxCrossEntropyBackward(Tensor dy, Tensor logits, Tensor probabilities, int[] targets)
    {
        var dx = Compute.Empty(logits.Shape, logits.DType);
        Compute.Run(logits.DType, new CrossEntropyBackwardKernel(probabilities, targets, dy, dx));  // dx = dy·(p - onehot(t))

        return Tape.Record("SoftmaxCrossEntropyBackward", dx, [dy, logits], "d(dy) += Σ g·p - g[t], dx += dy·p⊙(g - Σ g·p)",
            [(g, e) => Sum(g * Softmax(e.Inputs[1], 1), 1) + NllLossGather(g, targets),
             static (g, e) =>
             {
                 var p = Softmax(e.Inputs[1], 1);
                 return Unsqueeze(e.Inputs[0], 1) * p * (g - Sum(g * p, 1, keepDim: true));
             }]);
    }

    /// <summary>Row-wise <c>p = softmax(x)</c> and <c>loss = logsumexp(x) - x[t]</c> for logits [N, C].</summary>
    private readonly struct CrossEntropyKernel(Tensor logits, int[] targets, Tensor probabilities, Tensor losses) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Kernels.Softmax.CrossEntropy<T>(logits.Data<T>(), targets, targets.Length, logits.Shape[1], probabilities.Data<T>(), losses.Data<T>());
    }

    /// <summary><c>dx[n] = dy[n] · (p[n] - onehot(t[n]))</c> for probabilities [N, C].</summary>
    private readonly struct CrossEntropyBackwardKernel(Tensor probabilities, int[] targets, Tensor dy, Tensor dx) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Kernels.Softmax.CrossEntropyBackward<T>(probabilities.Data<T>(), targets, targets.Length, probabilities.Shape[1], dy.Data<T>(), dx.Data<T>());
    }
}
