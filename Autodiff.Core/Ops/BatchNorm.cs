using System.Numerics;
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

        var channels = new BatchNormChannels(input, training, eps);                     // μ and rstd per channel, saved for the backward
        var y = Compute.Empty(input.Shape, input.DType);
        Compute.Run(input.DType, new BatchNormKernel(input, runningMean, runningVar, weight, bias, momentum, channels, y));   // y = x̂·w + b

        Tensor[] inputs = [input, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Tape.Record(op, y, inputs, training ? "dx += w·rstd·(g - mean g - x̂·mean(g·x̂)), dw += Σ g·x̂, db += Σ g"
            : "dx += w·rstd·g, dw += Σ g·x̂, db += Σ g", g => BatchNormGradients(g, input, weight, bias, channels));
    }

    /// <summary>BatchNorm's gradients for the output gradient g, one per input (x, then weight and bias when given): in
    /// training <c>dx = w·rstd·(g - mean g - x̂·mean(g·x̂))</c>, in eval <c>dx = w·rstd·g</c>; <c>dw = Σ g·x̂</c>,
    /// <c>db = Σ g</c> per channel.</summary>
    /// <remarks>In a plain backward pass one fused kernel computes the three together, in two passes over x and g (in
    /// training dw and db are the very sums dx needs). Under <c>createGraph</c> each is a recorded op
    /// (<see cref="BatchNormBackward"/>, <see cref="BatchNormBackwardWeight"/>, a Sum), so they can be differentiated again;
    /// the ops run the same kernel.</remarks>
    private static Tensor?[] BatchNormGradients(Tensor g, Tensor x, Tensor? weight, Tensor? bias, BatchNormChannels channels)
    {
        bool wantX = x.RequiresGrad, wantW = weight is { RequiresGrad: true }, wantB = bias is { RequiresGrad: true };
        Tensor? dx, dw, db;
        if (Tape.IsRecording)
        {
            dx = wantX ? BatchNormBackward(g, x, weight, channels) : null;             // dx = w·rstd·(g - mean g - x̂·mean(g·x̂)), or w·rstd·g
            dw = wantW ? BatchNormBackwardWeight(g, x, channels) : null;               // dw = Σ g·x̂
            db = wantB ? Sum(channels.View(g), 2) : null;                               // db = Σ g: [N, C] here, the pass sums N
        }
        else
        {
            dx = wantX ? Compute.Empty(x.Shape, x.DType) : null;
            dw = wantW ? Compute.Empty(new Shape(channels.C), x.DType) : null;
            db = wantB ? Compute.Empty(new Shape(channels.C), x.DType) : null;
            Compute.Run(x.DType, new BatchNormBackwardKernel(g, x, weight, channels, dx, dw, db));
        }
        return [dx, .. weight is null ? Array.Empty<Tensor?>() : [dw], .. bias is null ? Array.Empty<Tensor?>() : [db]];
    }

    /// <summary>The input gradient of BatchNorm as an op, with the forward's μ and rstd per channel: in training
    /// <c>dx = w·rstd·(dy - mean dy - x̂·mean(dy·x̂))</c> (means over a channel's N·S values), in eval <c>dx = w·rstd·dy</c>.</summary>
    /// <remarks>Its own derivative, against the gradient g of dx, with <c>h = BatchNormBackward(g, x)</c> (no weight; the map
    /// dy·w ↦ dx is symmetric): <c>d(dy) = h·w</c>, <c>dw = Σ dy·h</c>, and in training <c>dx</c> from
    /// <see cref="NormalizedSecondDerivative"/> over the channels (in eval dx does not depend on x).</remarks>
    private static Tensor BatchNormBackward(Tensor dy, Tensor x, Tensor? weight, BatchNormChannels channels)
    {
        var dx = Compute.Empty(x.Shape, x.DType);
        Compute.Run(x.DType, new BatchNormBackwardKernel(dy, x, weight, channels, dx, null, null));

        Tensor[] inputs = weight is null ? [dy, x] : [dy, x, weight];
        return Tape.Record("BatchNormBackward", dx, inputs, channels.Training
            ? "d(dy) += w·h, dx += ∂(w·rstd·(dy - mean dy - x̂·mean(dy·x̂)))/∂x·g, dw += Σ dy·h" : "d(dy) += w·rstd·g, dw += Σ dy·rstd·g", g =>
        {
            var h = dy.RequiresGrad || weight is { RequiresGrad: true } ? channels.View(BatchNormBackward(g, x, null, channels)) : null;
            var w = weight is null ? null : channels.ChannelColumn(weight);                // [C, 1], against [N, C, S]
            return [dy.RequiresGrad ? channels.Unview(w is null ? h! : h! * w, x) : null,
                    x.RequiresGrad && channels.Training
                        ? channels.Unview(NormalizedSecondDerivative(channels.View(g), w is null ? channels.View(dy) : channels.View(dy) * w,
                            channels.View(x), channels.Eps, ChannelMean), x)
                        : null,
                    weight is { RequiresGrad: true } ? Sum(channels.View(dy) * h!, 2) : null];    // [N, C]: the pass sums N
        });
    }

    /// <summary>The weight gradient of BatchNorm as an op: <c>dw[c] = Σ dy·x̂</c> over channel c, shape [C].</summary>
    /// <remarks>Its own derivative, against the gradient g [C] of dw: <c>d(dy) = g·x̂</c> (x̂ recomputed so that it follows x)
    /// and <c>dx = BatchNormBackward(dy, x, w = g)</c>, x̂'s backward for the gradient <c>dy·g</c>.</remarks>
    private static Tensor BatchNormBackwardWeight(Tensor dy, Tensor x, BatchNormChannels channels)
    {
        var dw = Compute.Empty(new Shape(channels.C), x.DType);
        Compute.Run(x.DType, new BatchNormBackwardKernel(dy, x, null, channels, null, dw, null));   // dw = Σ dy·x̂

        return Tape.Record("BatchNormBackwardWeight", dw, [dy, x], "d(dy) += g·x̂, dx += BatchNormBackward(dy, w: g)",
            [(g, e) => channels.Unview(channels.ChannelColumn(g) * channels.View(channels.Normalized(e.Inputs[1])), e.Inputs[1]),
             (g, e) => BatchNormBackward(e.Inputs[0], e.Inputs[1], g, channels)]);
    }

    /// <summary>The mean of <c>[N, C, S]</c> over N and S, as <c>[1, C, 1]</c>.</summary>
    private static Tensor ChannelMean(Tensor x) => Mean(Mean(x, 2, keepDim: true), 0, keepDim: true);

    /// <summary>BatchNorm's view of its input as <c>[N, C, S]</c>, and what its backward ops read: the channels' μ and rstd
    /// (constants for the kernels), the mode, and eps (to recompute batch statistics with ops where a derivative must
    /// follow x).</summary>
    private sealed class BatchNormChannels
    {
        public readonly int N, C, S;
        public readonly bool Training;
        public readonly double Eps;
        public readonly Tensor Mean, Rstd;                                               // [C]

        public BatchNormChannels(Tensor input, bool training, double eps)
        {
            (N, C, S) = input.Shape.Around(1);
            (Training, Eps) = (training, eps);
            (Mean, Rstd) = (Compute.Empty(new Shape(C), input.DType), Compute.Empty(new Shape(C), input.DType));
        }

        /// <summary>t as [N, C, S].</summary>
        public Tensor View(Tensor t) => Reshape(t, N, C, S);

        /// <summary>An [N, C, S] tensor back in the shape of <paramref name="like"/>.</summary>
        public Tensor Unview(Tensor t, Tensor like) => Reshape(t, like.Shape.ToArray());

        /// <summary>A per-channel [C] tensor as [C, 1], which broadcasts against [N, C, S].</summary>
        public Tensor ChannelColumn(Tensor t) => Reshape(t, C, 1);

        /// <summary><c>x̂ = (x - μ)·rstd</c> as ops: in training by BatchNorm itself (μ and rstd follow x), in eval with the
        /// saved running statistics (constants).</summary>
        public Tensor Normalized(Tensor x) => Training
            ? BatchNorm(x, null, null, training: true, eps: Eps)
            : Unview((View(x) - ChannelColumn(Mean)) * ChannelColumn(Rstd), x);
    }

    /// <summary>BatchNorm's forward: μ and rstd per channel (of the batch, updating the running statistics, or the running
    /// ones), then <c>y = (x - μ)·rstd·w + b</c>.</summary>
    private readonly struct BatchNormKernel(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        double momentum, BatchNormChannels channels, Tensor y) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var (n, c, s) = (channels.N, channels.C, channels.S);
            Span<T> mu = channels.Mean.Data<T>(), sd = channels.Rstd.Data<T>();
            if (channels.Training)
            {
                var variance = sd;                                                       // σ², turned into rstd below
                Normalization.ChannelMoments(x.Data<T>(), n, c, s, 0, c, mu, variance);  // μ, σ² of the batch
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
            T e = T.CreateChecked(channels.Eps);
            for (int ch = 0; ch < c; ch++) sd[ch] = T.One / T.Sqrt(sd[ch] + e);         // rstd = 1/√(σ² + eps)
            Normalization.ChannelAffine<T>(x.Data<T>(), n, c, s, mu, sd, DataOf<T>(weight), DataOf<T>(bias), 0, c, y.Data<T>());   // y = x̂·w + b
        }
    }

    /// <summary>BatchNorm's gradients into the destinations given (null: not wanted): dx of the input's shape, dw and db [C].</summary>
    private readonly struct BatchNormBackwardKernel(Tensor dy, Tensor x, Tensor? weight, BatchNormChannels channels, Tensor? dx,
        Tensor? dw, Tensor? db) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            var (n, c, s) = (channels.N, channels.C, channels.S);
            Normalization.ChannelBackward<T>(x.Data<T>(), dy.Data<T>(), n, c, s, channels.Mean.Data<T>(), channels.Rstd.Data<T>(),
                DataOf<T>(weight), channels.Training, 0, c, DataOf<T>(dx), DataOf<T>(dw), DataOf<T>(db));
        }
    }

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
