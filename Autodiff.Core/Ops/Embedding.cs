using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Looks up rows of an embedding table. Same as <c>torch.nn.functional.embedding</c>.</summary>
    /// <remarks>Forward <c>y[i, :] = W[idx[i], :]</c>. Backward <c>dW[idx[i], :] += g[i, :]</c> (a scatter-add, so a repeated
    /// index collects every copy's gradient), except for rows equal to <paramref name="paddingIdx"/>, which get none.</remarks>
    /// <param name="indices">Row numbers in <c>[0, numEmbeddings)</c>, flattened row-major from <paramref name="shape"/>.</param>
    /// <param name="shape">The shape of the index array, e.g. <c>[B, T]</c>; the result is <c>[..shape, embeddingDim]</c>.</param>
    /// <param name="weight">The table, <c>[numEmbeddings, embeddingDim]</c>.</param>
    /// <param name="paddingIdx">A row that receives no gradient (negative counts from the end), or null.</param>
    /// <exception cref="ArgumentException">The weight is not 2-D, or the index count does not match the shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index or paddingIdx is outside <c>[0, numEmbeddings)</c>.</exception>
    public static Tensor Embedding(int[] indices, int[] shape, Tensor weight, int? paddingIdx = null)
    {
        const string op = "Embedding";
        Check.NotNullArg(op, indices, nameof(indices));
        var indexShape = Check.ShapeArg(op, shape, nameof(shape));
        Check.NotNull(op, weight, nameof(weight));
        Check.Rank(op, weight, 2, "weight [numEmbeddings, embeddingDim]");
        int rows = weight.Shape[0], width = weight.Shape[1];
        if (indices.Length != indexShape.Numel)
            Check.Fail(op, $"{indices.Length} indices do not fill shape {indexShape} ({indexShape.Numel} elements).", nameof(indices));
        foreach (int i in indices)
            if ((uint)i >= (uint)rows)
                Check.FailRange(op, $"index {i} is out of range for weight {weight.Shape} ({rows} embeddings).", nameof(indices));
        int skip = -1;
        if (paddingIdx is int p)
        {
            skip = p < 0 ? p + rows : p;
            if ((uint)skip >= (uint)rows)
                Check.FailRange(op, $"paddingIdx {p} is out of range for weight {weight.Shape} ({rows} embeddings).", nameof(paddingIdx));
        }
        var saved = (int[])indices.Clone();
        var y = Compute.Empty(new Shape([.. indexShape, width]), weight.DType);
        if (y.DType == DType.Float32) Layout.GatherRows<float>(weight.F32, saved, width, y.F32);   // y[i, :] = W[idx[i], :]
        else Layout.GatherRows<double>(weight.F64, saved, width, y.F64);

        return Tape.Record(op, y, [weight], "dW[idx[i]] += g[i]", dy =>
        {
            var dw = weight.GradBuffer();                                                // dW[idx[i], :] += g[i, :]
            if (dw.DType == DType.Float32) Layout.ScatterAddRows<float>(dy.F32, saved, width, skip, dw.F32);
            else Layout.ScatterAddRows<double>(dy.F64, saved, width, skip, dw.F64);
        });
    }

    /// <summary>Looks up the rows <paramref name="indices"/> of an embedding table: a <c>[indices.Length, embeddingDim]</c> result.</summary>
    /// <inheritdoc cref="Embedding(int[], int[], Tensor, int?)"/>
    public static Tensor Embedding(int[] indices, Tensor weight, int? paddingIdx = null)
    {
        Check.NotNullArg("Embedding", indices, nameof(indices));
        return Embedding(indices, [indices.Length], weight, paddingIdx);
    }
}
