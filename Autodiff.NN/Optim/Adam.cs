using System.Runtime.CompilerServices;

namespace Autodiff.Optim;

/// <summary>Adam: per-parameter step sizes from running averages of the gradient and its square. Same as <c>torch.optim.Adam</c>.</summary>
/// <remarks>At step t, with <c>g = ∇θ + λθ</c>: <c>m ← β₁m + (1 - β₁)g</c>, <c>v ← β₂v + (1 - β₂)g²</c>,
/// <c>m̂ = m/(1 - β₁ᵗ)</c>, <c>v̂ = v/(1 - β₂ᵗ)</c>, <c>θ ← θ - lr·m̂/(√v̂ + ε)</c>. With <c>amsgrad</c> the denominator
/// uses the largest second moment so far, <c>v_max ← max(v_max, v)</c> and <c>√(v_max/(1 - β₂ᵗ)) + ε</c>, as PyTorch.
/// Each parameter uses its group's values (<see cref="Optimizer.ParamGroups"/>).</remarks>
/// <example><code>
/// var optimizer = new Adam(model.Parameters(), lr: 1e-3);
/// optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();
/// </code></example>
public class Adam : Optimizer
{
    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <exception cref="ArgumentException">lr, eps or weight decay is negative or NaN, or a beta is outside [0, 1).</exception>
    [OverloadResolutionPriority(1)]
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false)
        : this("Adam", parameters, lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Creates the optimizer over parameter groups; the arguments are the values of every group that does not
    /// set its own. Same as <c>torch.optim.Adam([{"params": ..., "lr": ...}, ...], lr=...)</c>.</summary>
    /// <exception cref="ArgumentException">There are no parameters, a parameter is in two groups, a group sets a
    /// hyper-parameter Adam does not have, or a value is out of range (as for one group).</exception>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false)
        : this("Adam", groups, lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>For AdamW: the same checks under another name.</summary>
    private protected Adam(string name, IEnumerable<Tensor> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad)
        : base(name, parameters, Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad))
    {
        (Beta1, Beta2, Eps, WeightDecay, Amsgrad) = (beta1, beta2, eps, weightDecay, amsgrad);
    }

    /// <summary>For AdamW: the same checks under another name.</summary>
    private protected Adam(string name, IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad)
        : base(name, groups, Defaults(lr, beta1, beta2, eps, weightDecay, amsgrad))
    {
        (Beta1, Beta2, Eps, WeightDecay, Amsgrad) = (beta1, beta2, eps, weightDecay, amsgrad);
    }

    private static Dictionary<string, double> Defaults(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad) => new()
    {
        ["lr"] = lr, ["beta1"] = beta1, ["beta2"] = beta2, ["eps"] = eps, ["weight_decay"] = weightDecay, ["amsgrad"] = amsgrad ? 1 : 0,
    };

    /// <summary>β₁, the decay of the gradient average, for groups that do not set their own.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, the decay of the squared-gradient average, for groups that do not set their own.</summary>
    public double Beta2 { get; }

    /// <summary>ε, added to the denominator, for groups that do not set their own.</summary>
    public double Eps { get; }

    /// <summary>λ, the weight decay, for groups that do not set their own.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether AMSGrad is used (the running maximum of the second moment), for groups that do not set their own.</summary>
    public bool Amsgrad { get; }

    /// <summary>Whether weight decay is decoupled from the gradient (AdamW) rather than added to it (Adam).</summary>
    private protected virtual bool Decoupled => false;

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad)
    {
        var group = GroupOf(index);
        var m = State(index, "exp_avg", () => Compute.Zeros(parameter.Shape, parameter.DType));
        var v = State(index, "exp_avg_sq", () => Compute.Zeros(parameter.Shape, parameter.DType));
        var vMax = group.Amsgrad ? State(index, "max_exp_avg_sq", () => Compute.Zeros(parameter.Shape, parameter.DType)) : null;
        var step = State(index, "step", () => Tensor.Scalar(0, DType.Float64));
        double t = step.F64[0] += 1;
        double lr = AtPrecisionOf(parameter, group.Lr), beta1 = AtPrecisionOf(parameter, group.Beta1), beta2 = AtPrecisionOf(parameter, group.Beta2);
        double eps = AtPrecisionOf(parameter, group.Eps), weightDecay = AtPrecisionOf(parameter, group.WeightDecay);
        if (Decoupled) Compute.MultiplyInPlace(parameter, 1 - lr * weightDecay);                // θ = θ(1 - lr·λ)
        OptimizerKernels.AdamStep(parameter, grad, m, v, vMax, lr, beta1, beta2, eps, Decoupled ? 0 : weightDecay,
            correction1: 1 - Math.Pow(beta1, t), correction2: 1 - Math.Pow(beta2, t));
    }
}

/// <summary>Adam with decoupled weight decay. Same as <c>torch.optim.AdamW</c>.</summary>
/// <remarks>First <c>θ ← θ(1 - lr·λ)</c>, then the Adam update with the plain gradient (no λθ added to it); with
/// <c>amsgrad</c>, Adam's running maximum of the second moment. The usual setup decays weights but not biases and norms:
/// two groups.</remarks>
/// <example><code>
/// var optimizer = new AdamW(model.Parameters(), lr: 1e-3, weightDecay: 0.01);
/// var grouped = new AdamW([new ParamGroup(weights, weightDecay: 0.01), new ParamGroup(biasesAndNorms, weightDecay: 0)], lr: 1e-3);
/// </code></example>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer over one group of parameters; the default weight decay is PyTorch's 0.01.</summary>
    /// <exception cref="ArgumentException">lr, eps or weight decay is negative or NaN, or a beta is outside [0, 1).</exception>
    [OverloadResolutionPriority(1)]
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0.01, bool amsgrad = false)
        : base("AdamW", parameters, lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    /// <summary>Creates the optimizer over parameter groups; the arguments are the values of every group that does not
    /// set its own. Same as <c>torch.optim.AdamW([{"params": ..., "weight_decay": 0.0}, ...], lr=...)</c>.</summary>
    /// <exception cref="ArgumentException">There are no parameters, a parameter is in two groups, a group sets a
    /// hyper-parameter AdamW does not have, or a value is out of range (as for one group).</exception>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0.01, bool amsgrad = false)
        : base("AdamW", groups, lr, beta1, beta2, eps, weightDecay, amsgrad)
    {
    }

    private protected override bool Decoupled => true;
}
