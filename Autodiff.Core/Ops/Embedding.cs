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
        var y = GatherRows(weight, saved, -1, new Shape([.. indexShape, width]));       // y[i, :] = W[idx[i], :]

        return Tape.Record(op, y, [weight], "dW[idx[i]] += g[i]", dy =>
            ScatterAddRows(dy, saved, skip, weight.GradBuffer()),                       // dW[idx[i], :] += g[i, :]
            dy => [EmbeddingScatter(dy, saved, skip, weight.Shape)]);
    }

    /// <summary>Embedding's backward as a recorded op (for <c>createGraph</c>): zeros of the table's shape with each row of g
    /// added at its index. It is linear; its backward reads those rows back (<see cref="EmbeddingGather"/>).</summary>
    private static Tensor EmbeddingScatter(Tensor g, int[] indices, int skip, Shape tableShape)
    {
        var y = Compute.Zeros(tableShape, g.DType);
        ScatterAddRows(g, indices, skip, y);                                             // y[idx[i], :] += g[i, :]

        return Tape.Record("EmbeddingBackward", y, [g], "dg[i] += dy[idx[i]]", dy =>
            g.AccumulateGrad(GatherRows(dy, indices, skip, g.Shape), owned: true),      // dg[i, :] += dy[idx[i], :]
            dy => [EmbeddingGather(dy, indices, skip, g.Shape)]);
    }

    /// <summary>The rows of a table-shaped tensor at the indices (zeros at the padding index), as a recorded op: the
    /// differentiable backward of <see cref="EmbeddingScatter"/>.</summary>
    private static Tensor EmbeddingGather(Tensor table, int[] indices, int skip, Shape shape)
    {
        var y = GatherRows(table, indices, skip, shape);                                 // y[i, :] = table[idx[i], :]

        return Tape.Record("Embedding", y, [table], "dW[idx[i]] += g[i]", dy =>
            ScatterAddRows(dy, indices, skip, table.GradBuffer()),                      // dtable[idx[i], :] += g[i, :]
            dy => [EmbeddingScatter(dy, indices, skip, table.Shape)]);
    }

    /// <summary>A new tensor of <paramref name="shape"/> whose rows are the table's rows at the indices (zeros at <paramref name="skip"/>).</summary>
    private static Tensor GatherRows(Tensor table, int[] indices, int skip, Shape shape)
    {
        var y = Compute.Empty(shape, table.DType);
        if (y.DType == DType.Float32) Layout.GatherRows<float>(table.F32, indices, table.Shape[1], skip, y.F32);
        else Layout.GatherRows<double>(table.F64, indices, table.Shape[1], skip, y.F64);
        return y;
    }

    /// <summary><c>table[idx[i], :] += g[i, :]</c>, skipping rows whose index is <paramref name="skip"/>.</summary>
    private static void ScatterAddRows(Tensor g, int[] indices, int skip, Tensor table)
    {
        if (g.DType == DType.Float32) Layout.ScatterAddRows<float>(g.F32, indices, table.Shape[1], skip, table.F32);
        else Layout.ScatterAddRows<double>(g.F64, indices, table.Shape[1], skip, table.F64);
    }

    /// <summary>Looks up the rows <paramref name="indices"/> of an embedding table: a <c>[indices.Length, embeddingDim]</c> result.</summary>
    /// <inheritdoc cref="Embedding(int[], int[], Tensor, int?)"/>
    public static Tensor Embedding(int[] indices, Tensor weight, int? paddingIdx = null)
    {
        Check.NotNullArg("Embedding", indices, nameof(indices));
        return Embedding(indices, [indices.Length], weight, paddingIdx);
    }
}
