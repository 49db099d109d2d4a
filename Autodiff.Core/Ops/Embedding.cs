using System.Numerics;
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
        return EmbeddingLookup(weight, (int[])indices.Clone(), zeroRow: -1, skip, new Shape([.. indexShape, width]));
    }

    /// <summary>The rows of <paramref name="table"/> at the indices, as <paramref name="shape"/>, as a recorded op whose
    /// backward scatters g's rows back (<see cref="EmbeddingBackward"/>), skipping <paramref name="skip"/>. Embedding's
    /// forward reads every row (<paramref name="zeroRow"/> = -1); as the adjoint of EmbeddingBackward it reads zeros for
    /// <paramref name="zeroRow"/> = skip, the row that backward leaves out.</summary>
    private static Tensor EmbeddingLookup(Tensor table, int[] indices, int zeroRow, int skip, Shape shape)
    {
        var y = Compute.Empty(shape, table.DType);
        Compute.Run(table.DType, new RowsKernel(table, indices, table.Shape[1], zeroRow, y, scatter: false));   // y[i, :] = W[idx[i], :]

        return Tape.Record("Embedding", y, [table], "dW[idx[i]] += g[i]",
            [(g, e) => EmbeddingBackward(g, indices, skip, e.Inputs[0].Shape)]);
    }

    /// <summary>Embedding's backward as a named op: zeros of the table's shape with each row of g added at its index,
    /// except at <paramref name="skip"/> (the padding row). It is linear; its backward reads those rows back.</summary>
    private static Tensor EmbeddingBackward(Tensor g, int[] indices, int skip, Shape tableShape)
    {
        var y = Compute.Zeros(tableShape, g.DType);
        Compute.Run(g.DType, new RowsKernel(g, indices, tableShape[1], skip, y, scatter: true));     // y[idx[i], :] += g[i, :]

        return Tape.Record("EmbeddingBackward", y, [g], "dg[i] += dy[idx[i]]",
            [(dy, e) => EmbeddingLookup(dy, indices, zeroRow: skip, skip, e.Inputs[0].Shape)]);
    }

    /// <summary>Rows of <paramref name="width"/> at the indices, skipping index <paramref name="skip"/> (-1: none): gathered
    /// out of a table (zeros where skipped), or scatter-added into one (the adjoint).</summary>
    private readonly struct RowsKernel(Tensor source, int[] indices, int width, int skip, Tensor destination, bool scatter) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            if (scatter) Layout.ScatterAddRows<T>(source.Data<T>(), indices, width, skip, destination.Data<T>());
            else Layout.GatherRows<T>(source.Data<T>(), indices, width, skip, destination.Data<T>());
        }
    }

    /// <summary>Looks up the rows <paramref name="indices"/> of an embedding table: a <c>[indices.Length, embeddingDim]</c> result.</summary>
    /// <inheritdoc cref="Embedding(int[], int[], Tensor, int?)"/>
    public static Tensor Embedding(int[] indices, Tensor weight, int? paddingIdx = null)
    {
        Check.NotNullArg("Embedding", indices, nameof(indices));
        return Embedding(indices, [indices.Length], weight, paddingIdx);
    }
}
