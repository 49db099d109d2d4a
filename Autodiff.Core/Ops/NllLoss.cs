using System.Numerics;
using Autodiff.Kernels;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The negative log-likelihood of each row's class: <c>loss[n] = -x[n, t[n]]</c>, for log-probabilities
    /// <paramref name="logProbabilities"/> [N, C]. One loss per row, shape [N]; reduce it with Mean or Sum.
    /// Same as <c>torch.nn.functional.nll_loss(x, t, reduction='none')</c>.</summary>
    /// <remarks>Forward <c>loss[n] = -x[n, t[n]]</c>. Backward <c>dx[n, t[n]] -= g[n]</c>, zero elsewhere.</remarks>
    /// <exception cref="ArgumentException">The input is not 2-D, the target count is not N, or a target is outside [0, C).</exception>
    public static Tensor NllLoss(Tensor logProbabilities, int[] targets)
    {
        CheckClassTargets("NllLoss", logProbabilities, targets, nameof(logProbabilities));
        return NllLossGather(logProbabilities, (int[])targets.Clone());
    }

    /// <summary>NllLoss on checked arguments: <c>loss[n] = -x[n, t[n]]</c>, whose derivative is the scatter
    /// <see cref="NllLossBackward"/>; each is the other's adjoint, so the pair differentiates to any order.</summary>
    private static Tensor NllLossGather(Tensor x, int[] targets)
    {
        var y = Compute.Empty(new Shape(targets.Length), x.DType);
        Compute.Run(x.DType, new NllLossKernel(x, targets, y, scatter: false));                  // loss[n] = -x[n, t[n]]

        return Tape.Record("NllLoss", y, [x], "dx[n, t[n]] -= g[n]", [(g, e) => NllLossBackward(g, targets, e.Inputs[0].Shape[1])]);
    }

    /// <summary>The backward of NllLoss as an op: <c>dx[n, t[n]] = -dy[n]</c>, zero elsewhere, shape [N, classes].</summary>
    /// <remarks>Linear in dy; its own derivative gathers the targets' entries again: <c>d(dy)[n] = -g[n, t[n]]</c>, NllLoss of g.</remarks>
    internal static Tensor NllLossBackward(Tensor dy, int[] targets, int classes)
    {
        var dx = Compute.Empty(new Shape(targets.Length, classes), dy.DType);
        Compute.Run(dy.DType, new NllLossKernel(dx, targets, dy, scatter: true));                 // dx[n, t[n]] = -dy[n]

        return Tape.Record("NllLossBackward", dx, [dy], "d(dy)[n] -= g[n, t[n]]", [(g, _) => NllLossGather(g, targets)]);
    }

    /// <summary>NllLoss's gather <c>loss[n] = -x[n, t[n]]</c> over x [N, C], or its adjoint scatter into x from loss.</summary>
    private readonly struct NllLossKernel(Tensor x, int[] targets, Tensor loss, bool scatter) : IKernel
    {
        public void Run<T>() where T : struct, IFloatingPointIeee754<T>
        {
            if (scatter) Losses.NllLossBackward<T>(loss.Data<T>(), targets, x.Shape[1], x.Data<T>());
            else Losses.NllLoss<T>(x.Data<T>(), targets, x.Shape[1], loss.Data<T>());
        }
    }

    /// <summary>Checks scores [N, C] against N class indices in [0, C) and returns (N, C); a null scores tensor is reported
    /// under <paramref name="paramName"/>, the caller's public parameter name.</summary>
    private static (int N, int C) CheckClassTargets(string op, Tensor scores, int[] targets, string paramName)
    {
        Check.NotNull(op, scores, paramName);
        Check.NotNullArg(op, targets, nameof(targets));
        var (n, c) = Check.ClassScores(op, scores, targets, "input", paramName);
        for (int i = 0; i < n; i++)
            if ((uint)targets[i] >= (uint)c)
                Check.Fail(op, $"target {targets[i]} at position {i} is out of range for {c} classes (input {scores.Shape}).", nameof(targets));
        return (n, c);
    }
}
