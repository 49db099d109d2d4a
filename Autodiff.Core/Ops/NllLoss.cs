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
        const string op = "NllLoss";
        var (n, c) = CheckClassTargets(op, logProbabilities, targets, nameof(logProbabilities));
        var saved = (int[])targets.Clone();
        var y = Compute.Empty(new Shape(n), logProbabilities.DType);
        for (int i = 0; i < n; i++)                                                        // loss[n] = -x[n, t[n]]
            if (y.DType == DType.Float32) y.F32[i] = -logProbabilities.F32[i * c + saved[i]];
            else y.F64[i] = -logProbabilities.F64[i * c + saved[i]];

        return Tape.Record(op, y, [logProbabilities], "dx[n, t[n]] -= g[n]", dy =>
        {
            var dx = logProbabilities.GradBuffer();
            for (int i = 0; i < n; i++)                                                    // dx[n, t[n]] -= g[n]
                if (dx.DType == DType.Float32) dx.F32[i * c + saved[i]] -= dy.F32[i];
                else dx.F64[i * c + saved[i]] -= dy.F64[i];
        },
        dy => [-(Unsqueeze(dy, 1) * OneHot(saved, c, logProbabilities.DType))]);
    }

    /// <summary>Checks scores [N, C] against N class indices in [0, C) and returns (N, C).</summary>
    private static (int N, int C) CheckClassTargets(string op, Tensor scores, int[] targets, string paramName)
    {
        Check.NotNull(op, scores, nameof(scores));
        Check.NotNullArg(op, targets, nameof(targets));
        var (n, c) = Check.ClassScores(op, scores, targets, "input", paramName);
        for (int i = 0; i < n; i++)
            if ((uint)targets[i] >= (uint)c)
                Check.Fail(op, $"target {targets[i]} at position {i} is out of range for {c} classes (input {scores.Shape}).", nameof(targets));
        return (n, c);
    }
}
