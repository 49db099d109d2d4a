namespace Autodiff.NN.Data;

/// <summary>Yields (input, labels) mini-batches from a <see cref="TensorDataset"/>, every sample exactly once per
/// epoch, optionally shuffled. Same idea as <c>torch.utils.data.DataLoader</c>.</summary>
/// <remarks>Each enumeration is one epoch. The last batch is smaller unless <c>dropLast</c>. With <c>shuffle</c> and no
/// seed, each epoch draws one 64-bit seed from <see cref="Generator.Default"/> and shuffles with a generator made from it,
/// as PyTorch's <c>RandomSampler</c> does: <see cref="Generator.ManualSeed"/> makes the order reproducible, and an epoch
/// takes one value from the default stream whatever the dataset's size. With a seed, the loader shuffles from a
/// generator of its own, so the batches are the same run after run whatever else draws from the default.</remarks>
/// <example><code>
/// var loader = new DataLoader(train, batchSize: 100, shuffle: true, seed: 0);
/// foreach (var (x, y) in loader) { ... }
/// </code></example>
public sealed class DataLoader : IEnumerable<(Tensor Inputs, int[] Labels)>
{
    private readonly Generator? _generator;   // null: each shuffled epoch seeds itself from Generator.Default

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="seed">Null (the default) to shuffle from <see cref="Generator.Default"/>; a seed for a shuffling stream
    /// of the loader's own.</param>
    /// <param name="dropLast">Whether a final smaller batch is skipped.</param>
    /// <exception cref="ArgumentException">The batch size is not positive.</exception>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, long? seed = null, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) Check.Fail("DataLoader", $"batchSize must be positive, got {batchSize}.", nameof(batchSize));
        (Dataset, BatchSize, Shuffle, DropLast) = (dataset, batchSize, shuffle, dropLast);
        _generator = seed is long s ? new Generator(s) : null;
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
        if (Shuffle) (_generator ?? new Generator((long)Generator.Default.NextUInt64())).Shuffle(order.AsSpan());
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
