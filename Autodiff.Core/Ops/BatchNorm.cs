using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>Batch normalization of <c>[N, C, ...]</c> input per channel. Same as <c>torch.nn.functional.batch_norm</c>.</summary>
    /// <remarks>
    /// <para>Forward <c>y = (x - μ[c]) / √(σ²[c] + eps) · w[c] + b[c]</c>. In training mode μ and σ² are the mean and the
    /// biased variance over the N·H·W values of channel c in this batch, and the running statistics (if given) are
    /// updated in place, unrecorded: <c>running = (1 - momentum)·running + momentum·batch</c>, with the unbiased variance
    /// <c>σ²·M/(M - 1)</c> for runningVar. In eval mode μ and σ² are the running statistics.</para>
    /// <para>Backward, with <c>x̂ = (x - μ)·rstd</c> and M values per channel: training <c>dx += w·rstd·(g - Σg/M - x̂·Σ(g·x̂)/M)</c>
    /// (μ and σ² depend on x); eval <c>dx += w·rstd·g</c>. <c>dw += Σ g·x̂</c>, <c>db += Σ g</c>. The running statistics are
    /// constants and receive no gradient.</para>
    /// </remarks>
    /// <param name="input">[N, C], [N, C, L] or [N, C, H, W] (any trailing dims).</param>
    /// <param name="runningMean">[C], updated in training mode; required in eval mode; may be null in training mode.</param>
    /// <param name="runningVar">[C], as runningMean.</param>
    /// <param name="weight">[C] scale w, or null for 1.</param>
    /// <param name="bias">[C] shift b, or null for 0.</param>
    /// <param name="training">Normalize with the batch's statistics (and update the running ones) instead of the running ones.</param>
    /// <param name="momentum">The weight of the batch statistics in the running update.</param>
    /// <param name="eps">Added to the variance before the square root.</param>
    /// <exception cref="ArgumentException">The input has rank below 2; a statistic, weight or bias is not <c>[C]</c> or has another
    /// dtype; running statistics are missing in eval mode; a channel has a single value in training mode; eps or momentum is NaN.</exception>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "BatchNorm";
        Check.NotNull(op, input, nameof(input));
        if (input.Rank < 2) Check.Fail(op, $"input must be [N, C, ...] (rank 2 or more), got shape {input.Shape}.", nameof(input));
        Check.NotNaN(op, momentum, nameof(momentum));
        Check.NotNaN(op, eps, nameof(eps));
        var (n, c, s) = input.Shape.Around(1);                                             // [N, C, S]
        ChannelVector(op, input, runningMean, c, nameof(runningMean));
        ChannelVector(op, input, runningVar, c, nameof(runningVar));
        ChannelVector(op, input, weight, c, nameof(weight));
        ChannelVector(op, input, bias, c, nameof(bias));
        if ((runningMean is null) != (runningVar is null))
            Check.Fail(op, $"runningMean and runningVar must both be given or both be null (input {input.Shape}).", nameof(runningVar));
        if (!training && runningMean is null)
            Check.Fail(op, $"running statistics are required in eval mode (training: false), input {input.Shape}.", nameof(runningMean));
        if (training && (long)n * s <= 1)
            Check.Fail(op, $"expected more than 1 value per channel when training, got input {input.Shape}.", nameof(input));

        var (mean, rstd) = (Compute.Empty(new Shape(c), input.DType), Compute.Empty(new Shape(c), input.DType));   // saved for the backward
        var y = Compute.Empty(input.Shape, input.DType);
        if (input.DType == DType.Float32) Forward<float>();
        else Forward<double>();

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Tape.Record(op, y, inputs, training ? "dx += w·rstd·(g - mean g - x̂·mean(g·x̂)), dw += Σ g·x̂, db += Σ g"
            : "dx += w·rstd·g, dw += Σ g·x̂, db += Σ g", dy =>
        {
            if (input.DType == DType.Float32) Backward<float>(dy);
            else Backward<double>(dy);
        },
        dy =>
        {
            // The same formulas with ops on [N, C, S]; in training μ and rstd are recomputed from x so that they carry its graph.
            var (x, g) = (Reshape(input, n, c, s), Reshape(dy, n, c, s));
            var centered = x - (training ? ChannelMean(x) : Reshape(mean, 1, c, 1));
            var r = training ? Pow(ChannelMean(centered * centered) + eps, -0.5) : Reshape(rstd, 1, c, 1);
            var xhat = centered * r;
            var gw = weight is null ? g : g * Reshape(weight, 1, c, 1);                     // ĝ = g·w
            var dx = training ? r * (gw - ChannelMean(gw) - xhat * ChannelMean(gw * xhat)) : r * gw;
            return [Reshape(dx, input.Shape.ToArray()),
                    .. weight is null ? Array.Empty<Tensor?>() : [Sum(Sum(g * xhat, 2), 0)],
                    .. bias is null ? Array.Empty<Tensor?>() : [Sum(Sum(g, 2), 0)]];
        });

        void Forward<T>() where T : struct, System.Numerics.IFloatingPointIeee754<T>
        {
            Span<T> mu = mean.Data<T>(), sd = rstd.Data<T>();
            if (training)
            {
                var variance = sd;                                                       // σ², turned into rstd below
                Normalization.ChannelMoments(input.Data<T>(), n, c, s, mu, variance);   // μ, σ² of the batch
                if (runningMean is not null && runningVar is not null)
                {
                    T m = T.CreateChecked(momentum), unbias = T.CreateChecked((double)((long)n * s) / ((long)n * s - 1));
                    Span<T> rm = runningMean.Data<T>(), rv = runningVar.Data<T>();
                    for (int ch = 0; ch < c; ch++)                                       // running = (1 - m)·running + m·batch
                    {
                        rm[ch] = (T.One - m) * rm[ch] + m * mu[ch];
                        rv[ch] = (T.One - m) * rv[ch] + m * variance[ch] * unbias;
                    }
                    runningMean.MarkModified();
                    runningVar.MarkModified();
                }
            }
            else
            {
                runningMean!.Data<T>().CopyTo(mu);
                runningVar!.Data<T>().CopyTo(sd);
            }
            T e = T.CreateChecked(eps);
            for (int ch = 0; ch < c; ch++) sd[ch] = T.One / T.Sqrt(sd[ch] + e);         // rstd = 1/√(σ² + eps)
            Normalization.ChannelAffine<T>(input.Data<T>(), n, c, s, mu, sd, DataOf<T>(weight), DataOf<T>(bias), y.Data<T>());   // y = x̂·w + b
        }

        void Backward<T>(Tensor dy) where T : struct, System.Numerics.IFloatingPointIeee754<T>
        {
            var dx = input.RequiresGrad ? input.GradBuffer().Data<T>() : default;
            var dw = weight is { RequiresGrad: true } ? weight.GradBuffer().Data<T>() : default;
            var db = bias is { RequiresGrad: true } ? bias.GradBuffer().Data<T>() : default;
            Normalization.ChannelBackward<T>(input.Data<T>(), dy.Data<T>(), n, c, s, mean.Data<T>(), rstd.Data<T>(), DataOf<T>(weight),
                batchStatistics: training, dx, dw, db);
        }
    }

    /// <summary>The mean of <c>[N, C, S]</c> over N and S, as <c>[1, C, 1]</c> (recorded, for the differentiable backward).</summary>
    private static Tensor ChannelMean(Tensor x) => Mean(Mean(x, 2, keepDim: true), 0, keepDim: true);

    /// <summary>An optional operand's values for a kernel: empty when the tensor is null (the kernel then uses 1 or 0).</summary>
    private static Span<T> DataOf<T>(Tensor? t) where T : struct => t is null ? default : t.Data<T>();

    /// <summary>Checks that an optional per-channel tensor is <c>[C]</c> with the input's dtype.</summary>
    private static void ChannelVector(string op, Tensor input, Tensor? t, int channels, string name)
    {
        if (t is null) return;
        Check.SameDType(op, input, t);
        if (t.Shape != new Shape(channels))
            Check.Fail(op, $"{name} has shape {t.Shape}, expected [{channels}] for input {input.Shape}.", name);
    }
}
