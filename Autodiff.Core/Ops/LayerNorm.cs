using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Layer normalization over the last dims of the input. Same as <c>torch.nn.functional.layer_norm</c>.</summary>
    /// <remarks>Each row of M values (the trailing <paramref name="normalizedShape"/> dims) is normalized by its own mean μ and
    /// biased variance σ²: forward <c>y = (x - μ)/√(σ² + eps) ⊙ w + b</c>. Backward, with <c>x̂ = (x - μ)·rstd</c> and
    /// <c>ĝ = g ⊙ w</c>: <c>dx += rstd·(ĝ - Σĝ/M - x̂·Σ(ĝ·x̂)/M)</c> per row, <c>dw += Σ_rows g ⊙ x̂</c>, <c>db += Σ_rows g</c>.
    /// Only μ and rstd per row are saved.</remarks>
    /// <param name="input">[..., *normalizedShape].</param>
    /// <param name="normalizedShape">The trailing dims to normalize over, e.g. <c>[C]</c>.</param>
    /// <param name="weight">Elementwise scale of shape normalizedShape, or null for 1.</param>
    /// <param name="bias">Elementwise shift of shape normalizedShape, or null for 0.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <exception cref="ArgumentException">normalizedShape is empty or is not the input's trailing dims; weight or bias does not
    /// have shape normalizedShape or has another dtype; eps is NaN.</exception>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "LayerNorm";
        Check.NotNull(op, input, nameof(input));
        var normalized = Check.ShapeArg(op, normalizedShape, nameof(normalizedShape));
        Check.NotNaN(op, eps, nameof(eps));
        int d = normalized.Rank;
        if (d == 0 || d > input.Rank || !input.Shape.Skip(input.Rank - d).SequenceEqual(normalized))
            Check.Fail(op, $"normalizedShape {normalized} must be non-empty and equal the trailing dims of input {input.Shape}.", nameof(normalizedShape));
        foreach (var (t, name) in new[] { (weight, nameof(weight)), (bias, nameof(bias)) })
        {
            if (t is null) continue;
            Check.SameDType(op, input, t);
            if (t.Shape != normalized) Check.Fail(op, $"{name} has shape {t.Shape}, expected normalizedShape {normalized} (input {input.Shape}).", name);
        }

        var rows = new LayerNormRows(input, normalized, eps);                           // μ and rstd per row, saved for the backward
        var y = Compute.Empty(input.Shape, input.DType);
        Compute.Run(input.DType, new LayerNormKernel(input, weight, bias, rows, y));    // y = (x - μ)·rstd ⊙ w + b

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Tape.Record(op, y, inputs, "dx += rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂)), dw += Σ g·x̂, db += Σ g",
            g => LayerNormGradients(g, input, weight, bias, rows));
    }

    /// <summary>LayerNorm's gradients for the output gradient g, one per input (x, then weight and bias when given):
    /// <c>dx = rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂))</c>, <c>dw = Σ_rows g ⊙ x̂</c>, <c>db = Σ_rows g</c>.</summary>
    /// <remarks>In a plain backward pass one fused kernel computes the three together, in two passes over x and g. Under
    /// <c>createGraph</c> each is a recorded op (<see cref="LayerNormBackward"/>, <see cref="LayerNormBackwardWeight"/>, and g
    /// itself, which the pass sums over the rows), so they can be differentiated again; the ops run the same kernel.</remarks>
    private static Tensor?[] LayerNormGradients(Tensor g, Tensor x, Tensor? weight, Tensor? bias, LayerNormRows rows)
    {
        bool wantX = x.RequiresGrad, wantW = weight is { RequiresGrad: true }, wantB = bias is { RequiresGrad: true };
        Tensor? dx, dw, db;
        if (Tape.IsRecording)
        {
            dx = wantX ? LayerNormBackward(g, x, weight, rows) : null;                 // dx = rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂))
            dw = wantW ? LayerNormBackwardWeight(g, x, rows) : null;                   // dw = Σ_rows g ⊙ x̂
            db = wantB ? g : null;                                                       // db = Σ_rows g: the pass sums g over the rows
        }
        else
        {
            dx = wantX ? Compute.Empty(x.Shape, x.DType) : null;
            dw = wantW ? Compute.Empty(rows.NormalizedShape, x.DType) : null;
            db = wantB ? Compute.Empty(rows.NormalizedShape, x.DType) : null;
            Compute.Run(x.DType, new LayerNormBackwardKernel(g, x, weight, rows, dx, dw, db));
        }
        return [dx, .. weight is null ? Array.Empty<Tensor?>() : [dw], .. bias is null ? Array.Empty<Tensor?>() : [db]];
    }

    /// <summary>The input gradient of LayerNorm as an op: <c>dx = rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂))</c> per row, with
    /// <c>ĝ = dy ⊙ w</c> (w = 1 when <paramref name="weight"/> is null) and the forward's saved μ and rstd.</summary>
    /// <remarks>Its own derivative, against the gradient g of dx, with <c>h = LayerNormBackward(g, x)</c> (no weight; the map
    /// ĝ ↦ dx is symmetric): <c>d(dy) = h ⊙ w</c>, <c>dw = Σ_rows dy ⊙ h</c>, and <c>dx</c> from
    /// <see cref="NormalizedSecondDerivative"/>, which recomputes μ and rstd with ops so that every order follows x.</remarks>
    private static Tensor LayerNormBackward(Tensor dy, Tensor x, Tensor? weight, LayerNormRows rows)
    {
        var dx = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new LayerNormBackwardKernel(dy, x, weight, rows, dx, null, null));   // dx = rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂))

        Tensor[] inputs = weight is null ? [dy, x] : [dy, x, weight];
        return Tape.Record("LayerNormBackward", dx, inputs, "d(dy) += w⊙h, dx += ∂(rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂)))/∂x·g, dw += Σ dy⊙h", g =>
        {
            var h = dy.RequiresGrad || weight is { RequiresGrad: true } ? LayerNormBackward(g, x, null, rows) : null;
            return [dy.RequiresGrad ? (weight is null ? h : h! * weight) : null,
                    x.RequiresGrad ? rows.Unview(NormalizedSecondDerivative(rows.View(g), rows.View(weight is null ? dy : dy * weight),
                        rows.View(x), rows.Eps, RowMean), x) : null,
                    weight is { RequiresGrad: true } ? dy * h! : null];                 // the pass sums dy ⊙ h over the rows
        });
    }

    /// <summary>The weight gradient of LayerNorm as an op: <c>dw = Σ_rows dy ⊙ x̂</c>, of shape normalizedShape.</summary>
    /// <remarks>Its own derivative, against the gradient g of dw: <c>d(dy) = g ⊙ x̂</c> (x̂ recomputed by LayerNorm, so that
    /// it follows x) and <c>dx = LayerNormBackward(dy, x, w = g)</c>, x̂'s backward for the gradient <c>dy ⊙ g</c>.</remarks>
    private static Tensor LayerNormBackwardWeight(Tensor dy, Tensor x, LayerNormRows rows)
    {
        var dw = Compute.Empty(rows.NormalizedShape, x.DType);
        Compute.Run(x.DType, new LayerNormBackwardKernel(dy, x, null, rows, null, dw, null));    // dw = Σ_rows dy ⊙ x̂

        return Tape.Record("LayerNormBackwardWeight", dw, [dy, x], "d(dy) += g⊙x̂, dx += LayerNormBackward(dy, w: g)",
            [(g, e) => g * LayerNorm(e.Inputs[1], rows.NormalizedShape.ToArray(), eps: rows.Eps),
             (g, e) => LayerNormBackward(e.Inputs[0], e.Inputs[1], g, rows)]);
    }

    /// <summary>The derivative in x of a normalization's input gradient <c>dx = rstd·u</c>, <c>u = a - mean a - x̂·c</c>,
    /// <c>c = mean(a·x̂)</c> (a = dy ⊙ w, constant in x), against its gradient g:
    /// <c>rstd²·(-c·(g - mean g - x̂·mean(g·x̂)) - x̂·mean(g·u) - u·mean(g·x̂))</c>. Means are over each group of
    /// <paramref name="groupMean"/> (LayerNorm's rows, BatchNorm's channels); μ and rstd are recomputed with ops from x, so
    /// the result can be differentiated again.</summary>
    private static Tensor NormalizedSecondDerivative(Tensor g, Tensor a, Tensor x, double eps, Func<Tensor, Tensor> groupMean)
    {
        var centered = x - groupMean(x);
        var rstd = Pow(groupMean(centered * centered) + eps, -0.5);
        var xhat = centered * rstd;
        var c = groupMean(a * xhat);
        var u = a - groupMean(a) - xhat * c;                                           // dx = rstd·u
        var gx = groupMean(g * xhat);
        return rstd * rstd * (-c * (g - groupMean(g) - xhat * gx) - xhat * groupMean(g * u) - u * gx);
    }

    /// <summary>The mean over each row of [R, M], kept as [R, 1].</summary>
    private static Tensor RowMean(Tensor x) => Mean(x, 1, keepDim: true);

    /// <summary>LayerNorm's view of its input as R rows of M values, and what its backward ops read: the rows' μ and rstd
    /// (constants for the kernels), normalizedShape, and eps (to recompute the statistics with ops where a derivative must
    /// follow x).</summary>
    private sealed class LayerNormRows
    {
        public readonly int Count, M;
        public readonly Shape NormalizedShape;
        public readonly double Eps;
        public readonly Tensor Mean, Rstd;                                               // [R]

        public LayerNormRows(Tensor input, Shape normalizedShape, double eps)
        {
            M = normalizedShape.Numel;
            Count = M == 0 ? 0 : input.Numel / M;
            (NormalizedShape, Eps) = (normalizedShape, eps);
            (Mean, Rstd) = (Compute.Empty(new Shape(Count), input.DType), Compute.Empty(new Shape(Count), input.DType));
        }

        /// <summary>t as [R, M].</summary>
        public Tensor View(Tensor t) => Reshape(t, Count, M);

        /// <summary>An [R, M] tensor back in the shape of <paramref name="like"/>.</summary>
        public Tensor Unview(Tensor t, Tensor like) => Reshape(t, like.Shape.ToArray());
    }

    /// <summary>LayerNorm's forward: μ and rstd per row into <c>rows</c>, and <c>y = (x - μ)·rstd ⊙ w + b</c>.</summary>
    private readonly struct LayerNormKernel(Tensor x, Tensor? weight, Tensor? bias, LayerNormRows rows, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T> =>
            Normalization.RowForward<T>(x.Data<T>(), rows.M, T.CreateChecked(rows.Eps), DataOf<T>(weight), DataOf<T>(bias), 0, rows.Count,
                rows.Mean.Data<T>(), rows.Rstd.Data<T>(), y.Data<T>());
    }

    /// <summary>LayerNorm's gradients into the destinations given (null: not wanted): dx of the input's shape, dw and db of
    /// normalizedShape.</summary>
    private readonly struct LayerNormBackwardKernel(Tensor dy, Tensor x, Tensor? weight, LayerNormRows rows, Tensor? dx, Tensor? dw,
        Tensor? db) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            Span<T> w = DataOf<T>(dw), b = DataOf<T>(db);
            w.Clear();                                                                   // the kernel adds every row into dw and db
            b.Clear();
            Normalization.RowBackward<T>(x.Data<T>(), dy.Data<T>(), rows.M, rows.Mean.Data<T>(), rows.Rstd.Data<T>(), DataOf<T>(weight),
                0, rows.Count, DataOf<T>(dx), w, b);
        }
    }
}
