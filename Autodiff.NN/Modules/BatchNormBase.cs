namespace Autodiff.NN;

/// <summary>What BatchNorm1d and BatchNorm2d share: the parameters, the running statistics as buffers, and the choice
/// between batch and running statistics. Same as PyTorch's <c>_BatchNorm</c>.</summary>
/// <remarks>
/// <para>Parameters <c>weight</c> (ones) and <c>bias</c> (zeros), <c>[numFeatures]</c>, when affine. Buffers, saved in the
/// state dict under PyTorch's names: <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> (an Int64 scalar <c>[]</c> counting training batches, as PyTorch's: saved as I64 in
/// safetensors, left Int64 by <see cref="Module.To(DType)"/>), when trackRunningStats. <see cref="Module.LoadStateDict"/>
/// accepts a state dict without <c>num_batches_tracked</c> (checkpoints written before the count existed) and then
/// leaves the count as it is, as PyTorch does for its old state dicts; a Float64 count (older checkpoints of this
/// library) loads converted to Int64.</para>
/// <para>In training mode (or without running statistics) the batch's own statistics normalize and the running ones are
/// updated; in eval mode the running statistics normalize. See <see cref="Ops.BatchNorm"/> for the formulas.</para>
/// <para>The running update is <c>running = (1 - m)·running + m·batch</c> with <c>m = momentum</c>, or, with
/// <c>momentum: null</c> (PyTorch's <c>momentum=None</c>), <c>m = 1/numBatchesTracked</c> counted after this batch: the
/// running statistics are then the plain (cumulative) average of every batch's statistics since the last reset.</para>
/// </remarks>
public abstract class BatchNormBase : Module
{
    /// <summary>Creates the layer with PyTorch's defaults.</summary>
    /// <param name="numFeatures">The number of channels C.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <param name="momentum">The weight of each batch in the running statistics, or null for a cumulative average.</param>
    /// <param name="affine">Whether the layer has a learnable weight and bias.</param>
    /// <param name="trackRunningStats">Whether running statistics are kept (and used in eval mode).</param>
    /// <exception cref="ArgumentException">numFeatures is not positive, eps is negative or NaN, or momentum is outside [0, 1].</exception>
    protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats)
    {
        string name = GetType().Name;
        if (numFeatures <= 0) Check.Fail(name, $"numFeatures must be positive, got {numFeatures}.", nameof(numFeatures));
        if (!(eps >= 0)) Check.Fail(name, $"eps must be non-negative, got {eps}.", nameof(eps));
        if (momentum is { } m && !(m >= 0 && m <= 1)) Check.Fail(name, $"momentum must be in [0, 1] or null, got {m}.", nameof(momentum));
        (NumFeatures, Eps, Momentum, Affine, TrackRunningStats) = (numFeatures, eps, momentum, affine, trackRunningStats);
        RegisterParameter("weight", affine ? Tensor.Ones(numFeatures) : null);
        RegisterParameter("bias", affine ? Tensor.Zeros(numFeatures) : null);
        RegisterBuffer("running_mean", trackRunningStats ? Tensor.Zeros(numFeatures) : null);
        RegisterBuffer("running_var", trackRunningStats ? Tensor.Ones(numFeatures) : null);
        RegisterBuffer("num_batches_tracked", trackRunningStats ? Tensor.Scalar(0, DType.Int64) : null);
        AllowMissingOnLoad("num_batches_tracked");      // older checkpoints lack it; PyTorch tolerates that too
    }

    /// <summary>The number of channels C.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>The weight of each batch in the running statistics, or null for the cumulative average
    /// (weight <c>1/numBatchesTracked</c>), as PyTorch's <c>momentum=None</c>.</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has a learnable weight and bias.</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept (and used in eval mode).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>The scale, <c>[numFeatures]</c>, or null when not affine.</summary>
    public Tensor? Weight => GetParameter("weight");

    /// <summary>The shift, <c>[numFeatures]</c>, or null when not affine.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <summary>The running mean, <c>[numFeatures]</c>, or null when not tracked.</summary>
    public Tensor? RunningMean => GetBuffer("running_mean");

    /// <summary>The running (unbiased) variance, <c>[numFeatures]</c>, or null when not tracked.</summary>
    public Tensor? RunningVar => GetBuffer("running_var");

    /// <summary>How many training batches updated the running statistics (an Int64 scalar <c>[]</c>), or null when not
    /// tracked. Saved in the state dict as <c>num_batches_tracked</c>.</summary>
    public Tensor? NumBatchesTracked => GetBuffer("num_batches_tracked");

    /// <summary>Resets the running statistics to mean 0, variance 1 and the batch count to 0.</summary>
    public void ResetRunningStats()
    {
        if (RunningMean is { } mean) Init.Zeros_(mean);   // in either dtype (a model converted by Double())
        if (RunningVar is { } variance) Init.Ones_(variance);
        if (NumBatchesTracked is { } count)
        {
            count.I64[0] = 0;
            count.MarkModified();
        }
    }

    /// <summary>Checks the input's rank for this layer; the message names the layer and the shape.</summary>
    /// <exception cref="ArgumentException">The rank is not one this layer accepts.</exception>
    protected abstract void CheckInput(Tensor input);

    /// <summary>Normalizes the input per channel.</summary>
    /// <exception cref="ArgumentException">The rank is wrong, or the input's channel count is not numFeatures.</exception>
    public override Tensor Forward(Tensor input)
    {
        Check.NotNull(GetType().Name, input, nameof(input));
        CheckInput(input);
        if (input.Shape[1] != NumFeatures)
            Check.Fail(GetType().Name, $"input {input.Shape} has {input.Shape[1]} channels, expected numFeatures {NumFeatures}.", nameof(input));
        bool useBatchStatistics = Training || RunningMean is null;
        double factor = Momentum ?? 0;
        if (Training && NumBatchesTracked is { } count)
        {
            long batches = ++count.I64[0];                                              // a buffer, not part of the graph
            count.MarkModified();
            if (Momentum is null) factor = 1.0 / batches;                               // cumulative average, as PyTorch
        }
        return Ops.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatchStatistics, factor, Eps);
    }

    /// <inheritdoc/>
    public override string Describe() =>
        $"{GetType().Name}({NumFeatures}, eps: {Eps}, momentum: {(Momentum is { } m ? $"{m}" : "null")}, affine: {Affine}, trackRunningStats: {TrackRunningStats})";
}
