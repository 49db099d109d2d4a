using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The notes' Affine layer as one op: <c>y = x Wᵀ + b</c>. Same as <c>torch.nn.functional.linear</c>.</summary>
    /// <remarks>
    /// <para>x is <c>[..., in]</c> (its leading dims are rows), W is <c>[out, in]</c>, b is <c>[out]</c> or null; y is <c>[..., out]</c>.</para>
    /// <para>Forward <c>y = x · Wᵀ + b</c>. Backward <c>dx += g · W</c>, <c>dW += gᵀ · x</c>, <c>db += Σ_rows g</c>.</para>
    /// <para>It computes what <c>Add(MatMul(x, Transpose(W)), b)</c> computes, in one op: the matrix kernel reads Wᵀ in
    /// place, the bias is added to each row without first being broadcast to a full matrix, and there is one output
    /// buffer instead of three. That is most of an MLP's forward pass, so it is worth its own backward.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">W is not 2-D, x's last dim is not W's in, b is not <c>[out]</c>, or the dtypes differ.</exception>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        const string op = "Linear";
        Check.NotNull(op, x, nameof(x));
        Check.NotNull(op, weight, nameof(weight));
        Check.Rank(op, weight, 2, "weight");
        Check.SameDType(op, x, weight);
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (x.Rank == 0 || x.Shape[-1] != inF)
            Check.Fail(op, $"input's last dimension is {(x.Rank == 0 ? "missing" : x.Shape[-1])}, expected inFeatures {inF} (input {x.Shape}, weight {weight.Shape}).", nameof(x));
        if (bias is not null)
        {
            Check.SameDType(op, x, bias);
            if (bias.Shape != new Shape(outF))
                Check.Fail(op, $"bias has shape {bias.Shape}, expected [{outF}] (weight {weight.Shape}).", nameof(bias));
        }
        int rows = x.Shape.Reduce(x.Rank - 1, keepDim: false).Numel;                     // all leading dims
        var dims = x.Shape.ToArray();
        dims[^1] = outF;
        var y = Compute.Empty(new Shape(dims), x.DType);
        Compute.Gemm(x, 0, false, weight, 0, true, y, 0, rows, inF, outF, accumulate: false);     // y = x · Wᵀ
        if (bias is not null)                                                                   //   + b (each row)
        {
            if (y.DType == DType.Float32) Elementwise.AddToRows<float>(y.F32, bias.F32, rows);
            else Elementwise.AddToRows<double>(y.F64, bias.F64, rows);
        }

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Tape.Record(op, y, inputs, "dx += g·W, dW += gᵀ·x, db += Σ_rows g", dy =>
        {
            if (x.RequiresGrad)
                Compute.Gemm(dy, 0, false, weight, 0, false, x.GradBuffer(), 0, rows, outF, inF, accumulate: true);   // dx += g · W
            if (weight.RequiresGrad)
                Compute.Gemm(dy, 0, true, x, 0, false, weight.GradBuffer(), 0, outF, rows, inF, accumulate: true);   // dW += gᵀ · x
            if (bias is { RequiresGrad: true })
            {
                var db = bias.GradBuffer();                                                                         // db += Σ_rows g
                if (db.DType == DType.Float32) Reduce.AddColumnSums<float>(dy.F32, rows, outF, db.F32);
                else Reduce.AddColumnSums<double>(dy.F64, rows, outF, db.F64);
            }
        },
        dy =>
        {
            var g = Reshape(dy, rows, outF);
            return [MatMul(dy, weight), MatMul(Transpose(g, 0, 1), Reshape(x, rows, inF)), bias is null ? null : dy];
        });
    }
}
