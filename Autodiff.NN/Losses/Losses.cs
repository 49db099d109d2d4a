namespace Autodiff.NN;

/// <summary>Cross-entropy of logits [N, C] against class indices, the fused softmax-with-loss. Same as <c>torch.nn.CrossEntropyLoss</c>.</summary>
/// <param name="reduction">Mean (default), Sum or None (per-sample [N]).</param>
/// <example><code>var criterion = new CrossEntropyLoss(); var loss = criterion.Forward(logits, labels); loss.Backward();</code></example>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-sample losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>See <see cref="Functional.CrossEntropy(Tensor, int[], Reduction)"/>.</summary>
    public Tensor Forward(Tensor logits, int[] targets) => Functional.CrossEntropy(logits, targets, Reduction);

    /// <inheritdoc/>
    public override string ToString() => $"CrossEntropyLoss(reduction: {Reduction})";
}

/// <summary>Negative log-likelihood of log-probabilities [N, C] against class indices. Same as <c>torch.nn.NLLLoss</c>.</summary>
/// <param name="reduction">Mean (default), Sum or None.</param>
/// <example><code>var loss = new NllLoss().Forward(logits.LogSoftmax(1), labels);</code></example>
public sealed class NllLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-sample losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>See <see cref="Functional.NllLoss"/>.</summary>
    public Tensor Forward(Tensor logProbabilities, int[] targets) => Functional.NllLoss(logProbabilities, targets, Reduction);

    /// <inheritdoc/>
    public override string ToString() => $"NllLoss(reduction: {Reduction})";
}

/// <summary>Squared error between input and target. Same as <c>torch.nn.MSELoss</c>.</summary>
/// <param name="reduction">Mean (default), Sum or None.</param>
/// <example><code>var loss = new MseLoss().Forward(prediction, target);</code></example>
public sealed class MseLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>See <see cref="Functional.MseLoss(Tensor, Tensor, Reduction)"/>.</summary>
    public Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);

    /// <inheritdoc/>
    public override string ToString() => $"MseLoss(reduction: {Reduction})";
}

/// <summary>Absolute error between input and target. Same as <c>torch.nn.L1Loss</c>.</summary>
/// <param name="reduction">Mean (default), Sum or None.</param>
/// <example><code>var loss = new L1Loss().Forward(prediction, target);</code></example>
public sealed class L1Loss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>See <see cref="Functional.L1Loss"/>.</summary>
    public Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);

    /// <inheritdoc/>
    public override string ToString() => $"L1Loss(reduction: {Reduction})";
}

/// <summary>Binary cross-entropy of logits against targets in [0, 1]. Same as <c>torch.nn.BCEWithLogitsLoss</c>.</summary>
/// <param name="reduction">Mean (default), Sum or None.</param>
/// <example><code>var loss = new BCEWithLogitsLoss().Forward(logits, targets);</code></example>
public sealed class BCEWithLogitsLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>See <see cref="Functional.BCEWithLogitsLoss"/>.</summary>
    public Tensor Forward(Tensor logits, Tensor targets) => Functional.BCEWithLogitsLoss(logits, targets, Reduction);

    /// <inheritdoc/>
    public override string ToString() => $"BCEWithLogitsLoss(reduction: {Reduction})";
}
