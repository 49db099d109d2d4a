namespace Autodiff.NN.Data;

/// <summary>Samples stored as one input tensor [N, ...] and one class label per sample. Same idea as <c>torch.utils.data.TensorDataset</c>.</summary>
/// <remarks>For float targets (regression, autoencoders) use <see cref="TensorPairDataset"/>.</remarks>
public sealed class TensorDataset : Dataset<(Tensor Inputs, int[] Labels)>
{
    /// <summary>Creates the dataset.</summary>
    /// <exception cref="ArgumentException">The input has no batch dimension, or the label count differs from it.</exception>
    public TensorDataset(Tensor inputs, int[] labels)
    {
        Check.NotNull("TensorDataset", inputs, nameof(inputs));
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.Rank == 0 || inputs.Shape[0] != labels.Length)
            Check.Fail("TensorDataset", $"inputs {inputs.Shape} and {labels.Length} labels must have the same first dimension.", nameof(labels));
        (Inputs, Labels) = (inputs, labels);
    }

    /// <summary>All inputs, shape [N, ...].</summary>
    public Tensor Inputs { get; }

    /// <summary>All labels, N values.</summary>
    public int[] Labels { get; }

    /// <summary>The number of samples.</summary>
    public override int Count => Labels.Length;

    /// <inheritdoc/>
    protected override (Tensor Inputs, int[] Labels) ReadBatch(int[] indices)
    {
        var labels = new int[indices.Length];
        for (int i = 0; i < labels.Length; i++) labels[i] = Labels[indices[i]];
        using (Tape.NoGrad())
            return (Ops.IndexSelect(Inputs, 0, indices), labels);
    }

    internal override IEnumerable<Tensor> TensorsOf((Tensor Inputs, int[] Labels) batch) => [batch.Inputs];

    /// <summary>The mean and (population) standard deviation of every input value, summed in float64: the statistics a
    /// training set gives <see cref="Normalize"/>, as <c>x.mean(), x.std(unbiased=False)</c> in PyTorch.</summary>
    public (double Mean, double Std) InputStatistics()
    {
        var values = Inputs.ToDoubleArray();
        double mean = values.Sum() / values.Length;
        double variance = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
        return (mean, Math.Sqrt(variance));
    }

    /// <summary>A copy whose inputs are <c>(x - mean) / std</c>, labels shared. Same as torchvision's
    /// <c>transforms.Normalize((mean,), (std,))</c> applied to every sample; pass the training set's statistics
    /// (<see cref="InputStatistics"/>) for the test set too.</summary>
    /// <exception cref="ArgumentOutOfRangeException">std is not positive and finite, or mean is not finite.</exception>
    public TensorDataset Normalize(double mean, double std)
    {
        if (!double.IsFinite(mean) || !(std > 0) || !double.IsFinite(std))
            Check.FailRange("TensorDataset.Normalize", $"needs a finite mean and a positive, finite std, got mean {mean}, std {std} (inputs {Inputs.Shape}).", nameof(std));
        using (Tape.NoGrad())
            return new TensorDataset((Inputs - mean) / std, Labels);
    }
}
