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
}
