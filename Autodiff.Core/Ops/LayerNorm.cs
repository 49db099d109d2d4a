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
        int m = normalized.Numel, rows = m == 0 ? 0 : input.Numel / m;

        var (mean, rstd) = (Compute.Empty(new Shape(rows), input.DType), Compute.Empty(new Shape(rows), input.DType));   // saved for the backward
        var y = Compute.Empty(input.Shape, input.DType);
        if (input.DType == DType.Float32) Forward<float>();
        else Forward<double>();

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Tape.Record(op, y, inputs, "dx += rstd·(ĝ - mean ĝ - x̂·mean(ĝ·x̂)), dw += Σ g·x̂, db += Σ g", dy =>
        {
            if (input.DType == DType.Float32) Backward<float>(dy);
            else Backward<double>(dy);
        },
        dy =>
        {
            // The same formulas with ops, μ and rstd recomputed from x so that they carry its graph.
            var (x, g) = (Reshape(input, rows, m), Reshape(dy, rows, m));                  // [R, M]
            var centered = x - Mean(x, 1, keepDim: true);
            var r = Pow(Mean(centered * centered, 1, keepDim: true) + eps, -0.5);
            var xhat = centered * r;
            var gw = weight is null ? g : g * Reshape(weight, m);                          // ĝ = g ⊙ w
            var dx = r * (gw - Mean(gw, 1, keepDim: true) - xhat * Mean(gw * xhat, 1, keepDim: true));
            return [Reshape(dx, input.Shape.ToArray()),
                    .. weight is null ? Array.Empty<Tensor?>() : [Reshape(Sum(g * xhat, 0), normalizedShape)],
                    .. bias is null ? Array.Empty<Tensor?>() : [Reshape(Sum(g, 0), normalizedShape)]];
        });

        void Forward<T>() where T : struct, System.Numerics.IFloatingPointIeee754<T>
        {
            Span<T> mu = mean.Data<T>(), sd = rstd.Data<T>();
            Normalization.RowMoments(input.Data<T>(), rows, m, mu, sd);                  // μ, σ² per row
            T e = T.CreateChecked(eps);
            for (int r = 0; r < rows; r++) sd[r] = T.One / T.Sqrt(sd[r] + e);            // rstd = 1/√(σ² + eps)
            Normalization.RowAffine<T>(input.Data<T>(), rows, m, mu, sd, DataOf<T>(weight), DataOf<T>(bias), y.Data<T>());   // y = x̂ ⊙ w + b
        }

        void Backward<T>(Tensor dy) where T : struct, System.Numerics.IFloatingPointIeee754<T>
        {
            var dx = input.RequiresGrad ? input.GradBuffer().Data<T>() : default;
            var dw = weight is { RequiresGrad: true } ? weight.GradBuffer().Data<T>() : default;
            var db = bias is { RequiresGrad: true } ? bias.GradBuffer().Data<T>() : default;
            Normalization.RowBackward<T>(input.Data<T>(), dy.Data<T>(), rows, m, mean.Data<T>(), rstd.Data<T>(), DataOf<T>(weight), dx, dw, db);
        }
    }
}
