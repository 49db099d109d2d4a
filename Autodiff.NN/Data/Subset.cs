namespace Autodiff.NN.Data;

/// <summary>The samples of another dataset at given indices, without copying them. Same as <c>torch.utils.data.Subset</c>.</summary>
/// <typeparam name="TBatch">The batch type of the dataset.</typeparam>
/// <example><code>var firstThousand = new Subset&lt;(Tensor Inputs, int[] Labels)&gt;(train, Enumerable.Range(0, 1000));</code></example>
public sealed class Subset<TBatch> : Dataset<TBatch>
{
    private readonly int[] _indices;

    /// <summary>Creates the subset: sample <c>i</c> of it is sample <c>indices[i]</c> of <paramref name="dataset"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is out of range for the dataset.</exception>
    public Subset(Dataset<TBatch> dataset, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        _indices = indices.ToArray();
        foreach (int i in _indices)
            if ((uint)i >= (uint)dataset.Count)
                Check.FailRange("Subset", $"index {i} is out of range for a dataset of {dataset.Count} samples.", nameof(indices));
        Dataset = dataset;
    }

    /// <summary>The dataset the samples are read from.</summary>
    public Dataset<TBatch> Dataset { get; }

    /// <summary>The samples' indices in <see cref="Dataset"/>.</summary>
    public IReadOnlyList<int> Indices => Array.AsReadOnly(_indices);

    /// <inheritdoc/>
    public override int Count => _indices.Length;

    /// <inheritdoc/>
    protected override TBatch ReadBatch(int[] indices)
    {
        var mapped = new int[indices.Length];
        for (int i = 0; i < mapped.Length; i++) mapped[i] = _indices[indices[i]];
        return Dataset.GetBatch(mapped);
    }

    internal override IEnumerable<Tensor> TensorsOf(TBatch batch) => Dataset.TensorsOf(batch);
}
