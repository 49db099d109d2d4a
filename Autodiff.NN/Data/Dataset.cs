namespace Autodiff.NN.Data;

/// <summary>Samples read a batch at a time: <see cref="Count"/> samples, numbered from 0, gathered by
/// <see cref="GetBatch"/> into one <typeparamref name="TBatch"/> (e.g. an input tensor and labels). Same idea as a
/// map-style <c>torch.utils.data.Dataset</c> whose <c>__getitems__</c> returns the collated batch.</summary>
/// <typeparam name="TBatch">What a batch is, e.g. <c>(Tensor Inputs, int[] Labels)</c>.</typeparam>
/// <remarks>Derive from it for data of your own and implement <see cref="ReadBatch"/>. A <see cref="DataLoader{TBatch}"/>
/// with <c>prefetch: true</c> calls it on another thread while the training step runs, so it must be safe to call
/// alongside the rest of your program.</remarks>
public abstract class Dataset<TBatch>
{
    /// <summary>The number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>The samples at <paramref name="indices"/>, in that order, gathered into one batch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is negative or not below <see cref="Count"/>.</exception>
    public TBatch GetBatch(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int count = Count;
        foreach (int i in indices)
            if ((uint)i >= (uint)count)
                Check.FailRange(Name, $"index {i} is out of range for {count} samples.", nameof(indices));
        return ReadBatch(indices);
    }

    /// <summary>The dataset's type name without a generic arity (<c>Subset</c>, not <c>Subset`1</c>), for messages.</summary>
    private string Name => GetType().Name.Split('`')[0];

    /// <summary>Gathers the samples at <paramref name="indices"/> (each checked to be in range) into one batch.</summary>
    protected abstract TBatch ReadBatch(int[] indices);

    /// <summary>The tensors of <paramref name="batch"/> that its reader made, for a prefetching loader to hand to the
    /// consumer's <see cref="DisposeScope"/> (as a batch made on the consumer's thread would be) or to dispose when
    /// nobody took the batch. None for datasets outside the library.</summary>
    internal virtual IEnumerable<Tensor> TensorsOf(TBatch batch) => [];
}

/// <summary>Splitting datasets. Same as <c>torch.utils.data.random_split</c>.</summary>
public static class Dataset
{
    /// <summary>Splits <paramref name="dataset"/> into non-overlapping random subsets of the given sizes. Same as
    /// <c>torch.utils.data.random_split(dataset, lengths, generator)</c>.</summary>
    /// <param name="dataset">The dataset to split.</param>
    /// <param name="lengths">The subsets' sizes, which add up to the dataset's count.</param>
    /// <param name="generator">The generator of the permutation; <see cref="Generator.Default"/> when null.</param>
    /// <returns>One <see cref="Subset{TBatch}"/> per length, together a random permutation of the samples.</returns>
    /// <exception cref="ArgumentException">A length is negative or the lengths do not add up to the count.</exception>
    /// <example><code>var parts = Dataset.RandomSplit(data, [50_000, 10_000], new Generator(42)); var (train, val) = (parts[0], parts[1]);</code></example>
    public static Subset<TBatch>[] RandomSplit<TBatch>(Dataset<TBatch> dataset, IReadOnlyList<int> lengths, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        long total = 0;
        foreach (int length in lengths)
        {
            if (length < 0) Check.Fail("RandomSplit", $"lengths must be non-negative, got [{string.Join(", ", lengths)}].", nameof(lengths));
            total += length;
        }
        if (total != dataset.Count)
            Check.Fail("RandomSplit", $"the lengths [{string.Join(", ", lengths)}] add up to {total}, but the dataset has {dataset.Count} samples.", nameof(lengths));
        var order = Enumerable.Range(0, dataset.Count).ToArray();
        (generator ?? Generator.Default).Shuffle(order.AsSpan());
        var result = new Subset<TBatch>[lengths.Count];
        for (int i = 0, start = 0; i < result.Length; start += lengths[i], i++)
            result[i] = new Subset<TBatch>(dataset, order[start..(start + lengths[i])]);
        return result;
    }

    /// <summary>Splits <paramref name="dataset"/> into random subsets holding the given fractions of it, as PyTorch: each
    /// gets <c>⌊count·fraction⌋</c> samples and the remainder is dealt one at a time to the subsets in order.</summary>
    /// <param name="dataset">The dataset to split.</param>
    /// <param name="fractions">The subsets' shares, each in [0, 1], adding up to 1.</param>
    /// <param name="generator">The generator of the permutation; <see cref="Generator.Default"/> when null.</param>
    /// <returns>One <see cref="Subset{TBatch}"/> per fraction, together a random permutation of the samples.</returns>
    /// <exception cref="ArgumentException">A fraction is outside [0, 1] or they do not add up to 1.</exception>
    /// <example><code>var parts = Dataset.RandomSplit(data, [0.8, 0.2], new Generator(42));</code></example>
    public static Subset<TBatch>[] RandomSplit<TBatch>(Dataset<TBatch> dataset, IReadOnlyList<double> fractions, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(fractions);
        double sum = 0;
        foreach (double f in fractions)
        {
            if (!(f >= 0 && f <= 1)) Check.Fail("RandomSplit", $"fractions must be in [0, 1], got [{string.Join(", ", fractions)}].", nameof(fractions));
            sum += f;
        }
        if (!(Math.Abs(sum - 1) <= 1e-9)) Check.Fail("RandomSplit", $"fractions must add up to 1, got [{string.Join(", ", fractions)}] (sum {sum}).", nameof(fractions));
        var lengths = fractions.Select(f => (int)Math.Floor(dataset.Count * f)).ToArray();
        int remainder = dataset.Count - lengths.Sum();
        for (int i = 0; i < remainder; i++) lengths[i % lengths.Length]++;     // round-robin, as PyTorch
        return RandomSplit(dataset, lengths, generator);
    }
}
