namespace Autodiff.Optim;

/// <summary>Stochastic gradient descent, optionally with momentum, dampening, weight decay and Nesterov momentum.
/// Same as <c>torch.optim.SGD</c>.</summary>
/// <remarks>With <c>g = ∇θ + λθ</c> (λ the weight decay): without momentum <c>θ ← θ - lr·g</c>; with momentum μ,
/// <c>b ← g</c> on the first step and <c>b ← μb + (1 - dampening)g</c> after, then <c>θ ← θ - lr·b</c>, or
/// <c>θ ← θ - lr·(g + μb)</c> with Nesterov.</remarks>
/// <example><code>
/// var optimizer = new SGD(model.Parameters(), lr: 0.1);
/// optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();
/// </code></example>
public sealed class SGD : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <exception cref="ArgumentException">The parameter list is empty, lr or momentum or weight decay is negative or
    /// NaN, or Nesterov is asked for without momentum or with dampening.</exception>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base("SGD", parameters, lr)
    {
        if (!(momentum >= 0)) Check.Fail("SGD", $"momentum must be non-negative, got {momentum}.", nameof(momentum));
        if (!(weightDecay >= 0)) Check.Fail("SGD", $"weightDecay must be non-negative, got {weightDecay}.", nameof(weightDecay));
        if (double.IsNaN(dampening)) Check.Fail("SGD", "dampening must not be NaN.", nameof(dampening));
        if (nesterov && (momentum <= 0 || dampening != 0))
            Check.Fail("SGD", $"nesterov needs momentum > 0 and dampening 0, got momentum {momentum}, dampening {dampening}.", nameof(nesterov));
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
    }

    /// <summary>The momentum factor μ.</summary>
    public double Momentum { get; }

    /// <summary>The dampening of the momentum.</summary>
    public double Dampening { get; }

    /// <summary>The L2 penalty λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad)
    {
        double lr = AtPrecisionOf(parameter, Lr), momentum = AtPrecisionOf(parameter, Momentum);
        double dampening = AtPrecisionOf(parameter, Dampening), weightDecay = AtPrecisionOf(parameter, WeightDecay);
        var g = grad;
        if (weightDecay != 0)
        {
            g = grad.CloneData();
            Compute.MultiplyAddInPlace(g, parameter, weightDecay);                    // g = ∇θ + λθ
        }
        if (momentum != 0)
        {
            bool first = false;
            var buffer = State(index, "momentum_buffer", () => { first = true; return g.CloneData(); });   // b = g on the first step
            if (!first)
            {
                Compute.MultiplyInPlace(buffer, momentum);                             // b = μb + (1 - dampening)g
                Compute.MultiplyAddInPlace(buffer, g, 1 - dampening);
            }
            if (Nesterov)
            {
                g = g.CloneData();
                Compute.MultiplyAddInPlace(g, buffer, momentum);                       // g = g + μb
            }
            else g = buffer;
        }
        Compute.MultiplyAddInPlace(parameter, g, -lr);                                 // θ = θ - lr·g
    }
}
