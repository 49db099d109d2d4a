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
    /// through <see cref="Ops.SoftmaxCrossEntropy"/> and the mean. For a sequence model's logits [B, T, V] and targets
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

    /// <summary>Cross-entropy with a chosen reduction: per-sample losses [N] for <see cref="Reduction.None"/>.</summary>
    /// <exception cref="ArgumentException">Logits are not 2-D (the message gives the reshape to [B*T, V]), the target
    /// count is not N, or a target is outside [0, C).</exception>
    public static Tensor CrossEntropy(Tensor logits, int[] targets, Reduction reduction)
    {
        Check.NotNull("CrossEntropy", logits, nameof(logits));
        Check.NotNullArg("CrossEntropy", targets, nameof(targets));
        Check.ClassScores("CrossEntropy", logits, targets, "logits", nameof(logits));
        return Reduce("CrossEntropy", Ops.SoftmaxCrossEntropy(logits, targets), reduction);
    }

    /// <summary>Negative log-likelihood of log-probabilities [N, C] against class indices. Same as <c>torch.nn.functional.nll_loss</c>.</summary>
    /// <remarks>Forward <c>L = reduce(-x[n, t[n]])</c>; backward <c>dx[n, t[n]] = -g[n]</c>. With <see cref="Ops.LogSoftmax"/>, equals CrossEntropy.
    /// As for CrossEntropy, input [B, T, V] is reshaped to [B*T, V] by the caller.</remarks>
    /// <exception cref="ArgumentException">The input is not 2-D (the message gives the reshape to [B*T, V]), the target
    /// count is not N, or a target is outside [0, C).</exception>
    public static Tensor NllLoss(Tensor logProbabilities, int[] targets, Reduction reduction = Reduction.Mean)
    {
        Check.NotNull("NllLoss", logProbabilities, nameof(logProbabilities));
        Check.NotNullArg("NllLoss", targets, nameof(targets));
        Check.ClassScores("NllLoss", logProbabilities, targets, "input", nameof(logProbabilities));
        return Reduce("NllLoss", Ops.NllLoss(logProbabilities, targets), reduction);
    }

    /// <summary>Mean squared error between two tensors of the same shape. Same as <c>torch.nn.functional.mse_loss</c>.</summary>
    /// <remarks>Forward <c>L = mean((input - target)²)</c>. Backward <c>d input = 2(input - target)/n</c>, <c>d target = -2(input - target)/n</c>.</remarks>
    /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target) => MseLoss(input, target, Reduction.Mean);

    /// <summary>Squared error with a chosen reduction.</summary>
    /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction)
    {
        Check.NotNull("MseLoss", input, nameof(input));
        Check.NotNull("MseLoss", target, nameof(target));
        Check.SameShape("MseLoss", input, target);
        return Reduce("MseLoss", Ops.Pow(Ops.Sub(input, target), 2), reduction);
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

    /// <summary>Binary cross-entropy of logits against targets in [0, 1], fused with the sigmoid.
    /// Same as <c>torch.nn.functional.binary_cross_entropy_with_logits</c>.</summary>
    /// <remarks>Forward <c>L = reduce(max(x, 0) - x·t + log(1 + e^-|x|))</c>; backward <c>dx = (σ(x) - t)·g</c>.</remarks>
    /// <exception cref="ArgumentException">The shapes or dtypes differ.</exception>
    public static Tensor BCEWithLogitsLoss(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean) =>
        Reduce("BCEWithLogitsLoss", Ops.BinaryCrossEntropyWithLogits(logits, targets), reduction);

    private static Tensor Reduce(string op, Tensor losses, Reduction reduction) => reduction switch
    {
        Reduction.Mean => Ops.Mean(losses),
        Reduction.Sum => Ops.Sum(losses),
        Reduction.None => losses,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), $"{op}: unknown reduction {reduction}; use Mean, Sum or None."),
    };
}
