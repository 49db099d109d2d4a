namespace Autodiff.NN;

/// <summary>A lookup table of <c>numEmbeddings</c> vectors of size <c>embeddingDim</c>. Same as <c>torch.nn.Embedding</c>.</summary>
/// <remarks>The weight <c>[numEmbeddings, embeddingDim]</c> starts standard normal, drawn from the generator passed in (from
/// <see cref="Generator.Default"/> if none), with the paddingIdx row zeroed, as PyTorch. See <see cref="Ops.Embedding(int[], int[], Tensor, int?)"/> for the formulas.</remarks>
/// <example><code>
/// var embed = new Embedding(10000, 64);
/// var vectors = embed.Forward(tokenIds, [batch, length]);   // [batch, length, 64]
/// </code></example>
public sealed class Embedding : Module
{
    /// <summary>Creates the table and initialises it.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    /// <exception cref="ArgumentOutOfRangeException">paddingIdx is outside <c>[-numEmbeddings, numEmbeddings)</c>.</exception>
    public Embedding(int numEmbeddings, int embeddingDim, int? paddingIdx = null, Generator? generator = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            Check.Fail("Embedding", $"sizes must be positive, got numEmbeddings {numEmbeddings}, embeddingDim {embeddingDim}.", nameof(numEmbeddings));
        if (paddingIdx is int p && (p < -numEmbeddings || p >= numEmbeddings))
            Check.FailRange("Embedding", $"paddingIdx {p} is out of range for {numEmbeddings} embeddings.", nameof(paddingIdx));
        (NumEmbeddings, EmbeddingDim) = (numEmbeddings, embeddingDim);
        PaddingIdx = paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
        RegisterParameter("weight", Tensor.Zeros(numEmbeddings, embeddingDim));
        ResetParameters(generator);
    }

    /// <summary>The number of rows.</summary>
    public int NumEmbeddings { get; }

    /// <summary>The size of each row.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The row that gets no gradient (and starts at zero), or null.</summary>
    public int? PaddingIdx { get; }

    /// <summary>The table, <c>[numEmbeddings, embeddingDim]</c>.</summary>
    public Tensor Weight => GetParameter("weight")!;

    /// <summary>Redraws the table from a standard normal, drawn from <paramref name="generator"/> or, when it is null, from
    /// <see cref="Generator.Default"/>, and zeroes the padding row.</summary>
    /// <remarks>In place, as PyTorch's <c>reset_parameters()</c>: the table stays the same object, so an optimizer built
    /// earlier keeps training it and a frozen table stays frozen.</remarks>
    public void ResetParameters(Generator? generator = null)
    {
        Init.Normal_(Weight, generator: generator);
        if (PaddingIdx is int p)
        {
            if (Weight.DType == DType.Float32) Weight.F32.Slice(p * EmbeddingDim, EmbeddingDim).Clear();
            else Weight.F64.Slice(p * EmbeddingDim, EmbeddingDim).Clear();
        }
    }

    /// <summary>The rows <paramref name="indices"/>, shaped <c>[..shape, embeddingDim]</c>.</summary>
    /// <exception cref="ArgumentException">The index count does not fill the shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>[0, numEmbeddings)</c>.</exception>
    public Tensor Forward(int[] indices, int[] shape) => Ops.Embedding(indices, shape, Weight, PaddingIdx);

    /// <summary>The rows <paramref name="indices"/>, <c>[indices.Length, embeddingDim]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>[0, numEmbeddings)</c>.</exception>
    public Tensor Forward(int[] indices) => Ops.Embedding(indices, Weight, PaddingIdx);

    /// <summary>Looks up indices held in an Int64 tensor (PyTorch's LongTensor), or as whole numbers in a float tensor (so the
    /// layer fits in a <see cref="Sequential"/>); the result
    /// is <c>[..input.Shape, embeddingDim]</c>.</summary>
    /// <exception cref="ArgumentException">A value is not a whole number.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>[0, numEmbeddings)</c>.</exception>
    public override Tensor Forward(Tensor input)
    {
        Check.NotNullAnyDType("Embedding", input, nameof(input));
        if (input.DType == DType.Bool) Check.Fail("Embedding", $"indices must be Int64 (or whole numbers), got a Bool tensor {input.Label}.", nameof(input));
        if (input.DType == DType.Int64)
            return Forward(Check.ClassIndices("Embedding", input.Reshape(input.Numel), nameof(input)), input.Shape.ToArray());
        var values = input.ToDoubleArray();
        var indices = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != Math.Floor(values[i]) || Math.Abs(values[i]) > int.MaxValue)
                Check.Fail("Embedding", $"indices must be whole numbers, got {values[i]} at position {i} of input {input.Shape}.", nameof(input));
            indices[i] = (int)values[i];
        }
        return Forward(indices, input.Shape.ToArray());
    }

    /// <inheritdoc/>
    public override string Describe() =>
        $"Embedding({NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is int p ? $", paddingIdx: {p})" : ")");
}
