namespace Autodiff;

/// <summary>Debugging switches for the autograd engine. Same idea as <c>torch.autograd</c>'s anomaly mode.</summary>
public static class Autograd
{
    private static readonly AsyncLocal<int> s_anomalyDepth = new();
    private static int s_openAnomalyScopes;             // on any thread; while 0, no op pays for the AsyncLocal read

    /// <summary>True inside a <see cref="DetectAnomaly"/> scope.</summary>
    public static bool IsAnomalyDetectionEnabled => Volatile.Read(ref s_openAnomalyScopes) != 0 && s_anomalyDepth.Value > 0;

    /// <summary>Starts a scope in which the first recorded op whose output, or whose gradient for an input, holds NaN or
    /// ±Infinity throws an <see cref="AnomalyException"/> naming the op, its input shapes and the ops that produced
    /// those inputs. Same as <c>torch.autograd.detect_anomaly()</c>. It scans every value, so use it to debug, not to train.</summary>
    /// <example><code>using (Autograd.DetectAnomaly()) { loss = Step(); loss.Backward(); }</code></example>
    public static AnomalyScope DetectAnomaly()
    {
        s_anomalyDepth.Value++;
        Interlocked.Increment(ref s_openAnomalyScopes);
        return new AnomalyScope();
    }

    internal static void EndAnomaly()
    {
        s_anomalyDepth.Value--;
        Interlocked.Decrement(ref s_openAnomalyScopes);
    }

    /// <summary>The gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, returned rather than
    /// accumulated: no tensor's <see cref="Tensor.Grad"/> changes. Same as <c>torch.autograd.grad</c>.</summary>
    /// <param name="outputs">The tensors to differentiate; each needs a gradient in <paramref name="gradOutputs"/> unless it is a scalar.</param>
    /// <param name="inputs">The tensors to differentiate with respect to (leaves or intermediate results).</param>
    /// <param name="createGraph">Record the backward pass, so the returned gradients can be differentiated again
    /// (Hessian-vector products, gradient penalties).</param>
    /// <param name="gradOutputs">The gradient of each output (the vector of a vector-Jacobian product); null means ones for scalars.</param>
    /// <param name="retainGraph">Keep the graph for another backward pass; defaults to <paramref name="createGraph"/>.</param>
    /// <param name="allowUnused">Return null for an input the outputs do not depend on, instead of throwing.</param>
    /// <returns>One gradient per input, of the input's shape.</returns>
    /// <exception cref="ArgumentException">A list is empty or holds null, an output or input does not require grad, the
    /// gradOutputs count differs from the outputs, or an input is unused and allowUnused is false.</exception>
    /// <example><code>
    /// // Hessian-vector product: H·v = ∇(∇f · v)
    /// var g = Autograd.Grad([f], [x], createGraph: true)[0];
    /// var hv = Autograd.Grad([(g * v).Sum()], [x])[0];
    /// </code></example>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, bool createGraph = false,
        IReadOnlyList<Tensor>? gradOutputs = null, bool? retainGraph = null, bool allowUnused = false)
    {
        const string op = "Autograd.Grad";
        Check.NonEmptyList(op, outputs, nameof(outputs));
        Check.NonEmptyList(op, inputs, nameof(inputs));
        for (int i = 0; i < outputs.Count; i++)
            if (!outputs[i].RequiresGrad) Check.NotRequiringGrad(op, outputs[i], $"output {i}", nameof(outputs));
        for (int i = 0; i < inputs.Count; i++)
            if (!inputs[i].RequiresGrad) Check.Fail(op, $"input {i} ({inputs[i].Label}) does not require grad.", nameof(inputs));
        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
            Check.Fail(op, $"{gradOutputs.Count} gradOutputs for {outputs.Count} outputs.", nameof(gradOutputs));

        var seeds = new Tensor[outputs.Count];
        for (int i = 0; i < outputs.Count; i++) seeds[i] = outputs[i].SeedGradient(gradOutputs?[i]);
        var results = BackwardPass.Run(outputs, seeds, retainGraph ?? createGraph, createGraph, targets: inputs)!;
        for (int i = 0; i < results.Length; i++)
            if (results[i] is null && !allowUnused)
                Check.Fail(op, $"input {i} ({inputs[i].Label}) is not used to compute the outputs; pass allowUnused: true to get null for it.", nameof(inputs));
        return results;
    }

    /// <summary>Throws when <paramref name="values"/> holds a NaN or an infinity (anomaly mode only).</summary>
    internal static void CheckFinite(string op, string phase, Tensor values, IReadOnlyList<Tensor> inputs)
    {
        int bad = FirstNonFinite(values);
        if (bad < 0) return;
        string sources = string.Join(", ", inputs.Select(t => $"{t.Label} from {(t.Creator is null ? "a leaf" : t.Creator.Op)}"));
        throw new AnomalyException($"{op}: the {phase} produced {values.ToDoubleArray()[bad]} at element {bad} of {values.Shape}; " +
            $"inputs: {sources}.", op);
    }

    private static int FirstNonFinite(Tensor t)
    {
        var values = t.ToDoubleArray();
        for (int i = 0; i < values.Length; i++) if (!double.IsFinite(values[i])) return i;
        return -1;
    }
}

/// <summary>The scope returned by <see cref="Autograd.DetectAnomaly"/>.</summary>
public readonly struct AnomalyScope : IDisposable
{
    /// <summary>Ends the scope.</summary>
    public void Dispose() => Autograd.EndAnomaly();
}

/// <summary>Thrown in anomaly mode by the first op whose forward or backward produced NaN or infinity.</summary>
public sealed class AnomalyException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public AnomalyException(string message, string op) : base(message) => Op = op;

    /// <summary>The op that produced the value.</summary>
    public string Op { get; }
}
