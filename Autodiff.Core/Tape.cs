using System.Runtime.InteropServices;
using System.Text;

namespace Autodiff;

/// <summary>The recording of a forward pass: a list of <see cref="TapeEntry"/> in execution order, one tape per thread.</summary>
/// <remarks>
/// <para><b>Which tape an op lands on.</b> An op whose inputs include a recorded tensor is appended to that tensor's
/// tape; an op on leaves only is appended to <see cref="Current"/>, the calling thread's tape ([ThreadStatic]). So a
/// forward pass that awaits and resumes on another thread keeps extending the tape it started on, while two threads
/// training two models never share one. Mixing tensors recorded on two tapes in one op is an error.</para>
/// <para><b>Backward.</b> The list is already in topological order, so <c>Backward</c> is a reverse <c>for</c> loop:
/// from the loss's entry down to the first, each entry whose output received a gradient sends it on to its inputs.
/// The entries it replayed are then released (their closures and saved tensors dropped) unless
/// <c>retainGraph</c> is set, so memory does not grow across training steps. Entries the pass did not reach
/// (another loss's graph) stay for their own Backward.</para>
/// <para><b>Abandoned graphs.</b> A forward pass that is never backpropagated costs nothing once its tensors are
/// dropped: the tape refers to entries weakly, so the GC collects such a graph and the tape prunes its slots.</para>
/// <para><b>NoGrad.</b> Inside <c>using (Tensor.NoGrad())</c> nothing is recorded. That scope flows with
/// async calls (AsyncLocal), so an awaited evaluation stays unrecorded.</para>
/// <para>A tape belongs to one thread at a time: do not run ops on tensors of one graph from two threads at once.</para>
/// </remarks>
public sealed class Tape
{
    [ThreadStatic] private static Tape? t_current;
    private static readonly AsyncLocal<int> s_noGradDepth = new();

    // True while a plain backward pass runs derivative rules on this thread: nothing is recorded, as under NoGrad, and
    // Record skips even the notes it keeps for explaining a NoGrad the user wrote. Thread-static, not async-local like
    // the NoGrad depth: a pass runs synchronously on one thread, and this is read by every op a rule calls.
    [ThreadStatic] private static bool t_replaying;

    // The entries, in recording order, in chunks of ChunkSize held weakly: a graph nobody holds a tensor of any more
    // (a forward pass never backpropagated) is collected by the GC like any other garbage, and its chunk's slot is
    // pruned here. A graph that can still be backpropagated is alive, because its root tensor holds its entry, which
    // holds its inputs, which hold their entries; each entry holds its chunk, and a chunk its entries. So an abandoned
    // entry lives on only while another entry of its chunk is alive: one weak handle per chunk, not per op, which is
    // the cost that matters when every op of every step is recorded. A released entry (its Backward ran) leaves its
    // chunk's slot: the next steps' entries share the chunk, and through it kept every earlier output alive (64 entries
    // are about 10 LSTM or MLP steps), so a plain loop's buffers came back to the pool only when the chunk filled up.
    // For the same reason a backward pass closes the open chunk: what the step recorded but never backpropagated (an
    // LSTM's final state, sliced from its output buffer) then dies with the step, not with the chunk's tenth step.
    private readonly List<GCHandle> _chunks = [];           // weak handles to TapeChunk, freed when pruned
    private GCHandle _open;                                  // weak handle to the chunk being filled, if any
    private int _pruneAt = MinimumPrune;
    private const int MinimumPrune = 64;
    private long _nextSequence;

    /// <summary>Frees the weak handles of a tape whose thread is gone.</summary>
    ~Tape()
    {
        foreach (var handle in _chunks) if (handle.IsAllocated) handle.Free();
    }

    /// <summary>The calling thread's tape, created on first use.</summary>
    public static Tape Current => t_current ??= new Tape();

    /// <summary>False inside a <see cref="NoGrad"/> scope.</summary>
    public static bool IsRecording => !t_replaying && s_noGradDepth.Value == 0;

    /// <summary>Starts a scope in which no op is recorded; dispose it to resume. Same as <c>torch.no_grad()</c>.</summary>
    /// <example><code>using (Tape.NoGrad()) { var logits = model.Forward(x); }</code></example>
    public static NoGradScope NoGrad()
    {
        s_noGradDepth.Value++;
        return new NoGradScope();
    }

    internal static void EndNoGrad() => s_noGradDepth.Value--;

    /// <summary>The recorded entries still waiting for a Backward, oldest first.</summary>
    public IReadOnlyList<TapeEntry> Entries => Live().ToList();

    /// <summary>The number of entries waiting for a Backward.</summary>
    public int Count => Live().Count();

    private IEnumerable<TapeEntry> Live()
    {
        foreach (var handle in _chunks)
            if (handle.Target is TapeChunk chunk)
                for (int i = 0; i < chunk.Count; i++)
                    if (chunk.Entries[i] is { Released: false } entry) yield return entry;
    }

    /// <summary>Releases every entry: tensors recorded so far can no longer be backpropagated.</summary>
    public void Clear()
    {
        foreach (var e in Live().ToList()) e.Release();
        foreach (var handle in _chunks) handle.Free();
        _chunks.Clear();
        _open = default;
        _pruneAt = MinimumPrune;
        _nextSequence = 0;
    }

    /// <summary>Appends an entry to the open chunk, starting a new chunk when it is full or was collected.</summary>
    private void Append(TapeEntry entry)
    {
        if ((_open.IsAllocated ? _open.Target : null) is not TapeChunk chunk || chunk.Count == TapeChunk.Size || chunk.Closed)
        {
            if (_chunks.Count >= _pruneAt) Prune();
            chunk = new TapeChunk();
            _open = GCHandle.Alloc(chunk, GCHandleType.Weak);
            _chunks.Add(_open);
        }
        chunk.Add(entry);
    }

    /// <summary>Records an op whose derivative is one rule per input: when recording is on and some input requires
    /// grad, appends an entry that a backward pass replays by calling, for each input that requires grad, its rule with
    /// the gradient <c>g</c> of <paramref name="output"/>.</summary>
    /// <param name="op">The op's name, as the tape and error messages print it.</param>
    /// <param name="output">The op's result, already computed.</param>
    /// <param name="inputs">The tensors the op read.</param>
    /// <param name="formula">The rules as a formula in terms of <c>g</c>, for printing: what each input's gradient receives, e.g. <c>da += g·b, db += g·a</c>.</param>
    /// <param name="derivatives">One rule per input, in order (see <see cref="Derivative"/>).</param>
    /// <returns><paramref name="output"/>, now requiring grad when anything was recorded.</returns>
    /// <remarks>The library's own ops use this; a custom op is easier as a <see cref="Function"/>. A rule runs with
    /// recording off in a plain <c>Backward</c> and recorded under <c>createGraph</c>; where a fused backward kernel pays
    /// for itself, the rule calls it as a named op with its own rule (e.g. <c>ReluBackward</c>). The spans let a call
    /// site pass <c>[a, b]</c> and <c>[static ..., static ...]</c> without allocating when nothing is recorded, as when
    /// the op runs inside another op's rule in a plain backward pass.</remarks>
    /// <exception cref="ArgumentException">The number of rules differs from the number of inputs.</exception>
    /// <exception cref="InvalidOperationException">The inputs were recorded on two different tapes.</exception>
    /// <example><code>return Tape.Record("Mul", y, [a, b], "da += g·b, db += g·a", [static (g, e) => g * e.Inputs[1], static (g, e) => g * e.Inputs[0]]);</code></example>
    public static Tensor Record(string op, Tensor output, ReadOnlySpan<Tensor> inputs, string formula, ReadOnlySpan<Derivative> derivatives)
    {
        if (derivatives.Length != inputs.Length)
            Check.Fail(op, $"{derivatives.Length} derivative rules for {inputs.Length} inputs; give one per input.", nameof(derivatives));
        return Append(op, output, inputs, null, formula, derivatives, null, null);
    }

    /// <summary>Records an op whose derivative is one rule giving every input's gradient at once, for a fused backward
    /// that computes them together (a rule checks <see cref="Tensor.RequiresGrad"/> to skip inputs that need none).</summary>
    /// <param name="op">The op's name, as the tape and error messages print it.</param>
    /// <param name="output">The op's result, already computed.</param>
    /// <param name="inputs">The tensors the op read.</param>
    /// <param name="formula">The rule as a formula in terms of <c>g</c>, for printing.</param>
    /// <param name="derivative">Given <c>g</c>, one gradient per input (null where none), as for the per-input overload.</param>
    /// <returns><paramref name="output"/>, now requiring grad when anything was recorded.</returns>
    /// <exception cref="InvalidOperationException">The inputs were recorded on two different tapes.</exception>
    public static Tensor Record(string op, Tensor output, Tensor[] inputs, string formula, Func<Tensor, Tensor?[]> derivative) =>
        Append(op, output, inputs, inputs, formula, default, derivative, null);

    /// <summary>Records an op whose backward is a closure that accumulates into the inputs by itself; it runs in a plain
    /// <c>Backward</c>, and <c>Backward(createGraph: true)</c> through it throws <see cref="NotSupportedException"/>.</summary>
    /// <param name="op">The op's name, as the tape and error messages print it.</param>
    /// <param name="output">The op's result, already computed.</param>
    /// <param name="inputs">The tensors the op read.</param>
    /// <param name="formula">The local derivatives in terms of the incoming gradient <c>g</c>, for printing.</param>
    /// <param name="backward">Called with the output's gradient.</param>
    /// <returns><paramref name="output"/>, now requiring grad when anything was recorded.</returns>
    /// <remarks>Kept for compatibility: such a closure cannot reach the engine's gradients, so no gradient reaches an input
    /// that is another op's result (writing a leaf's <c>x.Grad</c> in it bypasses <c>Autograd.Grad</c>, <c>createGraph</c>
    /// and broadcasting). Return gradients from a rule instead (the other
    /// overloads), or derive from <see cref="Function"/>.</remarks>
    /// <exception cref="InvalidOperationException">The inputs were recorded on two different tapes.</exception>
    public static Tensor Record(string op, Tensor output, Tensor[] inputs, string formula, Action<Tensor> backward) =>
        Append(op, output, inputs, inputs, formula, default, null, backward);

    /// <summary>Records an op with an accumulating closure for a plain <c>Backward</c> and a rule for <c>createGraph</c>.</summary>
    /// <param name="op">The op's name, as the tape and error messages print it.</param>
    /// <param name="output">The op's result, already computed.</param>
    /// <param name="inputs">The tensors the op read.</param>
    /// <param name="formula">The local derivatives in terms of the incoming gradient <c>g</c>, for printing.</param>
    /// <param name="backward">Called with the output's gradient in a plain Backward.</param>
    /// <param name="differentiable">The rule run under <c>createGraph</c> (one gradient per input), or null.</param>
    /// <returns><paramref name="output"/>, now requiring grad when anything was recorded.</returns>
    /// <remarks>Kept for compatibility: two copies of one derivative can disagree. Give the rule alone instead.</remarks>
    /// <exception cref="InvalidOperationException">The inputs were recorded on two different tapes.</exception>
    public static Tensor Record(string op, Tensor output, Tensor[] inputs, string formula, Action<Tensor> backward,
        Func<Tensor, Tensor?[]>? differentiable) =>
        Append(op, output, inputs, inputs, formula, default, differentiable, backward);

    /// <summary>Records one entry; copies the spans into arrays only when it does record.</summary>
    private static Tensor Append(string op, Tensor output, ReadOnlySpan<Tensor> inputs, Tensor[]? inputArray, string formula,
        ReadOnlySpan<Derivative> rules, Func<Tensor, Tensor?[]>? jointRule, Action<Tensor>? accumulate)
    {
        if (t_replaying) return output;                              // a derivative rule in a plain backward pass
        Memory.BufferPool.ReclaimAtOpEnd();                          // buffers nobody can see any more, back to the pool
        int noGrad = s_noGradDepth.Value;
        if (Autograd.IsAnomalyDetectionEnabled) Autograd.CheckFinite(op, "forward pass", output, inputs.ToArray());
        // A scope owns what ops produce. Adopted here, where an op's result is final, rather than where buffers are
        // allocated: an op's scratch and saved buffers, gradients and optimizer state must outlive the scope.
        if (DisposeScope.Current is { } scope && !inputs.Contains(output)) scope.Adopt(output);
        if (!output.IsFloatingPoint) return NotDifferentiable(op, output, inputs);   // an Int64/Bool result: never recorded
        if (noGrad != 0)
        {
            Tensor.NoteUnrecorded(op, output, inputs);              // so Backward can say why nothing was recorded
            return output;
        }
        Tape? tape = null;
        bool any = false;
        foreach (var input in inputs)
        {
            if (!input.RequiresGrad) continue;
            any = true;
            if (input.Creator is null) continue;
            if (tape is null) tape = input.Creator.Tape;
            else if (tape != input.Creator.Tape)
                Check.FailState(op, $"inputs {Describe(inputs.ToArray())} were recorded on different tapes (threads); " +
                    "run one forward pass on one thread, or Detach() the tensor that crossed over.");
        }
        if (!any)
        {
            Tensor.NoteConstantResult(output, inputs);
            return output;
        }
        tape ??= Current;
        var entry = new TapeEntry(tape, tape._nextSequence++, op, output, inputArray ?? inputs.ToArray(), formula,
            rules.IsEmpty ? null : rules.ToArray(), jointRule, accumulate);
        tape.Append(entry);
        output.Creator = entry;
        output.RequiresGrad = true;
        return output;
    }

    /// <summary>Finishes an op whose result is Int64 or Bool (a comparison, a conversion to an integer): nothing is
    /// recorded, as no gradient flows through it; inputs that require grad note the op, for diagnostics (as Argmax does).</summary>
    internal static Tensor NotDifferentiable(string op, Tensor output, ReadOnlySpan<Tensor> inputs)
    {
        if (t_replaying) return output;
        foreach (var input in inputs)
            if (input.RequiresGrad) input.LastNonDifferentiableUse = op;
        return output;
    }

    /// <summary>Adopts the Int64 or Bool result of a non-differentiable op into the current <see cref="DisposeScope"/>
    /// (as <see cref="Record(string, Tensor, ReadOnlySpan{Tensor}, string, ReadOnlySpan{Derivative})"/> does for the
    /// others) and notes the op on inputs that require grad; records nothing.</summary>
    internal static Tensor RecordNotDifferentiable(string op, Tensor output, ReadOnlySpan<Tensor> inputs)
    {
        if (t_replaying) return output;
        if (DisposeScope.Current is { } scope && !inputs.Contains(output)) scope.Adopt(output);
        return NotDifferentiable(op, output, inputs);
    }

    /// <summary>The scope of a backward pass: a plain pass runs its rules unrecorded, a createGraph pass recorded (even
    /// inside the user's NoGrad, as PyTorch's create_graph does).</summary>
    internal static BackwardScopeToken BackwardScope(bool createGraph)
    {
        var token = new BackwardScopeToken(t_replaying, createGraph ? s_noGradDepth.Value : 0);
        t_replaying = !createGraph;
        Memory.BufferPool.Suspend();                                  // no op end inside the pass is a safe point
        if (createGraph && token.NoGradDepth != 0) s_noGradDepth.Value = 0;
        return token;
    }

    internal readonly struct BackwardScopeToken(bool replaying, int noGradDepth) : IDisposable
    {
        public int NoGradDepth => noGradDepth;

        public void Dispose()
        {
            Memory.BufferPool.Resume();
            t_replaying = replaying;
            if (noGradDepth != 0) s_noGradDepth.Value = noGradDepth;
        }
    }

    private static string Describe(Tensor[] inputs) => string.Join(", ", inputs.Select(t => t.Label));

    /// <summary>Every entry up to the latest of <paramref name="roots"/>' entries, in recording order (leaving out chunks
    /// the GC collected: nothing reachable held them), held strongly for a backward pass: releasing an entry drops its inputs,
    /// and an earlier entry reachable only through them would otherwise be collected mid-pass, losing its gradient.</summary>
    /// <remarks>Why a list and not a search of what is reachable from the roots: recording order is already topological,
    /// so the pass is a reverse <c>for</c> loop that skips entries no gradient reached, with no visited set and no sort;
    /// the weak chunks make an abandoned graph cost nothing, and the tape stays printable in the order the forward ran.</remarks>
    internal TapeEntry[] EntriesUpTo(IReadOnlyList<Tensor> roots)
    {
        TapeEntry? latest = null;
        foreach (var root in roots)
        {
            if (root.Creator is not { } entry) continue;
            if (entry.Released)
                Check.FailState("Backward", $"the graph of {root.Label} (produced by {entry.Op}) was already freed by an earlier " +
                    "Backward; pass retainGraph: true to the first Backward to go through it twice.");
            if (entry.Tape != this)
                Check.FailState("Backward", $"{root.Label} was recorded on another tape (thread) than {roots[0].Label}; differentiate them separately.");
            if (latest is null || entry.Sequence > latest.Sequence) latest = entry;
        }
        var rootChunk = latest!.Chunk;
        int last = _chunks.FindLastIndex(h => ReferenceEquals(h.Target, rootChunk));
        if (last < 0)
            Check.FailState("Backward", $"{latest.Output.Label} (produced by {latest.Op}) is no longer on its tape; was the tape cleared?");
        var chunks = new TapeChunk?[last + 1];
        int total = 0;
        for (int c = 0; c <= last; c++)
            if ((chunks[c] = _chunks[c].Target as TapeChunk) is { } chunk) total += c < last ? chunk.Count : latest.Slot + 1;
        var entries = new TapeEntry[total];
        int at = 0;
        for (int c = 0; c <= last; c++)
            if (chunks[c] is { } chunk)
                for (int i = 0, n = c < last ? chunk.Count : latest.Slot + 1; i < n; i++)
                    if (chunk.Entries[i] is { } entry) entries[at++] = entry;     // released entries left their slot
        return at == total ? entries : entries[..at];
    }

    /// <summary>After a backward pass: drops the chunks it released, and numbers from #0 again once the tape is empty.</summary>
    internal void AfterBackward()
    {
        if ((_open.IsAllocated ? _open.Target : null) is TapeChunk open) open.Closed = true;   // the next step starts a chunk
        _open = default;                                     // its handle stays in _chunks, which Prune may free now
        Prune();
        if (_chunks.Count == 0) _nextSequence = 0;           // each training step prints from #0
    }

    /// <summary>The recorded graph in Graphviz DOT: a box per tensor (label and shape), an ellipse per op with its local
    /// derivative, arrows in the direction of the forward pass. Render with <c>dot -Tsvg</c>.</summary>
    public string ToDot()
    {
        var sb = new StringBuilder("digraph tape {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n");
        var seen = new HashSet<long>();
        void Node(Tensor t)
        {
            if (!seen.Add(t.Id)) return;
            string value = t.Numel == 1 ? $"\\n= {t.ItemDouble():G6}" : "";
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"  t{t.Id} [shape=box, label=\"{t.Label}{value}\"];\n");
        }
        foreach (var e in Live())
        {
            foreach (var input in e.Inputs) Node(input);
            Node(e.Output);
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"  op{e.Sequence} [shape=ellipse, label=\"{e.Op}\\n{e.Formula}\"];\n");
            foreach (var input in e.Inputs) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"  t{input.Id} -> op{e.Sequence};\n");
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"  op{e.Sequence} -> t{e.Output.Id};\n");
        }
        return sb.Append("}\n").ToString();
    }

    /// <summary>The recorded graph as one self-contained HTML page to open in a browser: each op and leaf as a box with
    /// its shape and value, edges labelled with the local derivatives, and controls that step through the forward pass
    /// and then the backward pass one op at a time, showing at each op the incoming gradient, the derivative rule and the
    /// contribution sent to each input (the chain rule). See also <see cref="Tensor.ToHtml"/>.</summary>
    /// <param name="title">The page's title; null for "Autodiff tape".</param>
    /// <returns>The HTML text (no network, no external files: styles, script and numbers are inside it).</returns>
    /// <remarks>Every entry still waiting for a Backward is drawn. The backward steps start from the most recent entry's
    /// output when it holds one element, with gradient 1, as <c>Backward()</c> on it would; otherwise the page has forward
    /// steps only (use <see cref="Tensor.ToHtml"/> on a non-scalar with a gradient). The numbers come from the engine:
    /// the recorded rules are run as a plain Backward runs them, but no <c>Grad</c> changes and nothing is released, so
    /// call it before <c>Backward()</c> (or after <c>Backward(retainGraph: true)</c>). Keys: Right = next, Left = back,
    /// Space = play/pause, Home = reset, End = last step.</remarks>
    /// <exception cref="InvalidOperationException">The tape is empty: nothing was recorded, or a Backward already
    /// replayed and released everything (call ToHtml before Backward).</exception>
    /// <example><code>
    /// var loss = ((a * b) + c).Sum();
    /// File.WriteAllText("tape.html", Tape.Current.ToHtml());
    /// loss.Backward();
    /// </code></example>
    public string ToHtml(string? title = null)
    {
        var entries = Live().ToList();
        if (entries.Count == 0)
            Check.FailState("Tape.ToHtml", "the tape is empty: no op was recorded since it was last cleared, or a Backward " +
                "already replayed and released the graph; call ToHtml before Backward, or pass retainGraph: true to Backward.");
        var root = entries[^1].Output;
        return TapePage.Build(entries, root.Numel == 1 ? root : null, root.Numel == 1 ? root.SeedGradient(null) : null,
            title ?? "Autodiff tape");
    }

    /// <summary>Drops chunks the GC collected and chunks whose entries were all released; amortized O(1) per chunk.</summary>
    private void Prune()
    {
        _chunks.RemoveAll(handle =>
        {
            if (handle.Target is TapeChunk chunk && !chunk.AllReleased) return false;
            if (handle.Target is TapeChunk done) done.Closed = true;        // never appended to again
            handle.Free();
            return true;
        });
        if (_open.IsAllocated && !_chunks.Contains(_open)) _open = default;
        _pruneAt = Math.Max(MinimumPrune, 2 * _chunks.Count);
    }

    /// <summary>The entries one per line, as the forward pass ran, e.g. <c>#0   MatMul      t3[64, 10] &lt;- t1[64, 784], t2[784, 10]   ...</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var e in Live()) sb.AppendLine(e.ToString());
        return sb.ToString();
    }
}

/// <summary>One input's derivative rule: given <paramref name="g"/>, the gradient of the op's output, the gradient of
/// that input, written with ops (so it can be differentiated again) and of the input's shape or one it broadcasts to (the
/// engine sums it back); null when it gets none. PyTorch's <c>derivatives.yaml</c> shape: one formula per input.</summary>
/// <param name="g">The gradient of <see cref="TapeEntry.Output"/>. Return it (or a view of it) as is, or compute from it;
/// never modify it.</param>
/// <param name="entry">The recorded op: its <see cref="TapeEntry.Inputs"/> and <see cref="TapeEntry.Output"/>, so that a
/// <c>static</c> lambda can read them without capturing (nothing to allocate per op).</param>
/// <returns>The input's gradient, or null. A tensor the rule made afresh becomes the pass's: a plain pass may add into it
/// in place and recycle its buffer, so do not keep it elsewhere (a cache, saved state). Anything older (<c>g</c>, an
/// input, a saved tensor) is copied before the pass adds into it.</returns>
public delegate Tensor? Derivative(Tensor g, TapeEntry entry);

/// <summary>The scope returned by <see cref="Tape.NoGrad"/>; recording resumes when it is disposed.</summary>
public readonly struct NoGradScope : IDisposable
{
    /// <summary>Ends the scope.</summary>
    public void Dispose() => Tape.EndNoGrad();
}

/// <summary>A run of consecutive tape entries, held by each of its entries and weakly by the tape (see Tape's fields).</summary>
internal sealed class TapeChunk
{
    public const int Size = 64;
    public readonly TapeEntry?[] Entries = new TapeEntry?[Size];
    public int Count;
    public int ReleasedCount;
    public bool Closed;

    public bool AllReleased => ReleasedCount == Count;

    public void Add(TapeEntry entry)
    {
        entry.Chunk = this;
        entry.Slot = Count;
        Entries[Count++] = entry;
    }
}
