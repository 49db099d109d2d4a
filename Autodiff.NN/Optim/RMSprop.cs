namespace Autodiff.Optim;

/// <summary>RMSprop: divides the gradient by a running root mean square. Same as <c>torch.optim.RMSprop</c>.</summary>
/// <remarks>With <c>g = ∇θ + λθ</c>: <c>v ← αv + (1 - α)g²</c>; centered, <c>ḡ ← αḡ + (1 - α)g</c> and the denominator is
/// <c>√(v - ḡ²) + ε</c>, else <c>√v + ε</c>. Without momentum <c>θ ← θ - lr·g/denominator</c>; with momentum μ,
/// <c>b ← μb + g/denominator</c> and <c>θ ← θ - lr·b</c>.</remarks>
/// <example><code>var optimizer = new RMSprop(model.Parameters(), lr: 1e-2);</code></example>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentException">lr, eps, weight decay or momentum is negative or NaN, or alpha is outside [0, 1].</exception>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base("RMSprop", parameters, lr)
    {
        if (!(alpha >= 0 && alpha <= 1)) Check.Fail("RMSprop", $"alpha must be in [0, 1], got {alpha}.", nameof(alpha));
        if (!(eps >= 0)) Check.Fail("RMSprop", $"eps must be non-negative, got {eps}.", nameof(eps));
        if (!(weightDecay >= 0)) Check.Fail("RMSprop", $"weightDecay must be non-negative, got {weightDecay}.", nameof(weightDecay));
        if (!(momentum >= 0)) Check.Fail("RMSprop", $"momentum must be non-negative, got {momentum}.", nameof(momentum));
        (Alpha, Eps, WeightDecay, Momentum, Centered) = (alpha, eps, weightDecay, momentum, centered);
    }

    /// <summary>α, the decay of the squared-gradient average.</summary>
    public double Alpha { get; }

    /// <summary>ε, added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>λ, the L2 penalty.</summary>
    public double WeightDecay { get; }

    /// <summary>μ, the momentum factor.</summary>
    public double Momentum { get; }

    /// <summary>Whether the variance is centered by the running mean gradient.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad)
    {
        var v = State(index, "square_avg", () => Compute.Zeros(parameter.Shape, parameter.DType));
        var mean = Centered ? State(index, "grad_avg", () => Compute.Zeros(parameter.Shape, parameter.DType)) : null;
        var buffer = Momentum > 0 ? State(index, "momentum_buffer", () => Compute.Zeros(parameter.Shape, parameter.DType)) : null;
        OptimizerKernels.RmsPropStep(parameter, grad, v, mean, buffer, AtPrecisionOf(parameter, Lr), AtPrecisionOf(parameter, Alpha),
            AtPrecisionOf(parameter, Eps), AtPrecisionOf(parameter, WeightDecay), AtPrecisionOf(parameter, Momentum));
    }
}
