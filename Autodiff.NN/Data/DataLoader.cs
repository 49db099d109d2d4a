namespace Autodiff.NN.Data;

/// <summary>Yields (input, labels) mini-batches from a <see cref="TensorDataset"/>, every sample exactly once per
/// epoch, optionally shuffled. Same idea as <c>torch.utils.data.DataLoader</c>.</summary>
/// <remarks>Each enumeration is one epoch. With <c>shuffle</c>, epoch e uses a permutation drawn from the loader's own
/// generator, so a seed gives the same batches run after run. The last batch is smaller unless <c>dropLast</c>.</remarks>
/// <example><code>
/// var loader = new DataLoader(train, batchSize: 100, shuffle: true, seed: 0);
/// foreach (var (x, y) in loader) { ... }
/// </code></example>
public sealed class DataLoader : IEnumerable<(Tensor Inputs, int[] Labels)>
{
    private readonly Generator _generator;

    /// <summary>Creates the loader.</summary>
    /// <exception cref="ArgumentException">The batch size is not positive.</exception>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, long seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) Check.Fail("DataLoader", $"batchSize must be positive, got {batchSize}.", nameof(batchSize));
        (Dataset, BatchSize, Shuffle, DropLast) = (dataset, batchSize, shuffle, dropLast);
        _generator = new Generator(seed);
    }

    /// <summary>The dataset.</summary>
    public TensorDataset Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a final smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The number of batches per epoch.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>One epoch of batches.</summary>
    public IEnumerator<(Tensor Inputs, int[] Labels)> GetEnumerator()
    {
        int n = Dataset.Count;
        var order = Enumerable.Range(0, n).ToArray();
        if (Shuffle) _generator.Shuffle(order.AsSpan());
        for (int b = 0; b < BatchCount; b++)
        {
            int start = b * BatchSize, size = Math.Min(BatchSize, n - start);
            var indices = order.AsSpan(start, size).ToArray();
            Tensor inputs;
            using (Tape.NoGrad()) inputs = Ops.IndexSelect(Dataset.Inputs, 0, indices);
            yield return (inputs, indices.Select(i => Dataset.Labels[i]).ToArray());
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
