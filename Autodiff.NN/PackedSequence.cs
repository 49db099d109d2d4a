namespace Autodiff.NN;

/// <summary>A batch of variable-length sequences with the padding removed. Same as
/// <c>torch.nn.utils.rnn.PackedSequence</c>; made by <see cref="Utils.PackPaddedSequence"/> and read back by
/// <see cref="Utils.PadPackedSequence"/>.</summary>
/// <remarks>Layout as PyTorch's: the sequences are ordered by decreasing length (<see cref="SortedIndices"/>), and
/// <see cref="Data"/> holds step 0 of every sequence, then step 1 of every sequence still running, and so on;
/// <see cref="BatchSizes"/>[t] is how many sequences are still running at step t. <see cref="RNN"/>, <see cref="LSTM"/>
/// and <see cref="GRU"/> take it directly.</remarks>
public sealed class PackedSequence
{
    internal PackedSequence(Tensor data, int[] batchSizes, int[] sortedIndices, int[] lengths)
    {
        (Data, BatchSizes, SortedIndices) = (data, batchSizes, sortedIndices);
        Lengths = lengths;
        var unsorted = new int[sortedIndices.Length];
        for (int i = 0; i < sortedIndices.Length; i++) unsorted[sortedIndices[i]] = i;
        UnsortedIndices = unsorted;
    }

    /// <summary>The steps of every sequence, <c>[Σ lengths, *]</c>, in the packed order.</summary>
    public Tensor Data { get; }

    /// <summary>How many sequences are running at each step (non-increasing), one entry per step of the longest.</summary>
    public IReadOnlyList<int> BatchSizes { get; }

    /// <summary>The original batch positions in packed order (longest first).</summary>
    public IReadOnlyList<int> SortedIndices { get; }

    /// <summary>The inverse of <see cref="SortedIndices"/>: where each original sequence sits in packed order.</summary>
    public IReadOnlyList<int> UnsortedIndices { get; }

    /// <summary>The length of each sequence, in the original batch order.</summary>
    internal int[] Lengths { get; }

    /// <summary>The same packing with other data (a module's output for this input).</summary>
    internal PackedSequence WithData(Tensor data) => new(data, (int[])BatchSizes, (int[])SortedIndices, Lengths);

    /// <inheritdoc/>
    public override string ToString() => $"PackedSequence(data: {Data.Shape}, batchSizes: [{string.Join(", ", BatchSizes)}])";
}
