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
        var (n, c) = CheckClassTargets(op, logits, targets, nameof(logits));
        var saved = (int[])targets.Clone();

        var probabilities = Compute.Empty(logits.Shape, logits.DType);
        var losses = Compute.Empty(new Shape(n), logits.DType);
        if (logits.DType == DType.Float32)                                               // loss = logsumexp(x) - x[t]
            Kernels.Softmax.CrossEntropy<float>(logits.F32, saved, n, c, probabilities.F32, losses.F32);
        else
            Kernels.Softmax.CrossEntropy<double>(logits.F64, saved, n, c, probabilities.F64, losses.F64);

        return Tape.Record(op, losses, [logits], "dx += g·(softmax(x) - onehot(t))", dy =>
        {
            var dx = logits.GradBuffer();                                                // dx += g · (p - onehot(t))
            if (logits.DType == DType.Float32)
                Kernels.Softmax.CrossEntropyBackward<float>(probabilities.F32, saved, n, c, dy.F32, dx.F32);
            else
                Kernels.Softmax.CrossEntropyBackward<double>(probabilities.F64, saved, n, c, dy.F64, dx.F64);
        },
        dy => [Unsqueeze(dy, 1) * (Softmax(logits, 1) - OneHot(saved, c, logits.DType))]);
    }
}
