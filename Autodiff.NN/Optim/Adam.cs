namespace Autodiff.Optim;

/// <summary>Adam: per-parameter step sizes from running averages of the gradient and its square. Same as <c>torch.optim.Adam</c>.</summary>
/// <remarks>At step t, with <c>g = ∇θ + λθ</c>: <c>m ← β₁m + (1 - β₁)g</c>, <c>v ← β₂v + (1 - β₂)g²</c>,
/// <c>m̂ = m/(1 - β₁ᵗ)</c>, <c>v̂ = v/(1 - β₂ᵗ)</c>, <c>θ ← θ - lr·m̂/(√v̂ + ε)</c>.</remarks>
/// <example><code>
/// var optimizer = new Adam(model.Parameters(), lr: 1e-3);
/// optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();
/// </code></example>
public class Adam : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentException">lr, eps or weight decay is negative or NaN, or a beta is outside [0, 1).</exception>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this("Adam", parameters, lr, beta1, beta2, eps, weightDecay)
    {
    }

    /// <summary>For AdamW: the same checks under another name.</summary>
    private protected Adam(string name, IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay)
        : base(name, parameters, lr)
    {
        if (!(beta1 >= 0 && beta1 < 1)) Check.Fail(name, $"beta1 must be in [0, 1), got {beta1}.", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) Check.Fail(name, $"beta2 must be in [0, 1), got {beta2}.", nameof(beta2));
        if (!(eps >= 0)) Check.Fail(name, $"eps must be non-negative, got {eps}.", nameof(eps));
        if (!(weightDecay >= 0)) Check.Fail(name, $"weightDecay must be non-negative, got {weightDecay}.", nameof(weightDecay));
        (Beta1, Beta2, Eps, WeightDecay) = (beta1, beta2, eps, weightDecay);
    }

    /// <summary>β₁, the decay of the gradient average.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, the decay of the squared-gradient average.</summary>
    public double Beta2 { get; }

    /// <summary>ε, added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>λ, the weight decay.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether weight decay is decoupled from the gradient (AdamW) rather than added to it (Adam).</summary>
    private protected virtual bool Decoupled => false;

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad)
    {
        var m = State(index, "exp_avg", () => Compute.Zeros(parameter.Shape, parameter.DType));
        var v = State(index, "exp_avg_sq", () => Compute.Zeros(parameter.Shape, parameter.DType));
        var step = State(index, "step", () => Tensor.Scalar(0, DType.Float64));
        double t = step.F64[0] += 1;
        double lr = AtPrecisionOf(parameter, Lr), beta1 = AtPrecisionOf(parameter, Beta1), beta2 = AtPrecisionOf(parameter, Beta2);
        double eps = AtPrecisionOf(parameter, Eps), weightDecay = AtPrecisionOf(parameter, WeightDecay);
        if (Decoupled) Compute.MultiplyInPlace(parameter, 1 - lr * weightDecay);                // θ = θ(1 - lr·λ)
        OptimizerKernels.AdamStep(parameter, grad, m, v, lr, beta1, beta2, eps, Decoupled ? 0 : weightDecay,
            correction1: 1 - Math.Pow(beta1, t), correction2: 1 - Math.Pow(beta2, t));
    }
}

/// <summary>Adam with decoupled weight decay. Same as <c>torch.optim.AdamW</c>.</summary>
/// <remarks>First <c>θ ← θ(1 - lr·λ)</c>, then the Adam update with the plain gradient (no λθ added to it).</remarks>
/// <example><code>var optimizer = new AdamW(model.Parameters(), lr: 1e-3, weightDecay: 0.01);</code></example>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer; the default weight decay is PyTorch's 0.01.</summary>
    /// <exception cref="ArgumentException">lr, eps or weight decay is negative or NaN, or a beta is outside [0, 1).</exception>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base("AdamW", parameters, lr, beta1, beta2, eps, weightDecay)
    {
    }

    private protected override bool Decoupled => true;
}
