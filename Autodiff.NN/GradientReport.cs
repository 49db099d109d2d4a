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
}

/// <summary>One parameter's line in a <see cref="GradientReport"/>.</summary>
/// <param name="Name">The dotted parameter name, as in <see cref="Module.NamedParameters"/>.</param>
/// <param name="Shape">The parameter's shape.</param>
/// <param name="Status">What happened.</param>
/// <param name="Reason">A sentence saying why.</param>
public sealed record ParameterGradient(string Name, Shape Shape, GradientStatus Status, string Reason);

/// <summary>What a diagnosed Backward found for every parameter of a model; see <see cref="Diagnostics.Backward"/>.</summary>
public sealed class GradientReport
{
    internal GradientReport(IReadOnlyList<ParameterGradient> parameters) => Parameters = parameters;

    /// <summary>One entry per parameter, in registration order.</summary>
    public IReadOnlyList<ParameterGradient> Parameters { get; }

    /// <summary>The parameters that did not receive a usable gradient.</summary>
    public IEnumerable<ParameterGradient> Problems => Parameters.Where(p => p.Status != GradientStatus.Ok);

    /// <summary>One line per parameter with a problem, or a line saying all is well.</summary>
    public override string ToString()
    {
        var problems = Problems.ToList();
        if (problems.Count == 0) return $"All {Parameters.Count} parameters received a non-zero gradient.";
        var sb = new StringBuilder($"{problems.Count} of {Parameters.Count} parameters received no usable gradient:\n");
        foreach (var p in problems) sb.Append($"  {p.Name} {p.Shape}: {p.Status}: {p.Reason}\n");
        return sb.ToString().TrimEnd();
    }
}

/// <summary>Backward with a report on every parameter of a model that received no gradient, and why.</summary>
public static class Diagnostics
{
    /// <summary>Runs <c>loss.Backward()</c> and reports, for every parameter of <paramref name="diagnose"/>, whether it
    /// received a gradient, and if not why: detached, used under NoGrad, read only by a non-differentiable op, or unused.</summary>
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
        foreach (var (name, p) in diagnose.NamedParameters())
        {
            var (status, reason) = Diagnose(p, leaves);
            report.Add(new ParameterGradient(name, p.Shape, status, reason));
        }
        return new GradientReport(report);
    }

    private static (GradientStatus, string) Diagnose(Tensor p, HashSet<Tensor> leaves)
    {
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
