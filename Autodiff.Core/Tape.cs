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
    [ThreadStatic] private static bool t_creatingGraph;

    /// <summary>True while a <c>Backward(createGraph: true)</c> runs on this thread: gradients are then accumulated with
    /// recorded ops, so they are tensors with a graph of their own.</summary>
    internal static bool IsCreatingGraph => t_creatingGraph;
    private static readonly AsyncLocal<int> s_noGradDepth = new();

    // The entries, in recording order, in chunks of ChunkSize held weakly: a graph nobody holds a tensor of any more
    // (a forward pass never backpropagated) is collected by the GC like any other garbage, and its chunk's slot is
    // pruned here. A graph that can still be backpropagated is alive, because its root tensor holds its entry, which
    // holds its inputs, which hold their entries; each entry holds its chunk, and a chunk its entries. So an abandoned
    // entry lives on only while another entry of its chunk is alive: one weak handle per chunk, not per op, which is
    // most of what recording an op used to cost.
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
    public static bool IsRecording => s_noGradDepth.Value == 0;

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

    /// <summary>Records an op: when recording is on and some input requires grad, appends an entry whose closure
    /// <paramref name="backward"/> receives the gradient of <paramref name="output"/> and accumulates into the inputs.</summary>
    /// <param name="op">The op's name, as the tape and error messages print it.</param>
    /// <param name="output">The op's result, already computed.</param>
    /// <param name="inputs">The tensors the op read.</param>
    /// <param name="formula">The local derivatives in terms of the incoming gradient <c>g</c>, for printing.</param>
    /// <param name="backward">Accumulates into each input that requires grad, given the output's gradient.</param>
    /// <returns><paramref name="output"/>, now requiring grad when anything was recorded.</returns>
    /// <remarks>This is the library's own recording hook: the closure must accumulate into the inputs through the
    /// engine's internal gradient path, which user code cannot reach (writing <c>x.Grad</c> in it bypasses
    /// <c>Autograd.Grad</c>, <c>createGraph</c> and broadcasting). To write a custom op, derive from
    /// <see cref="Function"/> instead: its Backward returns one gradient per input and works with every one of those.</remarks>
    /// <exception cref="InvalidOperationException">The inputs were recorded on two different tapes.</exception>
    public static Tensor Record(string op, Tensor output, Tensor[] inputs, string formula, Action<Tensor> backward) =>
        Record(op, output, inputs, formula, backward, differentiable: null);

    /// <summary>Records an op that also has a differentiable backward, for <c>Backward(createGraph: true)</c>.</summary>
    /// <param name="op">The op's name, as the tape and error messages print it.</param>
    /// <param name="output">The op's result, already computed.</param>
    /// <param name="inputs">The tensors the op read.</param>
    /// <param name="formula">The local derivatives in terms of the incoming gradient <c>g</c>, for printing.</param>
    /// <param name="backward">The fast backward: accumulates into each input that requires grad with kernels.</param>
    /// <param name="differentiable">The same derivatives written with ops, one entry per input (null where none is
    /// needed), so that a backward pass that creates a graph is itself recorded and can be differentiated again.</param>
    /// <returns><paramref name="output"/>, now requiring grad when anything was recorded.</returns>
    /// <remarks>For the library's ops; a custom op is a <see cref="Function"/> (see the other overload).</remarks>
    /// <exception cref="InvalidOperationException">The inputs were recorded on two different tapes.</exception>
    public static Tensor Record(string op, Tensor output, Tensor[] inputs, string formula, Action<Tensor> backward,
        Func<Tensor, Tensor?[]>? differentiable)
    {
        if (Autograd.IsAnomalyDetectionEnabled) Autograd.CheckFinite(op, "forward pass", output, inputs);
        if (DisposeScope.Current is { } scope && Array.IndexOf(inputs, output) < 0) scope.Adopt(output);
        if (s_noGradDepth.Value != 0)
        {
            bool lost = false;                   // a gradient would have flowed here outside NoGrad
            foreach (var input in inputs)
                if (input.RequiresGrad || input.UnrecordedOp is not null)
                {
                    if (input.RequiresGrad) input.LastUnrecordedUse = op;     // for Backward diagnostics
                    lost = true;
                }
            if (lost && !output.RequiresGrad && Array.IndexOf(inputs, output) < 0)
                (output.UnrecordedOp, output.UnrecordedDirectly) = (op, true);   // so Backward can say why nothing was recorded
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
                Check.FailState(op, $"inputs {Describe(inputs)} were recorded on different tapes (threads); " +
                    "run one forward pass on one thread, or Detach() the tensor that crossed over.");
        }
        if (!any)
        {
            // Computed from a NoGrad result, e.g. the loss of logits a NoGrad scope produced: remember where the graph broke.
            foreach (var input in inputs)
                if (input.UnrecordedOp is { } lostAt && Array.IndexOf(inputs, output) < 0)
                {
                    (output.UnrecordedOp, output.UnrecordedDirectly) = (lostAt, false);
                    break;
                }
            // Computed from an unrecorded createGraph gradient, e.g. a gradient penalty: remember which backward gave it.
            if (output.UnrecordedOp is null && output.ConstantGradientFrom is null && Array.IndexOf(inputs, output) < 0)
                foreach (var input in inputs)
                    if (input.ConstantGradientFrom is { } from)
                    {
                        output.ConstantGradientFrom = from;
                        break;
                    }
            return output;
        }
        tape ??= Current;
        var entry = new TapeEntry(tape, tape._nextSequence++, op, output, inputs, formula, backward, differentiable);
        tape.Append(entry);
        output.Creator = entry;
        output.RequiresGrad = true;
        return output;
    }

    private static string Describe(Tensor[] inputs) => string.Join(", ", inputs.Select(t => t.Label));

    /// <summary>The reverse loop behind <see cref="Tensor.Backward()"/>.</summary>
    internal void Backpropagate(Tensor root, Tensor seed, bool retainGraph, bool createGraph)
    {
        var rootEntry = root.Creator!;
        if (rootEntry.Released)
            Check.FailState("Backward", $"the graph of {root.Label} (produced by {rootEntry.Op}) was already freed by an earlier " +
                "Backward; pass retainGraph: true to the first Backward to go through it twice.");
        var rootChunk = rootEntry.Chunk;
        int last = _chunks.FindLastIndex(h => ReferenceEquals(h.Target, rootChunk));
        if (last < 0)
            Check.FailState("Backward", $"{root.Label} (produced by {rootEntry.Op}) is no longer on its tape; was the tape cleared?");

        // Hold every entry strongly for the whole pass: releasing an entry drops its inputs, and an earlier entry reachable
        // only through them would otherwise be collected mid-pass and skipped, losing its gradient.
        var chunks = new TapeChunk?[last + 1];
        int total = 0;
        for (int c = 0; c <= last; c++)
            if ((chunks[c] = _chunks[c].Target as TapeChunk) is { } chunk) total += c < last ? chunk.Count : rootEntry.Slot + 1;
        var entries = new TapeEntry?[total];
        for (int c = 0, at = 0; c <= last; c++)
            if (chunks[c] is { } chunk)
            {
                int n = c < last ? chunk.Count : rootEntry.Slot + 1;
                Array.Copy(chunk.Entries, 0, entries, at, n);
                at += n;
            }

        bool releasedAny = false;
        bool wasCreating = t_creatingGraph;
        t_creatingGraph = createGraph;
        try
        {
            root.AccumulateGrad(seed);
            releasedAny = Replay(entries, retainGraph || createGraph, createGraph);
        }
        catch
        {
            // A failed pass (e.g. an input modified in place) must not leave half-accumulated gradients on intermediate
            // tensors, where the next Backward would mistake them for its own.
            foreach (var entry in entries) entry?.Output.ClearPassGradient(retain: false, recorded: false);
            throw;
        }
        finally
        {
            t_creatingGraph = wasCreating;
        }
        if (releasedAny) Prune();
        if (_chunks.Count == 0) _nextSequence = 0;           // each training step prints from #0
    }

    /// <summary>The reverse loop: each entry whose output received a gradient sends it on to its inputs.</summary>
    private static bool Replay(TapeEntry?[] entries, bool retainGraph, bool createGraph)
    {
        bool releasedAny = false;
        for (int i = entries.Length - 1; i >= 0; i--)
        {
            if (entries[i] is not TapeEntry entry) continue;          // collected before the pass: not on any live graph
            var output = entry.Output;
            var gradient = output.PeekGrad();
            if (gradient is null) continue;          // not on the path from root
            output.ClearPassGradient(retain: Autograd.Capture is null, createGraph);   // a non-leaf keeps no gradient unless RetainGrad()
            bool kept = Autograd.Capture?.Offer(output, gradient) ?? false;   // Autograd.Grad asked for this one
            if (createGraph)
            {
                var grads = entry.RunDifferentiableBackward(gradient);          // recorded: the backward becomes a graph
                for (int k = 0; k < grads.Length; k++)
                    if (grads[k] is { } g && entry.Inputs[k].RequiresGrad)
                    {
                        // Unrecorded: a backward not built from ops, or a constant gradient. Remember where, for the error
                        // a second differentiation of it would otherwise explain wrongly.
                        if (!g.RequiresGrad && g.UnrecordedOp is null) g.ConstantGradientFrom ??= entry.Op;
                        entry.Inputs[k].AccumulateGrad(g);
                    }
            }
            else entry.RunBackward(gradient);
            if (Autograd.IsAnomalyDetectionEnabled)
                foreach (var input in entry.Inputs)
                    if (input.PeekGrad() is { } g) Autograd.CheckFinite(entry.Op, "backward pass", g, entry.Inputs);
            if (!createGraph && !kept && !AdoptedByAnInput(gradient, entry.Inputs))
                gradient.Dispose();                  // spent: its buffer serves the next step
            if (!retainGraph)
            {
                entry.Release();
                releasedAny = true;
            }
        }
        return releasedAny;
    }

    /// <summary>True when an input kept <paramref name="gradient"/>'s buffer as its own gradient (a closure may hand its
    /// incoming gradient on without copying it); only a gradient nobody kept may go back to the pool.</summary>
    private static bool AdoptedByAnInput(Tensor gradient, IReadOnlyList<Tensor> inputs)
    {
        foreach (var input in inputs)
            if (input.PeekGrad() is { } g && g.SharesBufferWith(gradient)) return true;
        return false;
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
