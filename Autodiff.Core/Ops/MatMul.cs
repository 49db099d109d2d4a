namespace Autodiff;

public static partial class Ops
{
    /// <summary>Matrix product with PyTorch's rules. Same as <c>torch.matmul</c>.</summary>
    /// <remarks>
    /// <para>1-D · 1-D is a dot product (a scalar); 2-D · 2-D is <c>[m, k] · [k, n] = [m, n]</c>; a 1-D left operand is
    /// read as <c>[1, k]</c> and a 1-D right operand as <c>[k, 1]</c>, the added dim being dropped from the result; with more
    /// dims, the leading (batch) dims broadcast, e.g. <c>[B, m, k] · [k, n] = [B, m, n]</c>.</para>
    /// <para>Forward <c>C = A · B</c>. Backward <c>dA += g · Bᵀ</c>, <c>dB += Aᵀ · g</c> per batch, summed over the batch
    /// dims an operand was broadcast along. The kernel reads the transposes in place; nothing is copied.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">An operand is a scalar, the inner dimensions differ, the batch dims cannot be
    /// broadcast, or the dtypes differ.</exception>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        const string op = "MatMul";
        Check.NotNull(op, a, nameof(a));
        Check.NotNull(op, b, nameof(b));
        Check.SameDType(op, a, b);
        if (a.Rank == 0 || b.Rank == 0) Check.Fail(op, $"both operands need at least one dimension, got {a.Shape} and {b.Shape}.");
        // Read 1-D operands as matrices: a [k] -> [1, k], b [k] -> [k, 1].
        int[] aDims = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape.ToArray();
        int[] bDims = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape.ToArray();
        int m = aDims[^2], k = aDims[^1], n = bDims[^1];
        if (bDims[^2] != k)
            Check.Fail(op, $"shapes {a.Shape} and {b.Shape} are not compatible (inner dims {k} != {bDims[^2]}).");
        var aBatch = new Shape(aDims[..^2]);
        var bBatch = new Shape(bDims[..^2]);
        var batch = Shape.TryBroadcast(aBatch, bBatch)
            ?? throw new ArgumentException($"{op}: batch dims of {a.Shape} and {b.Shape} cannot be broadcast together ({aBatch} vs {bBatch}).");

        var outDims = new List<int>(batch.ToArray());
        if (a.Rank > 1) outDims.Add(m);
        if (b.Rank > 1) outDims.Add(n);
        var y = Compute.Empty(new Shape([.. outDims]), a.DType);
        var (aOffsets, bOffsets) = BatchOffsets(aBatch, bBatch, batch, m * k, k * n);
        for (int i = 0; i < batch.Numel; i++)                                            // C = A · B
            Compute.Gemm(a, aOffsets[i], false, b, bOffsets[i], false, y, i * m * n, m, k, n, accumulate: false);

        return Tape.Record(op, y, [a, b], "da += g·bᵀ, db += aᵀ·g", dy =>
        {
            if (a.RequiresGrad)
            {
                var da = a.GradBuffer();                                                 // dA += g · Bᵀ
                for (int i = 0; i < batch.Numel; i++)
                    Compute.Gemm(dy, i * m * n, false, b, bOffsets[i], true, da, aOffsets[i], m, n, k, accumulate: true);
            }
            if (b.RequiresGrad)
            {
                var db = b.GradBuffer();                                                 // dB += Aᵀ · g
                for (int i = 0; i < batch.Numel; i++)
                    Compute.Gemm(a, aOffsets[i], true, dy, i * m * n, false, db, bOffsets[i], k, m, n, accumulate: true);
            }
        },
        dy =>
        {
            // The same products with ops; 1-D operands are read as matrices, and their gradients summed back to [k].
            var (am, bm) = (a.Rank == 1 ? Unsqueeze(a, 0) : a, b.Rank == 1 ? Unsqueeze(b, -1) : b);
            var g = a.Rank == 1 ? Unsqueeze(dy, -2) : dy;
            if (b.Rank == 1) g = Unsqueeze(g, -1);
            var da = MatMul(g, Transpose(bm, -1, -2));                                    // dA += g · Bᵀ
            var db = MatMul(Transpose(am, -1, -2), g);                                    // dB += Aᵀ · g
            return [a.Rank == 1 ? Reshape(SumTo(da, new Shape(1, k)), k) : da,
                    b.Rank == 1 ? Reshape(SumTo(db, new Shape(k, 1)), k) : db];
        });
    }

    /// <summary>For each batch index of the broadcast batch shape, the element offset of the matching matrix in a and b
    /// (a broadcast operand repeats its matrix).</summary>
    private static (int[] A, int[] B) BatchOffsets(Shape aBatch, Shape bBatch, Shape batch, int aMatrix, int bMatrix)
    {
        var aStrides = aBatch.BroadcastStrides(batch);
        var bStrides = bBatch.BroadcastStrides(batch);
        var (aOffsets, bOffsets) = (new int[batch.Numel], new int[batch.Numel]);
        for (int i = 0; i < batch.Numel; i++)
        {
            int rest = i, aIndex = 0, bIndex = 0;
            for (int d = batch.Rank - 1; d >= 0; d--)
            {
                int idx = rest % batch[d];
                rest /= batch[d];
                aIndex += idx * aStrides[d];
                bIndex += idx * bStrides[d];
            }
            (aOffsets[i], bOffsets[i]) = (aIndex * aMatrix, bIndex * bMatrix);
        }
        return (aOffsets, bOffsets);
    }
}
