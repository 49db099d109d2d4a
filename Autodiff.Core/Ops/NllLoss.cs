using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The negative log-likelihood of each row's class: <c>loss[n] = -x[n, t[n]]</c>, for log-probabilities
    /// <paramref name="logProbabilities"/> [N, C]. One loss per row, shape [N]; reduce it with Mean or Sum.
    /// Same as <c>torch.nn.functional.nll_loss(x, t, reduction='none')</c>.</summary>
    /// <remarks>Forward <c>loss[n] = -x[n, t[n]]</c>. Backward <c>dx[n, t[n]] -= g[n]</c>, zero elsewhere. A target equal to
    /// -100 gives loss 0 and no gradient, as PyTorch's default <c>ignore_index</c>.</remarks>
    /// <exception cref="ArgumentException">The input is not 2-D, the target count is not N, or a target is outside [0, C).</exception>
    public static Tensor NllLoss(Tensor logProbabilities, int[] targets) => NllLoss(logProbabilities, targets, null);

    /// <summary>The weighted negative log-likelihood of each row's class, skipping an ignored index:
    /// <c>loss[n] = -w[t[n]]·x[n, t[n]]</c>, shape [N]. Same as
    /// <c>torch.nn.functional.nll_loss(x, t, weight=w, ignore_index=i, reduction='none')</c>.</summary>
    /// <remarks>Forward <c>loss[n] = -w[t[n]]·x[n, t[n]]</c>, and 0 where <c>t[n] = ignoreIndex</c>. Backward
    /// <c>dx[n, t[n]] -= w[t[n]]·g[n]</c>, zero elsewhere and in ignored rows. The weights are constants: read once, not
    /// differentiated (PyTorch does not differentiate nll_loss's weight either). A mean over these losses divides by
    /// <c>Σ w[t[n]]</c> over the rows not ignored: <c>Functional.NllLoss</c> does that.</remarks>
    /// <param name="logProbabilities">Log-probabilities, shape [N, C].</param>
    /// <param name="targets">The class of each row, N values in <c>[0, C)</c> or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="weight">A weight per class, shape [C] (any float dtype), or null for all 1.</param>
    /// <param name="ignoreIndex">Rows with this target give loss 0 and gradient 0 (default -100, as PyTorch).</param>
    /// <exception cref="ArgumentException">The input is not 2-D, the target count is not N, a target is outside [0, C) and not
    /// <paramref name="ignoreIndex"/>, or the weight is not of shape [C] or requires grad.</exception>
    public static Tensor NllLoss(Tensor logProbabilities, int[] targets, Tensor? weight, int ignoreIndex = -100)
    {
        var classTargets = CheckClassTargets("NllLoss", logProbabilities, targets, nameof(logProbabilities), weight, ignoreIndex, 0);
        return NllLossGather(logProbabilities, classTargets);
    }

    /// <summary>NllLoss on checked arguments: <c>loss[n] = -w[t[n]]·x[n, t[n]]</c>, whose derivative is the scatter
    /// <see cref="NllLossBackward"/>; each is the other's adjoint, so the pair differentiates to any order.</summary>
    private static Tensor NllLossGather(Tensor x, ClassTargets targets)
    {
        var y = Compute.Empty(new Shape(targets.Indices.Length), x.DType);
        Compute.Run(x.DType, new NllLossKernel(x, targets, y, scatter: false));                  // loss[n] = -w[t]·x[n, t[n]]

        return Tape.Record("NllLoss", y, [x], "dx[n, t[n]] -= g[n]", [(g, e) => NllLossBackward(g, targets)]);
    }

    /// <summary>The backward of NllLoss as an op: <c>dx[n, t[n]] = -w[t[n]]·dy[n]</c>, zero elsewhere, shape [N, classes].</summary>
    /// <remarks>Linear in dy; its own derivative gathers the targets' entries again: <c>d(dy)[n] = -w[t[n]]·g[n, t[n]]</c>,
    /// NllLoss of g.</remarks>
    private static Tensor NllLossBackward(Tensor dy, ClassTargets targets)
    {
        var dx = Compute.Empty(new Shape(targets.Indices.Length, targets.Classes), dy.DType);
        Compute.Run(dy.DType, new NllLossKernel(dx, targets, dy, scatter: true));                 // dx[n, t[n]] = -w[t]·dy[n]

        return Tape.Record("NllLossBackward", dx, [dy], "d(dy)[n] -= g[n, t[n]]", [(g, _) => NllLossGather(g, targets)]);
    }

    /// <summary>NllLoss's gather <c>loss[n] = -w[t[n]]·x[n, t[n]]</c> over x [N, C], or its adjoint scatter into x from loss.</summary>
    private readonly struct NllLossKernel(Tensor x, ClassTargets targets, Tensor loss, bool scatter) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            if (scatter) Losses.NllLossBackward<T>(loss.Data<T>(), targets.Indices, targets.Classes, targets.IgnoreIndex, targets.Weight, x.Data<T>());
            else Losses.NllLoss<T>(x.Data<T>(), targets.Indices, targets.Classes, targets.IgnoreIndex, targets.Weight, loss.Data<T>());
        }
    }

    /// <summary>Checked class targets of NllLoss and SoftmaxCrossEntropy, as their kernels read them: a private copy of the
    /// N indices, the class count C, the index whose rows are ignored, the class weights (empty: all 1) and the label
    /// smoothing ε.</summary>
    private sealed record ClassTargets(int[] Indices, int Classes, int IgnoreIndex, double[] Weight, double Smoothing)
    {
        /// <summary>True when each row's target is plain <c>onehot(t)</c>: no weights and no smoothing (ignored rows aside).</summary>
        public bool IsOneHot => Weight.Length == 0 && Smoothing == 0;
    }

    /// <summary>Checks scores [N, C] against N class indices in [0, C) (or equal to <paramref name="ignoreIndex"/>), a weight
    /// of shape [C] that does not require grad, and a label smoothing in [0, 1]; returns the targets as the kernels read them.
    /// A null scores tensor is reported under <paramref name="paramName"/>, the caller's public parameter name.</summary>
    private static ClassTargets CheckClassTargets(string op, Tensor scores, int[] targets, string paramName, Tensor? weight,
        int ignoreIndex, double labelSmoothing)
    {
        Check.NotNull(op, scores, paramName);
        Check.NotNullArg(op, targets, nameof(targets));
        var (n, c) = Check.ClassScores(op, scores, targets, "input", paramName);
        if (weight is not null)
        {
            if (weight.Rank != 1 || weight.Shape[0] != c)
                Check.Fail(op, $"weight must have shape [C] = [{c}] (one weight per class of input {scores.Shape}), got {weight.Shape}.", nameof(weight));
            if (weight.RequiresGrad)
                Check.Fail(op, $"weight {weight.Shape} requires grad, but class weights are constants here (PyTorch does not " +
                    "differentiate them either); pass weight.Detach().", nameof(weight));
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            Check.Fail(op, $"labelSmoothing must be in [0, 1], got {labelSmoothing}.", nameof(labelSmoothing));
        var indices = (int[])targets.Clone();
        for (int i = 0; i < n; i++)
            if ((uint)indices[i] >= (uint)c && indices[i] != ignoreIndex)
                Check.Fail(op, $"target {indices[i]} at position {i} is out of range for {c} classes (input {scores.Shape}).", nameof(targets));
        return new ClassTargets(indices, c, ignoreIndex, weight?.ToDoubleArray() ?? [], labelSmoothing);
    }
}
