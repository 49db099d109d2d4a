using System.Runtime.CompilerServices;

namespace Autodiff.Optim;

/// <summary>Stochastic gradient descent, optionally with momentum, dampening, weight decay and Nesterov momentum.
/// Same as <c>torch.optim.SGD</c>.</summary>
/// <remarks>With <c>g = ∇θ + λθ</c> (λ the weight decay): without momentum <c>θ ← θ - lr·g</c>; with momentum μ,
/// <c>b ← g</c> on the first step and <c>b ← μb + (1 - dampening)g</c> after, then <c>θ ← θ - lr·b</c>, or
/// <c>θ ← θ - lr·(g + μb)</c> with Nesterov. Each parameter uses its group's values (<see cref="Optimizer.ParamGroups"/>).</remarks>
/// <example><code>
/// var optimizer = new SGD(model.Parameters(), lr: 0.1);
/// optimizer.ZeroGrad(); loss.Backward(); optimizer.Step();
/// </code></example>
public sealed class SGD : Optimizer
{
    /// <summary>Creates the optimizer over one group of parameters.</summary>
    /// <exception cref="ArgumentException">The parameter list is empty, lr or momentum or weight decay is negative or
    /// NaN, or Nesterov is asked for without momentum or with dampening.</exception>
    [OverloadResolutionPriority(1)]
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base("SGD", parameters, Defaults(lr, momentum, dampening, weightDecay, nesterov), CheckNesterov)
    {
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
    }

    /// <summary>Creates the optimizer over parameter groups; the arguments are the values of every group that does not
    /// set its own. Same as <c>torch.optim.SGD([{"params": ..., "lr": ...}, ...], lr=...)</c>.</summary>
    /// <exception cref="ArgumentException">There are no parameters, a parameter is in two groups, a group sets a
    /// hyper-parameter SGD does not have, or a value is out of range (as for one group).</exception>
    public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base("SGD", groups, Defaults(lr, momentum, dampening, weightDecay, nesterov), CheckNesterov)
    {
        (Momentum, Dampening, WeightDecay, Nesterov) = (momentum, dampening, weightDecay, nesterov);
    }

    private static Dictionary<string, double> Defaults(double lr, double momentum, double dampening, double weightDecay, bool nesterov) => new()
    {
        ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay, ["nesterov"] = nesterov ? 1 : 0,
    };

    private static void CheckNesterov(string group, Func<string, double> value)
    {
        if (value("nesterov") != 0 && (value("momentum") <= 0 || value("dampening") != 0))
            Check.Fail("SGD", $"{group}nesterov needs momentum > 0 and dampening 0, got momentum {value("momentum")}, dampening {value("dampening")}.", "nesterov");
    }

    /// <summary>The momentum factor μ of groups that do not set their own.</summary>
    public double Momentum { get; }

    /// <summary>The dampening of the momentum, for groups that do not set their own.</summary>
    public double Dampening { get; }

    /// <summary>The L2 penalty λ of groups that do not set their own.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether Nesterov momentum is used, for groups that do not set their own.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Update(int index, Tensor parameter, Tensor grad)
    {
        var group = GroupOf(index);
        double lr = AtPrecisionOf(parameter, group.Lr), momentum = AtPrecisionOf(parameter, group.Momentum);
        double dampening = AtPrecisionOf(parameter, group.Dampening), weightDecay = AtPrecisionOf(parameter, group.WeightDecay);
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
            if (group.Nesterov)
            {
                g = g.CloneData();
                Compute.MultiplyAddInPlace(g, buffer, momentum);                       // g = g + μb
            }
            else g = buffer;
        }
        Compute.MultiplyAddInPlace(parameter, g, -lr);                                 // θ = θ - lr·g
    }
}
