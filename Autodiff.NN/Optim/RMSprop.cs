using System.Runtime.CompilerServices;

namespace Autodiff.Optim;

/// <summary>RMSprop: divides the gradient by a running root mean square. Same as <c>torch.optim.RMSprop</c>.</summary>
/// <remarks>With <c>g = ∇θ + λθ</c>: <c>v ← αv + (1 - α)g²</c>; centered, <c>ḡ ← αḡ + (1 - α)g</c> and the denominator is
/// <c>√(v - ḡ²) + ε</c>, else <c>√v + ε</c>. Without momentum <c>θ ← θ - lr·g/denominator</c>; with momentum μ,
/// <c>b ← μb + g/denominator</c> and <c>θ ← θ - lr·b</c>. Each parameter uses its group's values (<see cref="Optimizer.ParamGroups"/>).</remarks>
/// <example><code>var optimizer = new RMSprop(model.Parameters(), lr: 1e-2);</code></example>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <exception cref="ArgumentException">lr, eps, weight decay or momentum is negative or NaN, or alpha is outside [0, 1].</exception>
    [OverloadResolutionPriority(1)]
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base("RMSprop", parameters, Defaults(lr, alpha, eps, weightDecay, momentum, centered))
    {
        (Alpha, Eps, WeightDecay, Momentum, Centered) = (alpha, eps, weightDecay, momentum, centered);
    }

    /// <summary>Creates the optimizer over parameter groups; the arguments are the values of every group that does not
    /// set its own. Same as <c>torch.optim.RMSprop([{"params": ..., "lr": ...}, ...], lr=...)</c>.</summary>
    /// <exception cref="ArgumentException">There are no parameters, a parameter is in two groups, a group sets a
    /// hyper-parameter RMSprop does not have, or a value is out of range (as for one group).</exception>
    public RMSprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base("RMSprop", groups, Defaults(lr, alpha, eps, weightDecay, momentum, centered))
    {
        (Alpha, Eps, WeightDecay, Momentum, Centered) = (alpha, eps, weightDecay, momentum, centered);
    }

    private static Dictionary<string, double> Defaults(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered) => new()
    {
        ["lr"] = lr, ["alpha"] = alpha, ["eps"] = eps, ["weight_decay"] = weightDecay, ["momentum"] = momentum, ["centered"] = centered ? 1 : 0,
    };

    /// <summary>α, the decay of the squared-gradient average, for groups that do not set their own.</summary>
    public double Alpha { get; }

    /// <summary>ε, added to the denominator, for groups that do not set their own.</summary>
    public double Eps { get; }

    /// <summary>λ, the L2 penalty, for groups that do not set their own.</summary>
    public double WeightDecay { get; }

    /// <summary>μ, the momentum factor, for groups that do not set their own.</summary>
    public double Momentum { get; }

    /// <summary>Whether the variance is centered by the running mean gradient, for groups that do not set their own.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad)
    {
        var group = GroupOf(index);
        var v = State(index, "square_avg", () => Compute.Zeros(parameter.Shape, parameter.DType));
        var mean = group.Centered ? State(index, "grad_avg", () => Compute.Zeros(parameter.Shape, parameter.DType)) : null;
        var buffer = group.Momentum > 0 ? State(index, "momentum_buffer", () => Compute.Zeros(parameter.Shape, parameter.DType)) : null;
        OptimizerKernels.RmsPropStep(parameter, grad, v, mean, buffer, AtPrecisionOf(parameter, group.Lr), AtPrecisionOf(parameter, group.Alpha),
            AtPrecisionOf(parameter, group.Eps), AtPrecisionOf(parameter, group.WeightDecay), AtPrecisionOf(parameter, group.Momentum));
    }
}
