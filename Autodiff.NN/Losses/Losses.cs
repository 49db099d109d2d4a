namespace Autodiff.NN;

/// <summary>Cross-entropy of logits [N, C] against class indices, the fused softmax-with-loss. Same as <c>torch.nn.CrossEntropyLoss</c>.</summary>
/// <remarks>Class weights, the ignored index and label smoothing work as PyTorch's <c>weight</c>, <c>ignore_index</c> and
/// <c>label_smoothing</c>: see <see cref="Functional.CrossEntropy(Tensor, int[], Reduction, Tensor?, int, double)"/>.</remarks>
/// <example><code>var criterion = new CrossEntropyLoss(); var loss = criterion.Forward(logits, labels); loss.Backward();
/// var lm = new CrossEntropyLoss(ignoreIndex: padId, labelSmoothing: 0.1);</code></example>
public sealed class CrossEntropyLoss
{
    /// <summary>A cross-entropy criterion.</summary>
    /// <param name="reduction">Mean (default), Sum or None (per-sample [N]).</param>
    /// <param name="weight">A weight per class, shape [C], or null for all 1; a constant, not trained.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 and are left out of the mean (default -100, as PyTorch).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target mixes <c>(1 - ε)·onehot(t)</c> with the uniform <c>ε/C</c>.</param>
    /// <exception cref="ArgumentException">The weight is not 1-D or requires grad, or labelSmoothing is outside [0, 1].</exception>
    public CrossEntropyLoss(Reduction reduction = Reduction.Mean, Tensor? weight = null, int ignoreIndex = -100, double labelSmoothing = 0.0)
    {
        CheckClassWeight("CrossEntropyLoss", weight);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            Check.Fail("CrossEntropyLoss", $"labelSmoothing must be in [0, 1], got {labelSmoothing}.", nameof(labelSmoothing));
        (Reduction, Weight, IgnoreIndex, LabelSmoothing) = (reduction, weight, ignoreIndex, labelSmoothing);
    }

    /// <summary>How per-sample losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The weight of each class, shape [C], or null for all 1.</summary>
    public Tensor? Weight { get; }

    /// <summary>The target index whose rows are ignored (-100 unless set, as PyTorch).</summary>
    public int IgnoreIndex { get; }

    /// <summary>The label smoothing ε in [0, 1] (0 unless set).</summary>
    public double LabelSmoothing { get; }

    /// <summary>See <see cref="Functional.CrossEntropy(Tensor, int[], Reduction, Tensor?, int, double)"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="Functional.CrossEntropy(Tensor, int[], Reduction, Tensor?, int, double)"/>.</exception>
    public Tensor Forward(Tensor logits, int[] targets) => Functional.CrossEntropy(logits, targets, Reduction, Weight, IgnoreIndex, LabelSmoothing);

    /// <summary>The loss against class indices in an Int64 tensor [N] (PyTorch's LongTensor targets).</summary>
    /// <param name="logits">Unnormalized scores [N, C].</param>
    /// <param name="targets">An Int64 tensor of N class indices.</param>
    public Tensor Forward(Tensor logits, Tensor targets) => Functional.CrossEntropy(logits, targets, Reduction, Weight, IgnoreIndex, LabelSmoothing);

    /// <inheritdoc/>
    public override string ToString() =>
        $"CrossEntropyLoss(reduction: {Reduction}{ClassOptions(Weight, IgnoreIndex)}{(LabelSmoothing != 0 ? $", labelSmoothing: {LabelSmoothing}" : "")})";

    /// <summary>Checks a class weight a criterion keeps: 1-D, not requiring grad (its length is checked against C at Forward).</summary>
    internal static void CheckClassWeight(string loss, Tensor? weight)
    {
        if (weight is null) return;
        if (weight.Rank != 1) Check.Fail(loss, $"weight must be 1-D, one weight per class, got {weight.Shape}.", nameof(weight));
        if (weight.RequiresGrad)
            Check.Fail(loss, $"weight {weight.Shape} requires grad, but class weights are constants here (PyTorch does not " +
                "differentiate them either); pass weight.Detach().", nameof(weight));
    }

    /// <summary>", weight: [C], ignoreIndex: i" for the options that differ from PyTorch's defaults.</summary>
    internal static string ClassOptions(Tensor? weight, int ignoreIndex) =>
        (weight is null ? "" : $", weight: {weight.Shape}") + (ignoreIndex != -100 ? $", ignoreIndex: {ignoreIndex}" : "");
}

/// <summary>Negative log-likelihood of log-probabilities [N, C] against class indices. Same as <c>torch.nn.NLLLoss</c>.</summary>
/// <remarks>Class weights and the ignored index work as PyTorch's <c>weight</c> and <c>ignore_index</c>: see
/// <see cref="Functional.NllLoss(Tensor, int[], Reduction, Tensor?, int)"/>.</remarks>
/// <example><code>var loss = new NllLoss().Forward(logits.LogSoftmax(1), labels);</code></example>
public sealed class NllLoss
{
    /// <summary>A negative log-likelihood criterion.</summary>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    /// <param name="weight">A weight per class, shape [C], or null for all 1; a constant, not trained.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 and are left out of the mean (default -100, as PyTorch).</param>
    /// <exception cref="ArgumentException">The weight is not 1-D or requires grad.</exception>
    public NllLoss(Reduction reduction = Reduction.Mean, Tensor? weight = null, int ignoreIndex = -100)
    {
        CrossEntropyLoss.CheckClassWeight("NllLoss", weight);
        (Reduction, Weight, IgnoreIndex) = (reduction, weight, ignoreIndex);
    }

    /// <summary>How per-sample losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The weight of each class, shape [C], or null for all 1.</summary>
    public Tensor? Weight { get; }

    /// <summary>The target index whose rows are ignored (-100 unless set, as PyTorch).</summary>
    public int IgnoreIndex { get; }

    /// <summary>See <see cref="Functional.NllLoss(Tensor, int[], Reduction, Tensor?, int)"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="Functional.NllLoss(Tensor, int[], Reduction, Tensor?, int)"/>.</exception>
    public Tensor Forward(Tensor logProbabilities, int[] targets) => Functional.NllLoss(logProbabilities, targets, Reduction, Weight, IgnoreIndex);

    /// <summary>The loss against class indices in an Int64 tensor [N] (PyTorch's LongTensor targets).</summary>
    /// <param name="logProbabilities">Log-probabilities [N, C].</param>
    /// <param name="targets">An Int64 tensor of N class indices.</param>
    public Tensor Forward(Tensor logProbabilities, Tensor targets) => Functional.NllLoss(logProbabilities, targets, Reduction, Weight, IgnoreIndex);

    /// <inheritdoc/>
    public override string ToString() => $"NllLoss(reduction: {Reduction}{CrossEntropyLoss.ClassOptions(Weight, IgnoreIndex)})";
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
/// <remarks>The element weight and the positive-class weight work as PyTorch's <c>weight</c> and <c>pos_weight</c>: see
/// <see cref="Functional.BCEWithLogitsLoss"/>.</remarks>
/// <example><code>var loss = new BCEWithLogitsLoss().Forward(logits, targets);
/// var balanced = new BCEWithLogitsLoss(posWeight: Tensor.FromArray(new[] { 3f, 1f }));   // positives of class 0 count 3 times</code></example>
public sealed class BCEWithLogitsLoss
{
    /// <summary>A binary cross-entropy criterion on logits.</summary>
    /// <param name="reduction">Mean (default), Sum or None.</param>
    /// <param name="weight">A rescaling weight per element, broadcast to the targets' shape, or null.</param>
    /// <param name="posWeight">The weight of positive examples, broadcast to the targets' shape (typically one per class), or null.</param>
    public BCEWithLogitsLoss(Reduction reduction = Reduction.Mean, Tensor? weight = null, Tensor? posWeight = null) =>
        (Reduction, Weight, PosWeight) = (reduction, weight, posWeight);

    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; }

    /// <summary>The rescaling weight per element, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>The weight of positive examples, or null for 1.</summary>
    public Tensor? PosWeight { get; }

    /// <summary>See <see cref="Functional.BCEWithLogitsLoss"/>.</summary>
    /// <exception cref="ArgumentException">As <see cref="Functional.BCEWithLogitsLoss"/>.</exception>
    public Tensor Forward(Tensor logits, Tensor targets) => Functional.BCEWithLogitsLoss(logits, targets, Reduction, Weight, PosWeight);

    /// <inheritdoc/>
    public override string ToString() =>
        $"BCEWithLogitsLoss(reduction: {Reduction}{(Weight is null ? "" : $", weight: {Weight.Shape}")}{(PosWeight is null ? "" : $", posWeight: {PosWeight.Shape}")})";
}
