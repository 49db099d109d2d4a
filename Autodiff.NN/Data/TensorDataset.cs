namespace Autodiff.NN.Data;

/// <summary>Samples stored as one input tensor [N, ...] and one class label per sample. Same idea as <c>torch.utils.data.TensorDataset</c>.</summary>
public sealed class TensorDataset
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
    public int Count => Labels.Length;

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
