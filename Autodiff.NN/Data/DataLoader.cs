namespace Autodiff.NN.Data;

/// <summary>Yields mini-batches of a <see cref="Dataset{TBatch}"/>, every sample exactly once per epoch, optionally
/// shuffled and optionally prepared one batch ahead on another thread. Same idea as <c>torch.utils.data.DataLoader</c>.</summary>
/// <typeparam name="TBatch">What a batch is: <c>(Tensor Inputs, Tensor Targets)</c> for a <see cref="TensorPairDataset"/>;
/// <see cref="DataLoader"/> is the loader of labelled batches.</typeparam>
/// <remarks>Each enumeration is one epoch. The last batch is smaller unless <c>dropLast</c>. With <c>shuffle</c> and no
/// seed, each epoch draws one 64-bit seed from <see cref="Generator.Default"/> and shuffles with a generator made from it,
/// as PyTorch's <c>RandomSampler</c> does: <see cref="Generator.ManualSeed"/> makes the order reproducible, and an epoch
/// takes one value from the default stream whatever the dataset's size. With a seed, the loader shuffles from a
/// generator of its own, so the batches are the same run after run whatever else draws from the default.
/// <para><b>Prefetch.</b> With <c>prefetch: true</c> the next batch is gathered on a thread-pool thread while your code
/// works on the current one (PyTorch's one worker with <c>prefetch_factor</c> 1). The order is drawn on your thread
/// when the epoch starts, exactly as without prefetching, so the batches are the same for a given seed; a batch's
/// tensors are handed to the <see cref="DisposeScope"/> current where the loop asks for it, as a batch made there would
/// be; an error reading a batch is thrown where that batch is asked for. Leaving the loop early (<c>break</c>, an
/// exception) waits for the batch in flight and drops it, so nothing runs on after the loop. A dataset of your own is
/// then read on another thread while the training step runs: it must be safe for that.</para></remarks>
/// <example><code>
/// var loader = new DataLoader&lt;(Tensor Inputs, Tensor Targets)&gt;(pairs, batchSize: 64, shuffle: true, seed: 0, prefetch: true);
/// foreach (var (x, y) in loader) { ... }
/// </code></example>
public class DataLoader<TBatch> : IEnumerable<TBatch>
{
    private readonly Generator? _generator;   // null: each shuffled epoch seeds itself from Generator.Default

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="seed">Null (the default) to shuffle from <see cref="Generator.Default"/>; a seed for a shuffling stream
    /// of the loader's own.</param>
    /// <param name="dropLast">Whether a final smaller batch is skipped.</param>
    /// <param name="prefetch">Whether the next batch is gathered on another thread while the current one is used.</param>
    /// <exception cref="ArgumentException">The batch size is not positive.</exception>
    public DataLoader(Dataset<TBatch> dataset, int batchSize, bool shuffle = false, long? seed = null, bool dropLast = false, bool prefetch = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0) Check.Fail("DataLoader", $"batchSize must be positive, got {batchSize}.", nameof(batchSize));
        (Dataset, BatchSize, Shuffle, DropLast, Prefetch) = (dataset, batchSize, shuffle, dropLast, prefetch);
        _generator = seed is long s ? new Generator(s) : null;
    }

    /// <summary>The dataset the batches are read from.</summary>
    public Dataset<TBatch> Dataset { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a final smaller batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Whether the next batch is gathered on another thread while the current one is used.</summary>
    public bool Prefetch { get; }

    /// <summary>The number of batches per epoch.</summary>
    public int BatchCount => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>One epoch of batches.</summary>
    public IEnumerator<TBatch> GetEnumerator() => Prefetch ? Prefetching() : Plain();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>This epoch's order of the samples, drawn when the epoch starts.</summary>
    private int[] Order()
    {
        var order = Enumerable.Range(0, Dataset.Count).ToArray();
        if (Shuffle) (_generator ?? new Generator((long)Generator.Default.NextUInt64())).Shuffle(order.AsSpan());
        return order;
    }

    private int[] Indices(int[] order, int batch)
    {
        int start = batch * BatchSize;
        return order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray();
    }

    private IEnumerator<TBatch> Plain()
    {
        var order = Order();
        int count = BatchCount;
        for (int b = 0; b < count; b++) yield return Dataset.GetBatch(Indices(order, b));
    }

    private IEnumerator<TBatch> Prefetching()
    {
        var order = Order();
        int count = BatchCount;
        Task<TBatch>? pending = count > 0 ? Read(order, 0) : null;
        try
        {
            for (int b = 0; b < count; b++)
            {
                var batch = pending!.GetAwaiter().GetResult();       // the reader's own exception, as without prefetching
                pending = b + 1 < count ? Read(order, b + 1) : null;
                if (DisposeScope.Current is { } scope)
                    foreach (var t in Dataset.TensorsOf(batch)) scope.Include(t);
                yield return batch;
            }
        }
        finally
        {
            if (pending is not null)                                 // the loop stopped early: a batch is still in flight
            {
                Task.WhenAny(pending).Wait();                        // wait for it without throwing...
                if (pending.IsCompletedSuccessfully)
                    foreach (var t in Dataset.TensorsOf(pending.Result)) t.Dispose();
                else _ = pending.Exception;                          // ...and observe its error: nobody asked for that batch
            }
        }
    }

    /// <summary>Starts reading batch <paramref name="batch"/> on the thread pool, outside the caller's async flow, so its
    /// tensors belong to no <see cref="DisposeScope"/> until the loop takes them.</summary>
    private Task<TBatch> Read(int[] order, int batch)
    {
        var indices = Indices(order, batch);
        using (ExecutionContext.SuppressFlow())
            return Task.Run(() => Dataset.GetBatch(indices));
    }
}

/// <summary>Yields (input, labels) mini-batches from a dataset with class labels (a <see cref="TensorDataset"/>, or a
/// <see cref="Subset{TBatch}"/> of one), every sample exactly once per epoch, optionally shuffled and prefetched. Same
/// idea as <c>torch.utils.data.DataLoader</c>; see <see cref="DataLoader{TBatch}"/> for shuffling and prefetching.</summary>
/// <example><code>
/// var loader = new DataLoader(train, batchSize: 100, shuffle: true, seed: 0);
/// foreach (var (x, y) in loader) { ... }
/// </code></example>
public sealed class DataLoader : DataLoader<(Tensor Inputs, int[] Labels)>
{
    private TensorDataset? _gathered;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="seed">Null (the default) to shuffle from <see cref="Generator.Default"/>; a seed for a shuffling stream
    /// of the loader's own.</param>
    /// <param name="dropLast">Whether a final smaller batch is skipped.</param>
    /// <param name="prefetch">Whether the next batch is gathered on another thread while the current one is used.</param>
    /// <exception cref="ArgumentException">The batch size is not positive.</exception>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, long? seed = null, bool dropLast = false, bool prefetch = false)
        : base(dataset, batchSize, shuffle, seed, dropLast, prefetch)
    {
        _gathered = dataset;
    }

    /// <summary>Creates the loader over any dataset of labelled batches, e.g. a split of a <see cref="TensorDataset"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Whether each epoch visits the samples in a new random order.</param>
    /// <param name="seed">Null (the default) to shuffle from <see cref="Generator.Default"/>; a seed for a shuffling stream
    /// of the loader's own.</param>
    /// <param name="dropLast">Whether a final smaller batch is skipped.</param>
    /// <param name="prefetch">Whether the next batch is gathered on another thread while the current one is used.</param>
    /// <exception cref="ArgumentException">The batch size is not positive.</exception>
    public DataLoader(Dataset<(Tensor Inputs, int[] Labels)> dataset, int batchSize, bool shuffle = false, long? seed = null,
        bool dropLast = false, bool prefetch = false)
        : base(dataset, batchSize, shuffle, seed, dropLast, prefetch)
    {
        _gathered = dataset as TensorDataset;
    }

    /// <summary>The samples as a <see cref="TensorDataset"/>: the one the loader was made from, or, for another dataset
    /// (a <see cref="Subset{TBatch}"/>), all of its samples gathered into a new one, in order, on first use.</summary>
    public new TensorDataset Dataset
    {
        get
        {
            if (_gathered is null)
            {
                var source = base.Dataset;
                var (inputs, labels) = source.GetBatch(Enumerable.Range(0, source.Count).ToArray());
                _gathered = new TensorDataset(inputs, labels);
            }
            return _gathered;
        }
    }
}
