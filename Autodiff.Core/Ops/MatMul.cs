using System.Numerics;

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
        int k = aDims[^1];
        if (bDims[^2] != k)
            Check.Fail(op, $"shapes {a.Shape} and {b.Shape} are not compatible (inner dims {k} != {bDims[^2]}).");
        var aBatch = new Shape(aDims[..^2]);
        var bBatch = new Shape(bDims[..^2]);
        var batch = Shape.TryBroadcast(aBatch, bBatch)
            ?? throw new ArgumentException($"{op}: batch dims of {a.Shape} and {b.Shape} cannot be broadcast together ({aBatch} vs {bBatch}).");

        var outDims = new List<int>(batch.ToArray());
        if (a.Rank > 1) outDims.Add(aDims[^2]);
        if (b.Rank > 1) outDims.Add(bDims[^1]);
        var y = Product(a, aDims, false, b, bDims, false, batch, new Shape([.. outDims]));   // C = A · B

        return Tape.Record(op, y, [a, b], "da += g·bᵀ, db += aᵀ·g", [static (g, e) => MatMulGradA(g, e.Inputs[0], e.Inputs[1]),
            static (g, e) => MatMulGradB(g, e.Inputs[0], e.Inputs[1])]);
    }

    /// <summary>MatMul's <c>dA = g · Bᵀ</c>, with 1-D operands read as matrices; a 1-D a gets <c>[..., 1, k]</c>, which the
    /// backward pass sums to <c>[k]</c> like any broadcast batch.</summary>
    private static Tensor MatMulGradA(Tensor g, Tensor a, Tensor b) =>
        MatMulTransposed(AsMatrixGradient(g, a, b), false, b.Rank == 1 ? Reshape(b, b.Shape[0], 1) : b, true);

    /// <summary>MatMul's <c>dB = Aᵀ · g</c>, with 1-D operands read as matrices. For a 2-D b, whatever a's batch, one
    /// product over all of a's rows, <c>[k, B·m] · [B·m, n]</c>, instead of B products to be summed.</summary>
    private static Tensor MatMulGradB(Tensor g, Tensor a, Tensor b)
    {
        if (b.Rank == 2 && a.Rank >= 2) return MatMulOverRows(a, g, b.Shape);
        var db = MatMulTransposed(a.Rank == 1 ? Reshape(a, 1, a.Shape[0]) : a, true, AsMatrixGradient(g, a, b), false);
        return b.Rank == 1 ? Reshape(db, db.Shape.ToArray()[..^1]) : db;                // [..., k, 1] -> [..., k]
    }

    /// <summary>MatMul's incoming gradient with the dims of 1-D operands put back: <c>[..., m, n]</c>.</summary>
    private static Tensor AsMatrixGradient(Tensor g, Tensor a, Tensor b)
    {
        if (a.Rank > 1 && b.Rank > 1) return g;
        var dims = g.Shape.ToArray();
        int batchRank = dims.Length - (a.Rank > 1 ? 1 : 0) - (b.Rank > 1 ? 1 : 0);
        return Reshape(g, [.. dims[..batchRank], a.Rank > 1 ? dims[batchRank] : 1, b.Rank > 1 ? dims[^1] : 1]);
    }

    /// <summary><c>op(a) · op(b)</c>, <c>op</c> a transpose of the last two dims where the flag says so, read in place:
    /// the products of MatMul's and Linear's backward, as an op with its own derivative so that second order works.</summary>
    /// <remarks>Both operands have rank 2 or more, matching inner dims and broadcastable batch dims (the callers' shapes
    /// guarantee it). Backward, for <c>y = op(a)·op(b)</c>: <c>d op(a) = g·op(b)ᵀ</c> and <c>d op(b) = op(a)ᵀ·g</c>, each
    /// again a product of this family.</remarks>
    /// <param name="a">The left operand, <c>[..., m, k]</c> (or <c>[..., k, m]</c> when <paramref name="transA"/>).</param>
    /// <param name="transA">Whether to read a's last two dims transposed.</param>
    /// <param name="b">The right operand, <c>[..., k, n]</c> (or <c>[..., n, k]</c> when <paramref name="transB"/>).</param>
    /// <param name="transB">Whether to read b's last two dims transposed.</param>
    /// <param name="shape">The result's shape <c>[m, n]</c> when both operands are 2-D and the caller holds it already
    /// (a rule's input shape), so that it is not allocated again; else null.</param>
    internal static Tensor MatMulTransposed(Tensor a, bool transA, Tensor b, bool transB, Shape? shape = null)
    {
        Tensor y;
        if (a.Rank == 2 && b.Rank == 2)                                                  // the common case, kept lean
        {
            int m = a.Shape[transA ? 1 : 0], k = a.Shape[transA ? 0 : 1], n = b.Shape[transB ? 0 : 1];
            y = Compute.Empty(shape ?? new Shape(m, n), a.DType);
            Compute.Run(a.DType, new GemmKernel(a, transA, b, transB, y, m, k, n, null, null));
        }
        else
        {
            var (aDims, bDims) = (a.Shape.ToArray(), b.Shape.ToArray());
            var batch = Shape.TryBroadcast(new Shape(aDims[..^2]), new Shape(bDims[..^2]))!;
            y = Product(a, aDims, transA, b, bDims, transB, batch,
                new Shape([.. batch.ToArray(), transA ? aDims[^1] : aDims[^2], transB ? bDims[^2] : bDims[^1]]));
        }

        int flags = (transA ? 2 : 0) + (transB ? 1 : 0);
        return Tape.Record(s_productNames[flags], y, [a, b], s_productFormulas[flags], s_productRules[flags]);
    }

    private static readonly string[] s_productNames = ["MatMul", "MatMul(a, bᵀ)", "MatMul(aᵀ, b)", "MatMul(aᵀ, bᵀ)"];

    private static readonly string[] s_productFormulas =
        ["da += g·bᵀ, db += aᵀ·g", "da += g·b, db += gᵀ·a", "da += b·gᵀ, db += a·g", "da += bᵀ·gᵀ, db += gᵀ·aᵀ"];

    // One pair of rules per (transA, transB), indexed like the names: for y = op(a)·op(b), d op(a) = g·op(b)ᵀ and
    // d op(b) = op(a)ᵀ·g, transposed back where a or b was read transposed.
    private static readonly Derivative[][] s_productRules =
    [
        [static (g, e) => MatMulTransposed(g, false, e.Inputs[1], true),                // y = a·b:   da = g·bᵀ
         static (g, e) => MatMulTransposed(e.Inputs[0], true, g, false)],               //            db = aᵀ·g
        [static (g, e) => MatMulTransposed(g, false, e.Inputs[1], false),               // y = a·bᵀ:  da = g·b
         static (g, e) => MatMulTransposed(g, true, e.Inputs[0], false)],               //            db = gᵀ·a
        [static (g, e) => MatMulTransposed(e.Inputs[1], false, g, true),                // y = aᵀ·b:  da = b·gᵀ
         static (g, e) => MatMulTransposed(e.Inputs[0], false, g, false)],              //            db = a·g
        [static (g, e) => MatMulTransposed(e.Inputs[1], true, g, true),                 // y = aᵀ·bᵀ: da = bᵀ·gᵀ
         static (g, e) => MatMulTransposed(g, true, e.Inputs[0], true)],                //            db = gᵀ·aᵀ
    ];

    /// <summary><c>aᵀ · b</c> with the leading dims of a <c>[..., k]</c> and b <c>[..., n]</c> read as rows: <c>y[k, n] =
    /// Σ_rows a[row, k] · b[row, n]</c>, one product whose depth is every row (aᵀ read in place, nothing reshaped). The
    /// weight gradient of Linear (<c>gᵀ·x</c>) and of MatMul with a 2-D right operand.</summary>
    /// <remarks>a and b have the same leading dims. Backward <c>da = b · gᵀ</c>, <c>db = a · g</c>, each a product of one
    /// batched and one 2-D operand.</remarks>
    /// <param name="a">The left operand <c>[..., k]</c>, read transposed.</param>
    /// <param name="b">The right operand <c>[..., n]</c>, with a's leading dims.</param>
    /// <param name="shape">The result's shape <c>[k, n]</c> when the caller holds it already (the weight's), else null.</param>
    internal static Tensor MatMulOverRows(Tensor a, Tensor b, Shape? shape = null)
    {
        int k = a.Shape[-1], n = b.Shape[-1], rows = 1;
        for (int d = 0; d < a.Rank - 1; d++) rows *= a.Shape[d];
        var y = Compute.Empty(shape ?? new Shape(k, n), a.DType);
        Compute.Run(a.DType, new GemmKernel(a, true, b, false, y, k, rows, n, null, null));

        return Tape.Record("MatMulOverRows", y, [a, b], "da += b·gᵀ, db += a·g",
            [static (g, e) => MatMulTransposed(AsMatrix(e.Inputs[1]), false, g, true),
             static (g, e) => MatMulTransposed(AsMatrix(e.Inputs[0]), false, g, false)]);
    }

    /// <summary>A 1-D tensor read as one row <c>[1, n]</c> (a view); others as they are.</summary>
    private static Tensor AsMatrix(Tensor x) => x.Rank == 1 ? Reshape(x, 1, x.Shape[0]) : x;

    /// <summary>The one body of every product: <c>op(a)·op(b)</c> per batch index into a new tensor of <paramref name="shape"/>,
    /// <paramref name="aDims"/> and <paramref name="bDims"/> being the operands' dims as matrices (rank 2 or more).</summary>
    private static Tensor Product(Tensor a, int[] aDims, bool transA, Tensor b, int[] bDims, bool transB, Shape batch, Shape shape)
    {
        int m = transA ? aDims[^1] : aDims[^2], k = transA ? aDims[^2] : aDims[^1], n = transB ? bDims[^2] : bDims[^1];
        var y = Compute.Empty(shape, a.DType);
        if (bDims.Length == 2 && !transA)                                                // fold a's batch into its rows
            Compute.Run(a.DType, new GemmKernel(a, transA, b, transB, y, batch.Numel * m, k, n, null, null));
        else
        {
            var (aOffsets, bOffsets) = BatchOffsets(new Shape(aDims[..^2]), new Shape(bDims[..^2]), batch, m * k, k * n);
            Compute.Run(a.DType, new GemmKernel(a, transA, b, transB, y, m, k, n, aOffsets, bOffsets));
        }
        return y;
    }

    /// <summary><c>y[i] = op(a[aOffsets[i]..]) · op(b[bOffsets[i]..])</c> for each batch index i, or one product when the
    /// offsets are null.</summary>
    private readonly struct GemmKernel(Tensor a, bool transA, Tensor b, bool transB, Tensor y, int m, int k, int n, int[]? aOffsets, int[]? bOffsets)
        : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            ReadOnlySpan<T> sa = a.Data<T>(), sb = b.Data<T>();
            var sy = y.Data<T>();
            int count = aOffsets?.Length ?? 1;
            for (int i = 0; i < count; i++)
                Kernels.MatMul.Gemm(sa.Slice(aOffsets?[i] ?? 0, m * k), transA, sb.Slice(bOffsets?[i] ?? 0, k * n), transB,
                    sy.Slice(i * m * n, m * n), m, k, n, accumulate: false);
        }
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
