namespace Autodiff;

public static partial class Ops
{
    /// <summary>The standard deviation along one dimension, or of all elements. Same as <c>torch.std(x, dim, correction=, keepdim=)</c>.</summary>
    /// <remarks>Forward <c>y = √Var(x, dim, correction)</c> (see <see cref="Var"/>). Backward
    /// <c>dx = g · (x - mean) / ((N - correction) · y)</c>, and 0 where y = 0 (a constant row), as PyTorch, rather than the
    /// 0/0 of the chain rule through √. Written with ops, so gradients of any order flow through it.</remarks>
    /// <param name="x">The input.</param>
    /// <param name="dim">The dimension to reduce (negative counts from the end), or null for every element.</param>
    /// <param name="correction">Subtracted from N in the divisor of the variance (Bessel's correction).</param>
    /// <param name="keepDim">Keep the reduced dimension with size 1 (every dimension when <paramref name="dim"/> is null).</param>
    /// <exception cref="ArgumentOutOfRangeException">The dim is out of range.</exception>
    /// <exception cref="ArgumentException">correction is NaN.</exception>
    public static Tensor Std(Tensor x, int? dim = null, double correction = 1, bool keepDim = false)
    {
        var (y, d, n) = Moments("Std", x, dim, correction, keepDim, sqrt: true);
        double divisor = Math.Max(0, n - correction);

        return Tape.Record("Std", y, [x], "dx += g·(x - mean)/((N - correction)·y), 0 where y = 0", [(g, e) =>
        {
            var slope = OverNormOrZero(g, e.Output, power: 1);                          // g/y, and 0 (never 0/0) where y = 0
            return UnreduceDim(slope, d, keepDim) * Centered(e.Inputs[0], d) * (1 / divisor);
        }]);
    }
}
