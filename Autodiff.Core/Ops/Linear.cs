using System.Numerics;
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
        Compute.Run(x.DType, new LinearKernel(x, weight, bias, y, rows, inF, outF));     // y = x · Wᵀ + b

        const string formula = "dx += g·W, dW += gᵀ·x, db += Σ_rows g";
        return bias is null
            ? Tape.Record(op, y, [x, weight], formula, [LinearGradInput, LinearGradWeight])
            : Tape.Record(op, y, [x, weight, bias], formula, [LinearGradInput, LinearGradWeight, LinearGradBias]);
    }

    /// <summary>Linear's <c>dx = g · W</c>: one product <c>[rows, out] · [out, in]</c>, the leading dims read as rows.</summary>
    private static Tensor LinearGradInput(Tensor g, TapeEntry e) => g.Rank == 1
        ? Reshape(MatMulTransposed(AsMatrix(g), false, e.Inputs[1], false), e.Inputs[0].Shape[0])
        : MatMulTransposed(g, false, e.Inputs[1], false, e.Inputs[0].Shape);

    /// <summary>Linear's <c>dW = gᵀ · x</c>: one product <c>[out, rows] · [rows, in]</c>, gᵀ read in place.</summary>
    private static Tensor LinearGradWeight(Tensor g, TapeEntry e) => MatMulOverRows(g, e.Inputs[0], e.Inputs[1].Shape);

    /// <summary>Linear's <c>db = Σ_rows g</c>.</summary>
    private static Tensor LinearGradBias(Tensor g, TapeEntry e) => SumTo(g, e.Inputs[2].Shape);

    /// <summary><c>y = x · Wᵀ</c> (the matrix kernel reads Wᵀ in place), then <c>+ b</c> on each row.</summary>
    private readonly struct LinearKernel(Tensor x, Tensor weight, Tensor? bias, Tensor y, int rows, int inF, int outF) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var sy = y.Data<T>();
            Kernels.MatMul.Gemm<T>(x.Data<T>(), false, weight.Data<T>(), true, sy, rows, inF, outF, accumulate: false);
            if (bias is not null) Elementwise.AddToRows<T>(sy, bias.Data<T>(), rows);
        }
    }
}
