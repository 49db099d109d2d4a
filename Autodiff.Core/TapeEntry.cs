using System.Globalization;

namespace Autodiff;

/// <summary>One recorded op: its name, inputs, output, the local-derivative formula, and the rule that applies it.</summary>
/// <remarks>Plain data, so a learner can print the graph the forward pass built. Same role as a <c>grad_fn</c> node in PyTorch.</remarks>
public sealed class TapeEntry
{
    private Derivative[]? _rules;                // one derivative per input (PyTorch's derivatives.yaml shape)
    private Func<Tensor, Tensor?[]>? _jointRule;            // or one rule giving every input's gradient at once
    private Action<Tensor>? _accumulate;                    // or a closure that accumulates by itself (not differentiable)
    private readonly int[] _inputVersions;

    internal TapeEntry(Tape tape, long sequence, string op, Tensor output, Tensor[] inputs, string formula,
        Derivative[]? rules, Func<Tensor, Tensor?[]>? jointRule, Action<Tensor>? accumulate)
    {
        (_rules, _jointRule, _accumulate) = (rules, jointRule, accumulate);
        Tape = tape;
        Sequence = sequence;
        Op = op;
        Output = output;
        Inputs = inputs;
        Formula = formula;
        _inputVersions = new int[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) _inputVersions[i] = inputs[i].Version;
    }
    /// <summary>The tape this entry was recorded on.</summary>
    public Tape Tape { get; }

    /// <summary>The entry's number in recording order, counted from 0 since the tape was last empty.</summary>
    public long Sequence { get; }

    /// <summary>The op's name, e.g. <c>MatMul</c>.</summary>
    public string Op { get; }

    /// <summary>The tensor the op produced.</summary>
    public Tensor Output { get; }

    /// <summary>The tensors the op read; empty once the entry is released.</summary>
    public IReadOnlyList<Tensor> Inputs { get; private set; }

    /// <summary>The local derivatives, in terms of the incoming gradient <c>g</c>, e.g. <c>da += g·b, db += g·a</c>.</summary>
    public string Formula { get; }

    /// <summary>True once a Backward replayed this entry without retaining the graph: its closure and inputs are gone.</summary>
    public bool Released { get; private set; }

    /// <summary>Runs the op's derivative rule on <paramref name="g"/>, the gradient of <see cref="Output"/>: the gradient
    /// of each input (null where an input needs none), to be reduced to the input's shape and summed by the pass. The pass
    /// runs it with recording off, or on under <c>createGraph</c> so that the backward itself lands on the tape.</summary>
    /// <exception cref="NotSupportedException">createGraph is set and the op has no differentiable rule.</exception>
    /// <param name="g">The gradient of <see cref="Output"/>.</param>
    /// <param name="createGraph">Whether the pass records (only differentiable rules can run then).</param>
    /// <param name="scratch">The pass's buffer for per-input rules' results, grown as needed and reused entry to entry.</param>
    internal ReadOnlySpan<Tensor?> Derive(Tensor g, bool createGraph, ref Tensor?[] scratch)
    {
        if (Released) throw new InvalidOperationException($"{Op}: this tape entry was already released.");
        CheckInputVersions();
        if (_accumulate is { } accumulate && (!createGraph || _jointRule is null))
        {
            if (createGraph) throw new NotSupportedException(
                $"{Op}: its backward is not differentiable yet, so Backward(createGraph: true) cannot record it; gradients of gradients through {Op} are not implemented.");
            accumulate(g);
            return [];
        }
        if (_rules is { } rules)
        {
            if (scratch.Length < rules.Length) scratch = new Tensor?[rules.Length];
            for (int k = 0; k < rules.Length; k++) scratch[k] = Inputs[k].RequiresGrad ? rules[k](g, this) : null;
            return scratch.AsSpan(0, rules.Length);
        }
        var joint = _jointRule!(g);
        if (joint.Length < Inputs.Count || joint.Skip(Inputs.Count).Any(x => x is not null))
            Check.FailState("Backward", $"{Op}: its derivative rule returned {joint.Length} gradients for {Inputs.Count} inputs.");
        return joint;
    }

    /// <summary>True when a plain backward runs a closure that accumulates into the inputs by itself (the compatibility
    /// overload of <c>Tape.Record</c>) instead of rules returning gradients: the tape page cannot show its contributions.</summary>
    internal bool AccumulatesItself => _accumulate is not null;

    /// <summary>This entry's index in the backward pass replaying it (see BackwardPass).</summary>
    internal int PassIndex { get; set; } = -1;

    private void CheckInputVersions()
    {
        for (int i = 0; i < Inputs.Count; i++)
            if (Inputs[i].Version != _inputVersions[i])
                Check.FailState("Backward", $"input {i} of {Op} ({Inputs[i].Label}) was modified in place after {Op} recorded it " +
                    $"(version {Inputs[i].Version}, recorded {_inputVersions[i]}), so the gradient would be computed from the wrong values. " +
                    "Do not change tensors (e.g. optimizer.Step(), LoadStateDict, AsSpan writes) between a forward pass and its Backward.");
    }

    /// <summary>The chunk of the tape holding this entry, and its place there.</summary>
    internal TapeChunk? Chunk { get; set; }

    internal int Slot { get; set; }

    internal void Release()
    {
        if (Released) return;
        if (Chunk is { } chunk)
        {
            chunk.ReleasedCount++;
            chunk.Entries[Slot] = null;      // the chunk lives while any entry of it does: it must not keep this one's Output,
            Chunk = null;                    // nor this one (held by its Output, e.g. a loss the loop keeps) the chunk
        }
        Released = true;
        (_rules, _jointRule, _accumulate) = (null, null, null);
        Inputs = [];
    }

    /// <summary>One line: <c>#0   Mul         t3[2, 3] &lt;- t1[2, 3], t2[2, 3]   da += g·b, db += g·a</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"#{Sequence,-3} {Op,-11} {$"{Output.Label} <- {string.Join(", ", Inputs.Select(t => t.Label))}",-44} {Formula}");
}
