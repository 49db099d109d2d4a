namespace Autodiff;

// Names and marks kept on a tensor only so that error messages can say what it is and why something went wrong. Most
// tensors never get one, so they live in one side object made on the first write: a tensor stays small, and a training
// step allocates no more than before these messages existed.
public sealed partial class Tensor
{
    private sealed class Notes
    {
        public string? ParameterName;
        public object? ParameterNameRoot;        // the module whose state dict gave ParameterName
        public int ParameterNameTreeSize;
        public string? LastUnrecordedUse;
        public string? LastNonDifferentiableUse;
        public string? ConstantGradientFrom;
        public bool RetainsGrad;
        public Tensor? RetainedGrad;
        public bool RetainedGradIsOurs;          // a copy nobody else holds as a gradient: safe to add into in place
    }

    private Notes? _notes;

    /// <summary>The notes, made on the first write of a non-null value (a null written to no notes changes nothing).</summary>
    private Notes? NotesFor(bool writing) => writing ? _notes ??= new Notes() : _notes;

    /// <summary>The dotted state-dict name (<c>0.weight</c>, <c>encoder.fc1.bias</c>) a module gave this tensor when it
    /// enumerated its parameters and buffers, or null; <see cref="Label"/> shows it when <see cref="Name"/> is null.</summary>
    internal string? ParameterName => _notes?.ParameterName;


    /// <summary>Records <paramref name="name"/>, given by the module tree <paramref name="root"/>, as this tensor's
    /// <see cref="ParameterName"/> unless another tree at least as large (<paramref name="treeSize"/>, its count of
    /// parameters and buffers) named it: the name seen from the whole model wins (<c>0.weight</c> from a Sequential over
    /// <c>weight</c> from the Linear's own enumeration, and over <c>0.weight</c> from a slice <c>model[2..]</c>), whichever
    /// was read first; the same root renames freely (a ModuleList renumbered). A reference store, no formatting.</summary>
    internal void NameAsParameter(string name, object root, int treeSize)
    {
        var notes = NotesFor(writing: true)!;
        if (notes.ParameterName is not null && !ReferenceEquals(root, notes.ParameterNameRoot) && treeSize <= notes.ParameterNameTreeSize) return;
        (notes.ParameterName, notes.ParameterNameRoot, notes.ParameterNameTreeSize) = (name, root, treeSize);
    }

    /// <summary>For diagnostics: the last op that read this tensor while recording was off (NoGrad), if any.</summary>
    internal string? LastUnrecordedUse
    {
        get => _notes?.LastUnrecordedUse;
        set { if (NotesFor(value is not null) is { } n) n.LastUnrecordedUse = value; }
    }

    /// <summary>For diagnostics: the op that produced this tensor inside a NoGrad scope from a tensor that requires grad
    /// (or from another such result), so nothing was recorded; null otherwise. <see cref="Backward()"/> quotes it.
    /// Kept on the tensor itself, not in the notes: every output of an evaluation under NoGrad gets one.</summary>
    internal string? UnrecordedOp { get; set; }

    /// <summary>True when <see cref="UnrecordedOp"/> produced this tensor itself; false when this tensor was computed
    /// (outside NoGrad) from such a result.</summary>
    internal bool UnrecordedDirectly { get; set; }

    /// <summary>For diagnostics: the last non-differentiable op (e.g. Argmax) that read this tensor, if any.</summary>
    internal string? LastNonDifferentiableUse
    {
        get => _notes?.LastNonDifferentiableUse;
        set { if (NotesFor(value is not null) is { } n) n.LastNonDifferentiableUse = value; }
    }

    /// <summary>For diagnostics: set on a gradient that a <c>createGraph</c> backward pass produced without recording it
    /// (it requires no grad, so it depends on no recorded op), and on what is computed from it: the op whose backward
    /// returned it. A Backward or <see cref="Autograd.Grad"/> on such a tensor then says that some backward on the path
    /// is not differentiable, or the gradient is constant, instead of blaming the leaves.</summary>
    internal string? ConstantGradientFrom
    {
        get => _notes?.ConstantGradientFrom;
        set { if (NotesFor(value is not null) is { } n) n.ConstantGradientFrom = value; }
    }

    /// <summary>Set by <see cref="RetainGrad"/> on a non-leaf: Backward keeps its gradient in <see cref="RetainedGrad"/>.</summary>
    internal bool RetainsGrad
    {
        get => _notes?.RetainsGrad ?? false;
        private set { if (NotesFor(value) is { } n) n.RetainsGrad = value; }
    }

    /// <summary>A non-leaf's gradient kept after Backward because of <see cref="RetainGrad"/>; what <see cref="Grad"/>
    /// returns for a non-leaf.</summary>
    private Tensor? RetainedGrad
    {
        get => _notes?.RetainedGrad;
        set { if (NotesFor(value is not null) is { } n) n.RetainedGrad = value; }
    }

    /// <summary>True when <see cref="RetainedGrad"/> is a copy the engine made, so a later pass may add into it in place.</summary>
    private bool RetainedGradIsOurs
    {
        get => _notes?.RetainedGradIsOurs ?? false;
        set { if (NotesFor(value) is { } n) n.RetainedGradIsOurs = value; }
    }

    /// <summary>The graph that produced this tensor as one self-contained HTML page to open in a browser: the recorded ops
    /// it depends on and their leaves as boxes with shapes and values, edges labelled with the local derivatives, and
    /// controls that step through the forward pass, then through the backward pass from this tensor one op at a time,
    /// showing the incoming gradient, the derivative rule and the contribution sent to each input (the chain rule).</summary>
    /// <param name="gradient">The gradient the backward steps start from, of this tensor's shape and dtype; null means
    /// 1, for a scalar (as <see cref="Backward()"/>).</param>
    /// <param name="title">The page's title; null for "Autodiff tape of" and this tensor's label.</param>
    /// <returns>The HTML text (no network, no external files: styles, script and numbers are inside it).</returns>
    /// <remarks>The numbers come from the engine: the forward values are the recorded tensors, and the backward runs the
    /// recorded rules as a plain Backward runs them, but no <c>Grad</c> changes and nothing is released, so call it
    /// before <c>Backward()</c> (or after <c>Backward(retainGraph: true)</c>). Small tensors (up to 16 elements) show
    /// every value; larger ones their shape, mean, min and max, and a click on a value shows up to 4096 of them. Keys:
    /// Right = next, Left = back, Space = play/pause, Home = reset, End = last step. See also <see cref="Tape.ToHtml"/>.</remarks>
    /// <exception cref="InvalidOperationException">This tensor was not produced by a recorded op (a leaf, or computed
    /// under NoGrad or from tensors that require no grad), or a Backward already released its graph.</exception>
    /// <exception cref="ArgumentException">This tensor is not a scalar and no gradient is given, or the gradient's
    /// shape or dtype differs from this tensor's.</exception>
    /// <example><code>
    /// var price = (apple * appleCount + orange * orangeCount) * tax;
    /// File.WriteAllText("apples.html", price.ToHtml());
    /// price.Backward();
    /// </code></example>
    public string ToHtml(Tensor? gradient = null, string? title = null)
    {
        const string op = "Tensor.ToHtml";
        var creator = Creator;
        if (creator is null)
            Check.FailState(op, $"{Label} was not produced by a recorded op (it is a leaf, or was computed under NoGrad or " +
                "from tensors that require no grad), so there is no graph to draw; call ToHtml on a result computed from " +
                "tensors that require grad.");
        var seed = SeedGradient(gradient);
        var entries = new List<TapeEntry>();
        var seen = new HashSet<TapeEntry>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<TapeEntry>([creator]);
        while (pending.Count > 0)
        {
            var entry = pending.Pop();
            if (!seen.Add(entry)) continue;
            if (entry.Released)
                Check.FailState(op, $"the graph of {Label} was already released by a Backward ({entry.Op} is gone); call ToHtml " +
                    "before Backward, or pass retainGraph: true to Backward.");
            entries.Add(entry);
            foreach (var input in entry.Inputs)
                if (input.Creator is { } before) pending.Push(before);
        }
        entries.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return TapePage.Build(entries, this, seed, title ?? $"Autodiff tape of {Label}");
    }

    /// <summary>An op ran under NoGrad: notes, on inputs that require grad, which op read them unrecorded, and on the
    /// result, which op broke the graph, so that a Backward that finds nothing recorded can say why.</summary>
    internal static void NoteUnrecorded(string op, Tensor output, ReadOnlySpan<Tensor> inputs)
    {
        bool lost = false;                   // a gradient would have flowed here outside NoGrad
        foreach (var input in inputs)
            if (input.RequiresGrad || input.UnrecordedOp is not null)
            {
                if (input.RequiresGrad) input.LastUnrecordedUse = op;
                lost = true;
            }
        if (lost && !output.RequiresGrad && !inputs.Contains(output))
            (output.UnrecordedOp, output.UnrecordedDirectly) = (op, true);
    }

    /// <summary>An op recorded nothing because no input requires grad: carries over, from an input, where the graph
    /// broke (the loss of logits a NoGrad scope produced) or which createGraph backward gave a constant gradient.</summary>
    internal static void NoteConstantResult(Tensor output, ReadOnlySpan<Tensor> inputs)
    {
        if (inputs.Contains(output)) return;
        foreach (var input in inputs)
            if (input.UnrecordedOp is { } lostAt)
            {
                (output.UnrecordedOp, output.UnrecordedDirectly) = (lostAt, false);
                return;
            }
        if (output.UnrecordedOp is null && output.ConstantGradientFrom is null)
            foreach (var input in inputs)
                if (input.ConstantGradientFrom is { } from)
                {
                    output.ConstantGradientFrom = from;
                    return;
                }
    }
}
