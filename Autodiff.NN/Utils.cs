namespace Autodiff.NN;

/// <summary>Training helpers that act on parameters' gradients. Same idea as <c>torch.nn.utils</c>.</summary>
public static class Utils
{
    /// <summary>Scales all gradients together so their joint L2 norm is at most <paramref name="maxNorm"/>, and returns
    /// the norm before clipping. Same as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
    /// <remarks><c>n = √(Σ_p Σ_i g²)</c>; when <c>n &gt; maxNorm</c> every gradient is multiplied by <c>maxNorm/(n + 1e-6)</c>.
    /// Parameters without a gradient are skipped.</remarks>
    /// <exception cref="ArgumentException">maxNorm is negative or NaN.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0)) Check.Fail("ClipGradNorm", $"maxNorm must be non-negative, got {maxNorm}.", nameof(maxNorm));
        var grads = parameters.Select(p => p.PeekGrad()).OfType<Tensor>().ToArray();
        double sumOfSquares = 0;
        foreach (var g in grads)
            foreach (double v in g.ToDoubleArray()) sumOfSquares += v * v;
        double norm = Math.Sqrt(sumOfSquares);
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1)
            foreach (var g in grads) Compute.MultiplyInPlace(g, scale);
        return norm;
    }
}
