using System.Globalization;

namespace Autodiff;

/// <summary>One recorded op: its name, inputs, output, the local-derivative formula, and the closure that applies it.</summary>
/// <remarks>Plain data, so a learner can print the graph the forward pass built. Same role as a <c>grad_fn</c> node in PyTorch.</remarks>
public sealed class TapeEntry
{
    private Action<Tensor>? _backward;
    private Func<Tensor, Tensor?[]>? _differentiable;
    private readonly int[] _inputVersions;

    internal TapeEntry(Tape tape, long sequence, string op, Tensor output, Tensor[] inputs, string formula, Action<Tensor> backward,
        Func<Tensor, Tensor?[]>? differentiable)
    {
        _differentiable = differentiable;
        Tape = tape;
        Sequence = sequence;
        Op = op;
        Output = output;
        Inputs = inputs;
        Formula = formula;
        _backward = backward;
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

    /// <summary>Sends <paramref name="gradient"/> (the gradient of <see cref="Output"/>) back to the inputs.</summary>
    internal void RunBackward(Tensor gradient)
    {
        var backward = _backward ?? throw new InvalidOperationException($"{Op}: this tape entry was already released.");
        CheckInputVersions();
        backward(gradient);
    }

    /// <summary>The backward written with recorded ops (<c>Backward(createGraph: true)</c>): the gradient of each input,
    /// or null where an input needs none, so that the backward pass itself lands on the tape and can be differentiated.</summary>
    /// <exception cref="NotSupportedException">The op has no differentiable backward.</exception>
    internal Tensor?[] RunDifferentiableBackward(Tensor gradient)
    {
        if (_backward is null) throw new InvalidOperationException($"{Op}: this tape entry was already released.");
        var derivative = _differentiable ?? throw new NotSupportedException(
            $"{Op}: its backward is not differentiable yet, so Backward(createGraph: true) cannot record it; gradients of gradients through {Op} are not implemented.");
        CheckInputVersions();
        return derivative(gradient);
    }

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
        if (Chunk is { } chunk) chunk.ReleasedCount++;
        Released = true;
        _backward = null;
        _differentiable = null;
        Inputs = [];
    }

    /// <summary>One line: <c>#0   Mul         t3[2, 3] &lt;- t1[2, 3], t2[2, 3]   da += g·b, db += g·a</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"#{Sequence,-3} {Op,-11} {$"{Output.Label} <- {string.Join(", ", Inputs.Select(t => t.Label))}",-44} {Formula}");
}
