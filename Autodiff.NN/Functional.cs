namespace Autodiff.NN;

/// <summary>Stateless neural-network functions built from <see cref="Ops"/>. Same idea as <c>torch.nn.functional</c>.</summary>
public static partial class Functional
{
    /// <summary>The affine map <c>y = x Wᵀ + b</c>: the notes' Affine layer. Same as <c>torch.nn.functional.linear</c>.</summary>
    /// <param name="input">Input of shape [..., inFeatures].</param>
    /// <param name="weight">Weight of shape [outFeatures, inFeatures].</param>
    /// <param name="bias">Bias of shape [outFeatures], or null.</param>
    /// <returns>Output of shape [..., outFeatures].</returns>
    /// <exception cref="ArgumentException">The input's last dimension is not the weight's inFeatures, or the weight is not 2-D.</exception>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) => Ops.Linear(input, weight, bias);

    /// <summary>Mean cross-entropy of logits against class indices: the notes' fused softmax-with-loss.
    /// Same as <c>torch.nn.functional.cross_entropy(logits, targets)</c>.</summary>
    /// <remarks>Forward <c>L = (1/N) Σₙ (logsumexp(x[n]) - x[n, t[n]])</c>. Backward <c>dx = (softmax(x) - onehot(t)) / N</c>,
    /// through <see cref="Ops.SoftmaxCrossEntropy(Tensor, int[])"/> and the mean. For a sequence model's logits [B, T, V] and targets
    /// [B, T], flatten both, as PyTorch code does: <c>CrossEntropy(logits.Reshape(-1, V), targets)</c> with the targets
    /// as B*T row-major entries. PyTorch's [N, C, d1, ...] form (classes in dim 1) is not accepted: with flat <c>int[]</c>
    /// targets it could not be told apart from [B, T, V] when C equals V, so any rank but 2 fails, naming the reshape.</remarks>
    /// <param name="logits">Unnormalized scores, shape [N, C].</param>
    /// <param name="targets">The class of each row, N values in <c>[0, C)</c>.</param>
    /// <returns>A scalar tensor.</returns>
    /// <exception cref="ArgumentException">Logits are not 2-D (the message gives the reshape to [B*T, V]), the target
    /// count is not N, or a target is outside [0, C).</exception>
    /// <example><code>var loss = Functional.CrossEntropy(model.Forward(x), labels); loss.Backward();</code></example>
    public static Tensor CrossEntropy(Tensor logits, int[] targets) => CrossEntropy(logits, targets, Reduction.Mean);

    /// <summary>Cross-entropy with a chosen reduction (per-sample losses [N] for <see cref="Reduction.None"/>), and PyTorch's
    /// class <paramref name="weight"/>, <paramref name="ignoreIndex"/> and <paramref name="labelSmoothing"/>. Same as
    /// <c>torch.nn.functional.cross_entropy(logits, targets, weight, ignore_index=-100, reduction='mean', label_smoothing=0.0)</c>.</summary>
    /// <remarks>Per row, with <c>log p = log_softmax(x[n])</c>, <c>t = t[n]</c> and w = 1 without weights:
    /// <c>loss[n] = (1 - ε)·w[t]·(-log p[t]) + (ε/C)·Σ_c w[c]·(-log p[c])</c>, and 0 (with no gradient) where <c>t[n] = ignoreIndex</c>.
    /// <see cref="Reduction.Mean"/> divides the sum by <c>Σ w[t[n]]</c> over the rows not ignored (the count of those rows
    /// without weights), as PyTorch does for both terms; when every row is ignored that is 0/0, NaN, with a zero gradient.
    /// The weights are constants (not differentiated, as PyTorch's nll_loss). Backward through
    /// <see cref="Ops.SoftmaxCrossEntropy(Tensor, int[], Tensor?, int, double)"/>: <c>dx[n] = g[n]·(Σq·softmax(x[n]) - q)</c>
    /// for the smoothed, weighted target row <c>q = (1 - ε)·w[t]·onehot(t) + (ε/C)·w</c>.</remarks>
    /// <param name="logits">Unnormalized scores, shape [N, C].</param>
    /// <param name="targets">The class of each row, N values in <c>[0, C)</c> or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="reduction">Mean (default), Sum or None (per-sample [N]).</param>
    /// <param name="weight">A weight per class, shape [C], or null for all 1.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 and are left out of the mean (default -100, as PyTorch).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target mixes <c>(1 - ε)·onehot(t)</c> with the uniform <c>ε/C</c>.</param>
    /// <returns>A scalar tensor, or the losses [N] for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentException">Logits are not 2-D (the message gives the reshape to [B*T, V]), the target
    /// count is not N, a target is outside [0, C) and not <paramref name="ignoreIndex"/>, the weight is not of shape [C]
    /// or requires grad, or labelSmoothing is outside [0, 1].</exception>
    /// <example><code>var loss = Functional.CrossEntropy(logits, tokens, ignoreIndex: padId, labelSmoothing: 0.1);</code></example>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, Reduction reduction = Reduction.Mean, Tensor? weight = null,
        int ignoreIndex = -100, double labelSmoothing = 0.0)
    {
        Check.NotNull("CrossEntropy", logits, nameof(logits));
        Check.NotNullArg("CrossEntropy", targets, nameof(targets));
        Check.ClassScores("CrossEntropy", logits, targets, "logits", nameof(logits));
        var losses = Ops.SoftmaxCrossEntropy(logits, targets, weight, ignoreIndex, labelSmoothing);
        return ReduceClassLosses("CrossEntropy", losses, targets, weight, ignoreIndex, reduction);
    }

    /// <summary>Cross-entropy against class indices held in an Int64 tensor [N], as PyTorch's LongTensor targets; the same
    /// as the <c>int[]</c> overload otherwise.</summary>
    /// <param name="logits">Unnormalized scores, shape [N, C].</param>
    /// <param name="targets">An Int64 tensor of N class indices.</param>
    /// <param name="reduction">Mean (default), Sum or None (per-sample [N]).</param>
    /// <param name="weight">A weight per class, shape [C], or null for all 1.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 and are left out of the mean.</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <returns>A scalar tensor, or the losses [N] for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentException">The targets are not a 1-D Int64 tensor, or as the <c>int[]</c> overload.</exception>
    /// <example><code>var loss = Functional.CrossEntropy(logits, Tensor.FromArray(new long[] { 3, 0, 7 }));</code></example>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean, Tensor? weight = null,
        int ignoreIndex = -100, double labelSmoothing = 0.0) =>
        CrossEntropy(logits, Check.ClassIndices("CrossEntropy", targets, nameof(targets)), reduction, weight, ignoreIndex, labelSmoothing);

    /// <summary>Negative log-likelihood of log-probabilities [N, C] against class indices, with PyTorch's class
    /// <paramref name="weight"/> and <paramref name="ignoreIndex"/>. Same as <c>torch.nn.functional.nll_loss</c>.</summary>
    /// <remarks>Forward <c>L = reduce(-w[t[n]]·x[n, t[n]])</c> (w = 1 without weights), 0 where <c>t[n] = ignoreIndex</c>;
    /// backward <c>dx[n, t[n]] = -w[t[n]]·g[n]</c>. <see cref="Reduction.Mean"/> divides the sum by <c>Σ w[t[n]]</c> over
    /// the rows not ignored, as PyTorch (NaN with a zero gradient when every row is ignored). With <see cref="Ops.LogSoftmax"/>,
    /// equals CrossEntropy. As for CrossEntropy, input [B, T, V] is reshaped to [B*T, V] by the caller.</remarks>
    /// <param name="logProbabilities">Log-probabilities, shape [N, C].</param>
    /// <param name="targets">The class of each row, N values in <c>[0, C)</c> or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="reduction">Mean (default), Sum or None (per-sample [N]).</param>
    /// <param name="weight">A weight per class, shape [C], or null for all 1.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 and are left out of the mean (default -100, as PyTorch).</param>
    /// <exception cref="ArgumentException">The input is not 2-D (the message gives the reshape to [B*T, V]), the target
    /// count is not N, a target is outside [0, C) and not <paramref name="ignoreIndex"/>, or the weight is not of shape [C]
    /// or requires grad.</exception>
    public static Tensor NllLoss(Tensor logProbabilities, int[] targets, Reduction reduction = Reduction.Mean, Tensor? weight = null,
        int ignoreIndex = -100)
    {
        Check.NotNull("NllLoss", logProbabilities, nameof(logProbabilities));
        Check.NotNullArg("NllLoss", targets, nameof(targets));
        Check.ClassScores("NllLoss", logProbabilities, targets, "input", nameof(logProbabilities));
        var losses = Ops.NllLoss(logProbabilities, targets, weight, ignoreIndex);
        return ReduceClassLosses("NllLoss", losses, targets, weight, ignoreIndex, reduction);
    }

    /// <summary>Negative log-likelihood against class indices held in an Int64 tensor [N], as PyTorch's LongTensor targets;
    /// the same as the <c>int[]</c> overload otherwise.</summary>
    /// <param name="logProbabilities">Log-probabilities, shape [N, C].</param>
    /// <param name="targets">An Int64 tensor of N class indices.</param>
    /// <param name="reduction">Mean (default), Sum or None (per-sample [N]).</param>
    /// <param name="weight">A weight per class, shape [C], or null for all 1.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 and are left out of the mean.</param>
    /// <returns>A scalar tensor, or the losses [N] for <see cref="Reduction.None"/>.</returns>
    /// <exception cref="ArgumentException">The targets are not a 1-D Int64 tensor, or as the <c>int[]</c> overload.</exception>
    public static Tensor NllLoss(Tensor logProbabilities, Tensor targets, Reduction reduction = Reduction.Mean, Tensor? weight = null,
        int ignoreIndex = -100) =>
        NllLoss(logProbabilities, Check.ClassIndices("NllLoss", targets, nameof(targets)), reduction, weight, ignoreIndex);

    /// <summary>Reduces per-row class losses as PyTorch: the mean divides by <c>Σ w[t[n]]</c> over the rows whose target is
    /// not <paramref name="ignoreIndex"/> (their count without weights), so ignored rows and class weights leave it a
    /// weighted average; with no weights and nothing ignored that is the plain mean over N.</summary>
    private static Tensor ReduceClassLosses(string op, Tensor losses, int[] targets, Tensor? weight, int ignoreIndex, Reduction reduction)
    {
        if (reduction != Reduction.Mean || (weight is null && Array.IndexOf(targets, ignoreIndex) < 0)) return Reduce(op, losses, reduction);
        double[]? w = weight?.ToDoubleArray();
        double total = 0;                                          // Σ w[t[n]] over the rows not ignored
        foreach (int t in targets)
            if (t != ignoreIndex) total += w is null ? 1 : w[t];
        return Ops.Sum(losses) / total;                            // 0/0 = NaN when every row is ignored, as PyTorch
    }

    /// <summary>Mean squared error between two tensors of the same shape. Same as <c>torch.nn.functional.mse_loss</c>.</summary>
    /// <remarks>Forward <c>L = mean((input - target)²)</c>. Backward <c>d input = 2(input - target)/n</c>, <c>d target = -2(input - target)/n</c>.
    /// One fused op (<c>MseLoss</c> on the tape): a vectorized pass for the loss and one per gradient.</remarks>
    /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target) => MseLoss(input, target, Reduction.Mean);

    /// <summary>Squared error with a chosen reduction.</summary>
    /// <remarks>Mean and Sum are one fused op, <c>L = Σ (input - target)²</c> (divided by n for the mean) with backward
    /// <c>d input = c·g·(input - target)</c>, <c>c = 2/n</c> or 2; None is <c>Square(input - target)</c>, one loss per element.</remarks>
    /// <exception cref="ArgumentException">The shapes or dtypes differ, or the reduction is not Mean, Sum or None.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction)
    {
        Check.NotNull("MseLoss", input, nameof(input));
        Check.NotNull("MseLoss", target, nameof(target));
        Check.SameShape("MseLoss", input, target);
        return reduction switch
        {
            Reduction.Mean or Reduction.Sum => Ops.MseLoss(input, target, mean: reduction == Reduction.Mean),
            _ => Reduce("MseLoss", Ops.Square(Ops.Sub(input, target)), reduction),
        };
    }

    /// <summary>Mean absolute error. Same as <c>torch.nn.functional.l1_loss</c>.</summary>
    /// <remarks>Forward <c>L = reduce(|input - target|)</c>; backward <c>sign(input - target)·g</c>, 0 where they are equal (as PyTorch).</remarks>
    /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        Check.NotNull("L1Loss", input, nameof(input));
        Check.NotNull("L1Loss", target, nameof(target));
        Check.SameShape("L1Loss", input, target);
        return Reduce("L1Loss", Ops.Abs(Ops.Sub(input, target)), reduction);
    }

    /// <summary>Binary cross-entropy of logits against targets in [0, 1], fused with the sigmoid, with PyTorch's element
    /// <paramref name="weight"/> and positive-class <paramref name="posWeight"/>.
    /// Same as <c>torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, weight, reduction='mean', pos_weight)</c>.</summary>
    /// <remarks>Forward <c>L = reduce(max(x, 0) - x·t + log(1 + e^-|x|))</c>; backward <c>dx = (σ(x) - t)·g</c>. With
    /// <paramref name="posWeight"/> (pw), PyTorch's stable <c>l = (1 - t)·x + (1 + (pw - 1)·t)·(log(1 + e^-|x|) + max(-x, 0))</c>,
    /// i.e. <c>-[pw·t·log σ(x) + (1 - t)·log(1 - σ(x))]</c>, with <c>dx = g·((1 + (pw - 1)·t)·σ(x) - pw·t)</c>: here the plain
    /// loss plus <c>(pw - 1)·t·softplus(-x)</c>, built from ops (softplus(-x) as the fused loss of target 1, exact for any x).
    /// <paramref name="weight"/> then multiplies each element's loss. Mean is over all elements, whatever the weights, as
    /// PyTorch. Both weights broadcast to the targets' shape; unlike PyTorch they are differentiated when they require grad.</remarks>
    /// <param name="logits">Unnormalized scores x, any shape.</param>
    /// <param name="targets">Targets t in [0, 1], the shape and dtype of the logits.</param>
    /// <param name="reduction">Mean (default), Sum or None (per element).</param>
    /// <param name="weight">A rescaling weight per element, broadcast to the targets' shape, or null.</param>
    /// <param name="posWeight">The weight of positive examples, broadcast to the targets' shape (typically [C] for targets
    /// [N, C], one per class: <c>pw = negatives / positives</c> balances a rare class), or null for 1.</param>
    /// <exception cref="ArgumentException">The shapes or dtypes of logits and targets differ, or a weight does not broadcast
    /// to the targets' shape or has another dtype.</exception>
    /// <example><code>var loss = Functional.BCEWithLogitsLoss(logits, labels, posWeight: Tensor.FromArray(new[] { 3f, 1f }));</code></example>
    public static Tensor BCEWithLogitsLoss(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean, Tensor? weight = null,
        Tensor? posWeight = null)
    {
        if (targets is not null)
        {
            CheckBroadcastsTo("BCEWithLogitsLoss", weight, targets, nameof(weight));
            CheckBroadcastsTo("BCEWithLogitsLoss", posWeight, targets, nameof(posWeight));
        }
        var losses = Ops.BinaryCrossEntropyWithLogits(logits, targets!);                 // max(x, 0) - x·t + log(1 + e^-|x|)
        if (posWeight is not null)
        {
            var softplusOfMinusX = Ops.BinaryCrossEntropyWithLogits(logits, Tensor.OnesLike(logits));   // -log σ(x), stable
            losses = losses + (posWeight - 1.0) * targets! * softplusOfMinusX;         // + (pw - 1)·t·(-log σ(x))
        }
        if (weight is not null) losses = losses * weight;
        return Reduce("BCEWithLogitsLoss", losses, reduction);
    }

    /// <summary>Checks that an optional loss weight has the targets' dtype and broadcasts to exactly their shape (so it
    /// cannot grow the loss).</summary>
    private static void CheckBroadcastsTo(string op, Tensor? weight, Tensor targets, string paramName)
    {
        if (weight is null) return;
        if (weight.DType != targets.DType)
            Check.Fail(op, $"{paramName} is {weight.DType} {weight.Shape} but targets are {targets.DType} {targets.Shape}; convert it with To(DType).", paramName);
        if (Shape.TryBroadcast(targets.Shape, weight.Shape) != targets.Shape)
            Check.Fail(op, $"{paramName} {weight.Shape} must broadcast to the targets' shape {targets.Shape}.", paramName);
    }

    private static Tensor Reduce(string op, Tensor losses, Reduction reduction) => reduction switch
    {
        Reduction.Mean => Ops.Mean(losses),
        Reduction.Sum => Ops.Sum(losses),
        Reduction.None => losses,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), $"{op}: unknown reduction {reduction}; use Mean, Sum or None."),
    };
}
