namespace Autodiff.NN.Data;

/// <summary>Samples stored as one input tensor [N, ...] and one target tensor [N, ...]: float targets, for regression or
/// an autoencoder (pass the inputs twice). Same idea as <c>torch.utils.data.TensorDataset(x, y)</c> with a float <c>y</c>;
/// <see cref="TensorDataset"/> is the one with class labels.</summary>
/// <example><code>
/// var data = new TensorPairDataset(x, y);
/// foreach (var (inputs, targets) in new DataLoader&lt;(Tensor Inputs, Tensor Targets)&gt;(data, batchSize: 32, shuffle: true))
///     loss = Functional.MseLoss(model.Forward(inputs), targets);
/// </code></example>
public sealed class TensorPairDataset : Dataset<(Tensor Inputs, Tensor Targets)>
{
    /// <summary>Creates the dataset.</summary>
    /// <exception cref="ArgumentException">A tensor has no batch dimension, or their first dimensions differ.</exception>
    public TensorPairDataset(Tensor inputs, Tensor targets)
    {
        Check.NotNull("TensorPairDataset", inputs, nameof(inputs));
        Check.NotNull("TensorPairDataset", targets, nameof(targets));
        if (inputs.Rank == 0 || targets.Rank == 0 || inputs.Shape[0] != targets.Shape[0])
            Check.Fail("TensorPairDataset", $"inputs {inputs.Shape} and targets {targets.Shape} must have the same first dimension.", nameof(targets));
        (Inputs, Targets) = (inputs, targets);
    }

    /// <summary>All inputs, shape [N, ...].</summary>
    public Tensor Inputs { get; }

    /// <summary>All targets, shape [N, ...].</summary>
    public Tensor Targets { get; }

    /// <inheritdoc/>
    public override int Count => Inputs.Shape[0];

    /// <inheritdoc/>
    protected override (Tensor Inputs, Tensor Targets) ReadBatch(int[] indices)
    {
        using (Tape.NoGrad())
            return (Ops.IndexSelect(Inputs, 0, indices), Ops.IndexSelect(Targets, 0, indices));
    }

    internal override IEnumerable<Tensor> TensorsOf((Tensor Inputs, Tensor Targets) batch) => [batch.Inputs, batch.Targets];
}
