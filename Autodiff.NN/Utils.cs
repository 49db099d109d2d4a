namespace Autodiff.NN;

/// <summary>Training helpers that act on parameters' gradients, and packing of variable-length sequences. Same idea as
/// <c>torch.nn.utils</c> and <c>torch.nn.utils.rnn</c>.</summary>
public static class Utils
{
    /// <summary>Scales all gradients together so their joint L2 norm is at most <paramref name="maxNorm"/>, and returns
    /// the norm before clipping. Same as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
    /// <remarks><c>n = √(Σ_p Σ_i g²)</c>; when <c>n &gt; maxNorm</c> every gradient is multiplied by <c>maxNorm/(n + 1e-6)</c>.
    /// Parameters without a gradient are skipped.</remarks>
    /// <exception cref="ArgumentException">maxNorm is negative or NaN.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) Check.Fail("ClipGradNorm", $"maxNorm must be non-negative, got {maxNorm}.", nameof(maxNorm));
        var grads = parameters.Select(p => p.PeekGrad()).OfType<Tensor>().ToArray();
        double sumOfSquares = 0;
        foreach (var g in grads) sumOfSquares += Compute.SumOfSquares(g);
        double norm = Math.Sqrt(sumOfSquares);
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
            foreach (var g in grads) Compute.MultiplyInPlace(g, scale);
        return norm;
    }

    /// <summary>Packs a padded batch of variable-length sequences, dropping the padding. Same as
    /// <c>torch.nn.utils.rnn.pack_padded_sequence</c>.</summary>
    /// <remarks>Differentiable: the packed data is a row gather of the input (<see cref="Ops.IndexSelect(Tensor, int, int[])"/>),
    /// so gradients flow back to the unpadded positions only.</remarks>
    /// <param name="input"><c>[T, N, *]</c>, or <c>[N, T, *]</c> when <paramref name="batchFirst"/>.</param>
    /// <param name="lengths">The length of each of the N sequences, 1 to T.</param>
    /// <param name="batchFirst">Whether the input is <c>[N, T, *]</c>.</param>
    /// <param name="enforceSorted">When true (PyTorch's default), the lengths must be in decreasing order.</param>
    /// <exception cref="ArgumentException">The input has rank below 2, lengths has the wrong count, or is unsorted while
    /// enforceSorted is set.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is outside 1..T.</exception>
    public static PackedSequence PackPaddedSequence(Tensor input, int[] lengths, bool batchFirst = false, bool enforceSorted = true)
    {
        const string op = "PackPaddedSequence";
        Check.NotNull(op, input, nameof(input));
        Check.NotNullArg(op, lengths, nameof(lengths));
        if (input.Rank < 2) Check.Fail(op, $"input must be [T, N, *] or [N, T, *], got {input.Shape}.", nameof(input));
        var x = batchFirst ? Ops.Transpose(input, 0, 1) : input;                           // [T, N, *]
        int steps = x.Shape[0], rows = x.Shape[1];
        if (lengths.Length != rows)
            Check.Fail(op, $"lengths has {lengths.Length} entries, expected one per sequence: {rows} (input {input.Shape}).", nameof(lengths));
        for (int i = 0; i < rows; i++)
        {
            if (lengths[i] < 1 || lengths[i] > steps)
                Check.FailRange(op, $"lengths[{i}] is {lengths[i]}, expected 1 to the sequence length {steps} (input {input.Shape}).", nameof(lengths));
            if (enforceSorted && i > 0 && lengths[i] > lengths[i - 1])
                Check.Fail(op, $"lengths [{string.Join(", ", lengths)}] are not in decreasing order; sort the batch or pass enforceSorted: false.", nameof(lengths));
        }
        var sorted = Enumerable.Range(0, rows).OrderByDescending(i => lengths[i]).ThenBy(i => i).ToArray();   // stable, as torch.sort(descending)
        var batchSizes = new int[lengths.Max()];
        var rowsOfSteps = new List<int>();
        for (int t = 0; t < batchSizes.Length; t++)
            foreach (int n in sorted)
                if (lengths[n] > t)
                {
                    batchSizes[t]++;
                    rowsOfSteps.Add(t * rows + n);
                }
        var flat = Ops.Reshape(x, [steps * rows, .. x.Shape.Skip(2)]);
        return new PackedSequence(Ops.IndexSelect(flat, 0, rowsOfSteps.ToArray()), batchSizes, sorted, (int[])lengths.Clone());
    }

    /// <summary>Pads a packed batch back to <c>[T, N, *]</c> (<c>[N, T, *]</c> when <paramref name="batchFirst"/>), in the
    /// original batch order, and returns it with the lengths. Same as <c>torch.nn.utils.rnn.pad_packed_sequence</c>.</summary>
    /// <param name="sequence">The packed batch.</param>
    /// <param name="batchFirst">Whether to return <c>[N, T, *]</c>.</param>
    /// <param name="paddingValue">The value of the padded positions.</param>
    /// <param name="totalLength">T to pad to (at least the longest length), or null for the longest length.</param>
    /// <exception cref="ArgumentException">totalLength is shorter than the longest sequence.</exception>
    public static (Tensor Padded, int[] Lengths) PadPackedSequence(PackedSequence sequence, bool batchFirst = false, double paddingValue = 0,
        int? totalLength = null)
    {
        const string op = "PadPackedSequence";
        Check.NotNullArg(op, sequence, nameof(sequence));
        var lengths = sequence.Lengths;
        int longest = sequence.BatchSizes.Count, rows = lengths.Length, steps = totalLength ?? longest;
        if (steps < longest) Check.Fail(op, $"totalLength {steps} is shorter than the longest sequence, {longest}.", nameof(totalLength));
        var data = sequence.Data;
        int packed = data.Shape[0];
        // The padded batch gathers packed rows, and a padding row appended at the end for positions past a length.
        var where = new int[steps * rows];
        Array.Fill(where, packed);
        int k = 0;
        for (int t = 0; t < longest; t++)
            foreach (int n in sequence.SortedIndices)
                if (lengths[n] > t) where[t * rows + n] = k++;
        var padding = Tensor.Full([1, .. data.Shape.Skip(1)], paddingValue, data.DType);
        var padded = Ops.IndexSelect(Ops.Cat([data, padding], 0), 0, where);
        padded = Ops.Reshape(padded, [steps, rows, .. data.Shape.Skip(1)]);
        return (batchFirst ? Ops.Transpose(padded, 0, 1) : padded, (int[])lengths.Clone());
    }
}
