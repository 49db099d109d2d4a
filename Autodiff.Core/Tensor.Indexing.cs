namespace Autodiff;

public sealed partial class Tensor
{
    /// <summary>Indexes with integers and ranges as PyTorch's <c>x[...]</c> does, as recorded ops (so gradients flow back):
    /// an integer selects a position and removes its dimension, a range slices and keeps it, and dimensions without a
    /// component are taken whole. <c>x[0, 1..3]</c> is <c>x[0, 1:3]</c>, <c>x[.., ^1]</c> is <c>x[:, -1]</c>.</summary>
    /// <remarks>Each component is an <see cref="Ops.Select"/> or an <see cref="Ops.Slice"/> (a copy, not a view); range
    /// bounds are clamped as Python's are. A full slice <c>x[..]</c> returns x itself. Integers only (<c>x[1, 2]</c>) read
    /// one value as a double through the other indexer.</remarks>
    /// <param name="indices">One component per leading dimension: an int, a C# <see cref="Index"/> (<c>^1</c>) or
    /// <see cref="Range"/> (<c>1..3</c>, <c>..</c>), or <see cref="TensorIndex.Slice"/> for a step.</param>
    /// <exception cref="ArgumentException">More components than dimensions.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A position is outside its dimension.</exception>
    /// <example><code>var lastToken = logits[.., ^1, ..];   // logits[:, -1, :], [B, T, V] -> [B, V]</code></example>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            Check.NotNullArg("Tensor[]", indices, nameof(indices));
            if (indices.Length > Rank)
                Check.Fail("Tensor[]", $"{indices.Length} indices [{string.Join(", ", indices)}] for {Label} of rank {Rank}.", nameof(indices));
            var y = this;
            int d = 0;                                   // y's dim the next component applies to
            for (int k = 0; k < indices.Length; k++)
            {
                var index = indices[k];
                int size = Shape[k];
                if (!index.IsRange)
                {
                    int at = index.Position(size);
                    if (at < 0)
                        Check.FailRange("Tensor[]", $"index {index} is out of range for dim {k} of size {size} ({Label}).", nameof(indices));
                    y = Ops.Select(y, d, at);
                    continue;
                }
                if (!index.IsAll)
                {
                    var (start, end) = index.Bounds(size);
                    y = Ops.Slice(y, d, start, Math.Max(start, end), index.Step);
                }
                d++;
            }
            return y;
        }
    }
}
