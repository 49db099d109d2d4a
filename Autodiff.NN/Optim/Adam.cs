namespace Autodiff.Optim;

/// <summary>Adam: per-parameter step sizes from running averages of the gradient and its square. Same as <c>torch.optim.Adam</c>.</summary>
/// <remarks>At step t, with <c>g = ∇θ + λθ</c>: <c>m ← β₁m + (1 - β₁)g</c>, <c>v ← β₂v + (1 - β₂)g²</c>,
/// <c>m̂ = m/(1 - β₁ᵗ)</c>, <c>v̂ = v/(1 - β₂ᵗ)</c>, <c>θ ← θ - lr·m̂/(√v̂ + ε)</c>.</remarks>
/// <example><code>
/// var optimizer = new Adam(model.Parameters(), lr: 1e-3f);
/// optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();
/// </code></example>
public sealed class Adam : Optimizer
{
    private readonly Tensor?[] _m, _v;
    private readonly int[] _steps;

    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentException">lr, eps or weight decay is negative or NaN, or a beta is outside [0, 1).</exception>
    public Adam(IEnumerable<Tensor> parameters, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0)
        : base("Adam", parameters)
    {
        if (!(lr >= 0)) Check.Fail("Adam", $"lr must be non-negative, got {lr}.", nameof(lr));
        if (!(beta1 >= 0 && beta1 < 1)) Check.Fail("Adam", $"beta1 must be in [0, 1), got {beta1}.", nameof(beta1));
        if (!(beta2 >= 0 && beta2 < 1)) Check.Fail("Adam", $"beta2 must be in [0, 1), got {beta2}.", nameof(beta2));
        if (!(eps >= 0)) Check.Fail("Adam", $"eps must be non-negative, got {eps}.", nameof(eps));
        if (!(weightDecay >= 0)) Check.Fail("Adam", $"weightDecay must be non-negative, got {weightDecay}.", nameof(weightDecay));
        (Lr, Beta1, Beta2, Eps, WeightDecay) = (lr, beta1, beta2, eps, weightDecay);
        _m = new Tensor?[Parameters.Count];
        _v = new Tensor?[Parameters.Count];
        _steps = new int[Parameters.Count];
    }

    /// <summary>The learning rate; schedulers change it between steps.</summary>
    public float Lr { get; set; }

    /// <summary>β₁, the decay of the gradient average.</summary>
    public float Beta1 { get; }

    /// <summary>β₂, the decay of the squared-gradient average.</summary>
    public float Beta2 { get; }

    /// <summary>ε, added to the denominator.</summary>
    public float Eps { get; }

    /// <summary>λ, the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad)
    {
        var m = _m[index] ??= Compute.Zeros(parameter.Shape, parameter.DType);
        var v = _v[index] ??= Compute.Zeros(parameter.Shape, parameter.DType);
        int t = ++_steps[index];
        Compute.AdamStep(parameter, grad, m, v, Lr, Beta1, Beta2, Eps, WeightDecay,
            correction1: 1 - Math.Pow(Beta1, t), correction2: 1 - Math.Pow(Beta2, t));
    }
}
