namespace Autodiff.NN;

/// <summary>Layer normalization over the trailing <c>normalizedShape</c> dims. Same as <c>torch.nn.LayerNorm</c>.</summary>
/// <remarks>Parameters <c>weight</c> (ones) and <c>bias</c> (zeros) of shape normalizedShape when elementwiseAffine. The
/// statistics are each row's own, in training and eval mode alike. See <see cref="Ops.LayerNorm"/> for the formulas.</remarks>
/// <example><code>var norm = new LayerNorm(512);   // [B, T, 512] -> [B, T, 512]</code></example>
public sealed class LayerNorm : Module
{
    /// <summary>Normalizes over the last dim, of size <paramref name="normalizedShape"/>.</summary>
    /// <exception cref="ArgumentException">The size is not positive or eps is negative.</exception>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
        : this([normalizedShape], eps, elementwiseAffine, bias) { }

    /// <summary>Normalizes over the trailing dims <paramref name="normalizedShape"/>.</summary>
    /// <exception cref="ArgumentException">The shape is empty or has a non-positive dim, or eps is negative.</exception>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
    {
        Check.NotNullArg("LayerNorm", normalizedShape, nameof(normalizedShape));
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            Check.Fail("LayerNorm", $"normalizedShape must be non-empty with positive dims, got {Shape.Format(normalizedShape)}.", nameof(normalizedShape));
        if (!(eps >= 0)) Check.Fail("LayerNorm", $"eps must be non-negative, got {eps}.", nameof(eps));
        (NormalizedShape, Eps, ElementwiseAffine) = ((int[])normalizedShape.Clone(), eps, elementwiseAffine);
        RegisterParameter("weight", elementwiseAffine ? Tensor.Ones(normalizedShape) : null);
        RegisterParameter("bias", elementwiseAffine && bias ? Tensor.Zeros(normalizedShape) : null);
    }

    /// <summary>The trailing dims normalized over.</summary>
    public IReadOnlyList<int> NormalizedShape { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a learnable weight (and bias).</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>The scale, of shape normalizedShape, or null.</summary>
    public Tensor? Weight => GetParameter("weight");

    /// <summary>The shift, of shape normalizedShape, or null.</summary>
    public Tensor? Bias => GetParameter("bias");

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input's trailing dims are not normalizedShape.</exception>
    public override Tensor Forward(Tensor input) => Ops.LayerNorm(input, [.. NormalizedShape], Weight, Bias, Eps);

    /// <inheritdoc/>
    public override string Describe() =>
        $"LayerNorm({Shape.Format([.. NormalizedShape])}, eps: {Eps}, elementwiseAffine: {ElementwiseAffine}" + (ElementwiseAffine && Bias is null ? ", bias: False)" : ")");
}
