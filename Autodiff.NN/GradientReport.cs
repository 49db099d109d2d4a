using System.Text;

namespace Autodiff.NN;

/// <summary>Why a parameter did or did not receive a gradient from one Backward.</summary>
public enum GradientStatus
{
    /// <summary>It received a non-zero gradient.</summary>
    Ok,
    /// <summary>It is in the loss's graph but its gradient is all zeros (e.g. ReLU units that never activate).</summary>
    ZeroGradient,
    /// <summary>A Detach()ed view of it was used, so no gradient could flow back to it.</summary>
    Detached,
    /// <summary>It was read by an op while recording was off (inside NoGrad), so that use was not recorded.</summary>
    UsedUnderNoGrad,
    /// <summary>It was read by a non-differentiable op such as Argmax.</summary>
    NonDifferentiable,
    /// <summary>Nothing in the loss's graph reads it.</summary>
    Unused,
    /// <summary>A tensor that requires grad and feeds the loss but is not a parameter of the model: an optimizer over the
    /// model's Parameters() does not train it and StateDict does not save it (e.g. held by a plain object or a
    /// [NotRegistered] field, or created in Forward). Listed in <see cref="GradientReport.NotParameters"/>.</summary>
    NotAParameter,
    /// <summary>Its <see cref="Tensor.RequiresGrad"/> is false (frozen, e.g. a pretrained layer kept fixed), so it gets no
    /// gradient by design. Not counted in <see cref="GradientReport.Problems"/>.</summary>
    Frozen,
}

/// <summary>One line in a <see cref="GradientReport"/>: a parameter, or a tensor that should perhaps be one.</summary>
/// <param name="Name">The dotted parameter name, as in <see cref="Module.NamedParameters"/>; for a tensor that is not a
/// parameter, its <see cref="Tensor.Name"/> or <c>t17</c>.</param>
/// <param name="Shape">The parameter's shape.</param>
/// <param name="Status">What happened.</param>
/// <param name="Reason">A sentence saying why.</param>
public sealed record ParameterGradient(string Name, Shape Shape, GradientStatus Status, string Reason);

/// <summary>What a diagnosed Backward found for every parameter of a model, and for every tensor that requires grad
/// and feeds the loss without being one of them; see <see cref="Diagnostics.Backward"/>.</summary>
public sealed class GradientReport
{
    internal GradientReport(IReadOnlyList<ParameterGradient> parameters, IReadOnlyList<ParameterGradient> notParameters) =>
        (Parameters, NotParameters) = (parameters, notParameters);

    /// <summary>One entry per parameter, in registration order.</summary>
    public IReadOnlyList<ParameterGradient> Parameters { get; }

    /// <summary>One entry (status <see cref="GradientStatus.NotAParameter"/>) per leaf tensor that requires grad and
    /// feeds the loss but is not a parameter of the model, named by its <see cref="Tensor.Label"/>; oldest first.</summary>
    public IReadOnlyList<ParameterGradient> NotParameters { get; }

    /// <summary>The trainable parameters that did not receive a usable gradient, then the tensors that are not parameters.</summary>
    /// <remarks>Frozen parameters (<see cref="GradientStatus.Frozen"/>) are not problems: freezing is deliberate, so they
    /// are only listed, on a line of their own, by <see cref="ToString"/>. Find them in <see cref="Parameters"/>.</remarks>
    public IEnumerable<ParameterGradient> Problems => Parameters.Where(IsProblem).Concat(NotParameters);

    private static bool IsProblem(ParameterGradient p) => p.Status is not (GradientStatus.Ok or GradientStatus.Frozen);

    /// <summary>One line per problem, or a line saying all is well; then one line naming the frozen parameters, if any.</summary>
    public override string ToString()
    {
        var problems = Parameters.Where(IsProblem).ToList();
        var frozen = Parameters.Where(p => p.Status == GradientStatus.Frozen).ToList();
        int trainable = Parameters.Count - frozen.Count;
        string counted = frozen.Count == 0 ? $"{Parameters.Count} parameters" : $"{trainable} trainable parameters";
        var sb = new StringBuilder();
        if (problems.Count == 0 && NotParameters.Count == 0 && trainable > 0) sb.Append($"All {counted} received a non-zero gradient.\n");
        if (problems.Count > 0) sb.Append($"{problems.Count} of {counted} received no usable gradient:\n");
        foreach (var p in problems) sb.Append($"  {p.Name} {p.Shape}: {p.Status}: {p.Reason}\n");
        if (NotParameters.Count > 0)
        {
            sb.Append((NotParameters.Count == 1 ? "1 tensor that requires grad and feeds the loss is" :
                $"{NotParameters.Count} tensors that require grad and feed the loss are") + $" not among the model's {Parameters.Count} parameters, so an optimizer " +
                "over model.Parameters() does not train them and StateDict does not save them:\n");
            foreach (var p in NotParameters) sb.Append($"  {p.Name} {p.Shape}: {p.Status}: {p.Reason}\n");
        }
        if (frozen.Count > 0)
        {
            const int shown = 10;
            string names = string.Join(", ", frozen.Take(shown).Select(p => $"{p.Name} {p.Shape}")) +
                (frozen.Count > shown ? $" and {frozen.Count - shown} more" : "");
            sb.Append((frozen.Count == 1 ? "1 parameter is" : $"{frozen.Count} parameters are") +
                $" frozen (RequiresGrad = false), so not trained; set RequiresGrad = true to train: {names}.\n");
        }
        return sb.ToString().TrimEnd();
    }
}

/// <summary>Backward with a report on every parameter of a model that received no gradient, and why.</summary>
public static class Diagnostics
{
    /// <summary>Runs <c>loss.Backward()</c> and reports, for every parameter of <paramref name="diagnose"/>, whether it
    /// received a gradient, and if not why: frozen (RequiresGrad false), detached, used under NoGrad, read only by a
    /// non-differentiable op, or unused; and lists every leaf that requires grad and feeds the loss but is not a parameter of the model.</summary>
    /// <remarks>Gradients accumulate as in a plain Backward, so call <c>ZeroGrad()</c> first for the report to describe
    /// this pass alone. The graph is walked once before the backward pass to learn which leaves the loss depends on.</remarks>
    /// <example><code>var report = loss.Backward(diagnose: model); Console.WriteLine(report);</code></example>
    /// <exception cref="ArgumentException">As <see cref="Tensor.Backward()"/>: the loss does not require grad or is not a scalar.</exception>
    public static GradientReport Backward(this Tensor loss, Module diagnose)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(diagnose);
        var leaves = ReachableLeaves(loss);
        loss.Backward();
        var report = new List<ParameterGradient>();
        var parameters = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in diagnose.NamedParameters())
        {
            var (status, reason) = Diagnose(p, leaves);
            report.Add(new ParameterGradient(name, p.Shape, status, reason));
            parameters.Add(p);
        }
        var notParameters = leaves.Where(t => t.RequiresGrad && !parameters.Contains(t)).OrderBy(t => t.Id)
            .Select(t => new ParameterGradient(t.Name ?? t.ParameterName ?? $"t{t.Id}", t.Shape, GradientStatus.NotAParameter, NotAParameterReason(t)))
            .ToList();
        return new GradientReport(report, notParameters);
    }

    private static string NotAParameterReason(Tensor t) => t.ParameterName is { } other && t.Name is null
        ? $"it is registered as '{other}' in another module, not in this model; pass the model that owns it, or register it here."
        : "a leaf that requires grad but no module of this model registers it: most likely it is held by a plain (non-Module) " +
          "object, by a [NotRegistered] field or collection, or created in Forward. Make it a Tensor field of a Module, " +
          "RegisterParameter it, or hold it in a ParameterList; if it is an input you want a gradient for, ignore this line.";

    private static (GradientStatus, string) Diagnose(Tensor p, HashSet<Tensor> leaves)
    {
        if (!p.RequiresGrad)   // first: a frozen weight in the graph has no Grad, and one never recorded looks unused
            return (GradientStatus.Frozen, "RequiresGrad is false (frozen), so it gets no gradient; set RequiresGrad = true to train it.");
        if (leaves.Contains(p))
        {
            if (p.PeekGrad() is not { } grad || grad.ToDoubleArray().All(v => v == 0))
                return (GradientStatus.ZeroGradient, "it is in the loss's graph but its gradient is all zeros (e.g. ReLU units that never activate, or a zero upstream gradient).");
            return (GradientStatus.Ok, "received a non-zero gradient.");
        }
        if (leaves.Any(leaf => leaf.SharesBufferWith(p)))
            return (GradientStatus.Detached, "the loss uses a Detach()ed view of it, which carries no gradient back.");
        if (p.LastUnrecordedUse is { } op)
            return (GradientStatus.UsedUnderNoGrad, $"it was read by {op} inside a NoGrad scope, so that use was not recorded.");
        if (p.LastNonDifferentiableUse is { } nd)
            return (GradientStatus.NonDifferentiable, $"it was read by {nd}, which is not differentiable.");
        return (GradientStatus.Unused, "nothing in the loss's graph reads it (check Forward, or a Detach/NoGrad/Argmax upstream of the loss).");
    }

    /// <summary>The leaf tensors the loss depends on through recorded ops.</summary>
    private static HashSet<Tensor> ReachableLeaves(Tensor loss)
    {
        var leaves = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var seen = new HashSet<TapeEntry>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>([loss]);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (t.Creator is null) { leaves.Add(t); continue; }
            if (!seen.Add(t.Creator)) continue;
            foreach (var input in t.Creator.Inputs) stack.Push(input);
        }
        return leaves;
    }
}
