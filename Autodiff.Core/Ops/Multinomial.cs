namespace Autodiff;

public static partial class Ops
{
    /// <summary>Draws indices with probability proportional to the weights of each row. Same as
    /// <c>torch.multinomial(probabilities, numSamples, replacement, generator=g)</c>.</summary>
    /// <remarks>A sample: nothing is recorded and no gradient flows. Each row holds non-negative finite weights, not
    /// necessarily summing to 1, with a positive sum. With <paramref name="replacement"/>, every draw picks index
    /// <c>j</c> with probability <c>wⱼ / Σw</c>; without it, a picked index's weight becomes 0 for the row's later draws,
    /// so <paramref name="numSamples"/> may not exceed the row's count of non-zero weights. Each draw takes one uniform
    /// number from <paramref name="generator"/>, or from <see cref="Generator.Default"/>, so a seeded run repeats
    /// (the stream differs from PyTorch's).</remarks>
    /// <param name="probabilities">A 1-D tensor of weights, or a 2-D tensor with one row of weights per distribution.</param>
    /// <param name="numSamples">How many indices to draw per row (at least 1).</param>
    /// <param name="replacement">Whether an index may be drawn more than once.</param>
    /// <param name="generator">The random source; null for <see cref="Generator.Default"/>.</param>
    /// <returns>An Int64 tensor <c>[numSamples]</c> for 1-D weights, <c>[rows, numSamples]</c> for 2-D.</returns>
    /// <exception cref="ArgumentException">The weights are not 1-D or 2-D or have no columns, a weight is negative,
    /// infinite or NaN, a row sums to 0, <paramref name="numSamples"/> is not positive, or without replacement it exceeds
    /// a row's count of non-zero weights.</exception>
    public static Tensor Multinomial(Tensor probabilities, int numSamples, bool replacement = false, Generator? generator = null)
    {
        const string op = "Multinomial";
        Check.NotNull(op, probabilities, nameof(probabilities));
        var shape = probabilities.Shape;
        if (shape.Rank is not (1 or 2))
            Check.Fail(op, $"probabilities {shape} must be 1-D or 2-D (one row of weights per distribution).", nameof(probabilities));
        int rows = shape.Rank == 1 ? 1 : shape[0], n = shape[^1];
        if (n == 0) Check.Fail(op, $"probabilities {shape} have no categories to draw from.", nameof(probabilities));
        if (numSamples <= 0) Check.Fail(op, $"numSamples {numSamples} must be positive.", nameof(numSamples));
        var w = probabilities.ToDoubleArray();
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            int nonZero = 0;
            for (int j = 0; j < n; j++)
            {
                double v = w[r * n + j];
                if (!(v >= 0) || double.IsInfinity(v))
                    Check.Fail(op, $"weight {v} at row {r}, column {j} of {shape} must be non-negative and finite.", nameof(probabilities));
                sum += v;
                if (v > 0) nonZero++;
            }
            if (!(sum > 0)) Check.Fail(op, $"row {r} of {shape} sums to 0: there is nothing to draw.", nameof(probabilities));
            if (!replacement && numSamples > nonZero)
                Check.Fail(op, $"cannot draw {numSamples} samples without replacement from row {r} of {shape}, which has " +
                    $"{nonZero} non-zero weights; pass replacement: true or draw fewer.", nameof(numSamples));
        }

        generator ??= Generator.Default;
        var result = new long[rows * numSamples];
        var cumulative = new double[n];
        for (int r = 0; r < rows; r++)
        {
            var row = w.AsSpan(r * n, n);
            for (int s = 0; s < numSamples; s++)
            {
                if (s == 0 || !replacement)
                {
                    double c = 0;
                    for (int j = 0; j < n; j++) cumulative[j] = c += row[j];
                }
                double u = generator.NextDouble() * cumulative[n - 1];
                int pick = Array.BinarySearch(cumulative, u);                          // first j with cumulative[j] > u
                pick = Math.Min(pick < 0 ? ~pick : pick + 1, n - 1);
                while (pick < n - 1 && row[pick] == 0) pick++;                          // never land on a zero weight
                while (row[pick] == 0) pick--;
                result[r * numSamples + s] = pick;
                if (!replacement) row[pick] = 0;
            }
        }
        return Tensor.FromArray(result, shape.Rank == 1 ? [numSamples] : [rows, numSamples]);
    }
}
