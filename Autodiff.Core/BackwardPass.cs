namespace Autodiff;

/// <summary>One backward pass: replays the tape in reverse from its roots and owns every gradient while it flows.
/// <c>Tensor.Backward</c> and <c>Autograd.Grad</c> each run one; nothing about a pass is kept in ambient state.</summary>
/// <remarks>
/// <para><b>Where gradients live.</b> A non-leaf's gradient is a slot of this pass (indexed like the entries it replays),
/// summed as contributions arrive and handed to its op's derivative rule once complete. A leaf's gradient is summed here
/// too and written to <see cref="Tensor.Grad"/> only when the pass has finished, so a pass that fails half-way (an input
/// modified in place) changes no gradient. <c>Autograd.Grad</c> collects the gradients it was asked for instead.</para>
/// <para><b>Plain and recorded.</b> A plain pass runs each rule with recording off, and may add into and recycle the
/// buffers the rules made. Under <c>createGraph</c> the rules run recorded, and sums are recorded <c>Add</c>s that never
/// touch a buffer in place, so every gradient carries the graph that computed it.</para>
/// <para><b>Ownership.</b> A gradient the pass may add into in place is one whose buffer was allocated while the rule ran
/// (<see cref="Tensor.BufferSerial"/>): not the incoming gradient, not a view of it (Reshape's rule), not a saved tensor
/// a custom Function returned, not a tensor (or views of one) the rule returned for two inputs. Anything else is copied
/// on the second contribution, never on the first.</para>
/// </remarks>
internal sealed class BackwardPass
{
    private readonly TapeEntry[] _entries;            // ascending by Sequence (chunks the GC collected are left out)
    private readonly Gradient[] _slots;               // _slots[i]: the gradient of _entries[i].Output, while it flows
    private readonly Dictionary<Tensor, Gradient> _leaves = new(ReferenceEqualityComparer.Instance);
    private readonly bool _createGraph;
    private readonly IReadOnlyList<Tensor>? _targets; // Autograd.Grad's inputs, or null for Backward
    private readonly Tensor?[]? _results;
    private Tensor?[] _scratch = new Tensor?[4];      // per-input rules' results, reused entry to entry

    /// <summary>A gradient being summed, and whether its buffer belongs to the pass (so it may be added into in place).</summary>
    private struct Gradient(Tensor value, bool owned)
    {
        public Tensor? Value = value;
        public bool Owned = owned;
    }

    private BackwardPass(TapeEntry[] entries, bool createGraph, IReadOnlyList<Tensor>? targets)
    {
        _entries = entries;
        _slots = new Gradient[entries.Length];
        _createGraph = createGraph;
        _targets = targets;
        if (targets is not null) _results = new Tensor?[targets.Count];
        for (int i = 0; i < entries.Length; i++)
            entries[i].PassIndex = i;
    }

    /// <summary>Backpropagates <paramref name="seeds"/> from <paramref name="roots"/>: into every leaf's <see cref="Tensor.Grad"/>
    /// when <paramref name="targets"/> is null, else into the returned gradients of the targets (no Grad changes).</summary>
    internal static Tensor?[]? Run(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor> seeds, bool retainGraph, bool createGraph,
        IReadOnlyList<Tensor>? targets)
    {
        Memory.BufferPool.Reclaim();                 // the last step's buffers nobody can see, back to the pool (PooledStorage.cs)
        var tape = roots.FirstOrDefault(r => r.Creator is not null)?.Creator!.Tape;
        var pass = new BackwardPass(tape?.EntriesUpTo(roots) ?? [], createGraph, targets);
        using (Tape.BackwardScope(createGraph))
        {
            for (int i = 0; i < roots.Count; i++) pass.Accumulate(roots[i], seeds[i], owned: false);
            pass.Replay(retainGraph || createGraph);
            pass.Commit();
        }
        tape?.AfterBackward();
        return pass._results;
    }

    /// <summary>The reverse loop: each entry whose output received a gradient runs its rule and sends the results on.</summary>
    private void Replay(bool retainGraph)
    {
        for (int i = _entries.Length - 1; i >= 0; i--)
        {
            var entry = _entries[i];
            if (_slots[i].Value is not Tensor g) continue;                    // not on the path from a root
            bool owned = _slots[i].Owned;
            _slots[i] = default;
            var output = entry.Output;
            bool kept = Keep(output, g, owned);
            long before = Tensor.AllocationMark;
            var grads = entry.Derive(g, _createGraph, ref _scratch);
            if (grads.IsEmpty) kept = true;                 // Tape.Record's accumulating closure ran: it may keep g (as a leaf's Grad)
            var inputs = entry.Inputs;
            int heir = owned && !kept && !_createGraph ? SoleHeir(grads, inputs, g) : -1;
            for (int k = 0; k < grads.Length; k++)
            {
                if (k == heir || grads[k] is not Tensor gk || !inputs[k].RequiresGrad) continue;
                if (_createGraph && !gk.RequiresGrad && gk.UnrecordedOp is null)
                    gk.ConstantGradientFrom ??= entry.Op;          // explains a later differentiation of a constant gradient
                bool fresh = !_createGraph && gk.BufferSerial > before && !SharesBufferWithAnother(grads, k);
                Accumulate(inputs[k], gk, fresh, entry);
                if (!kept && !fresh && gk.SharesBufferWith(g)) kept = true;   // an input holds g itself (Add) or a view of it
            }
            if (heir >= 0)
            {
                Accumulate(inputs[heir], g, owned: true, entry);     // last: the others have read g (SumTo) by now
                kept = true;
            }
            if (owned && !kept && !_createGraph) g.Dispose();        // spent: its buffer serves the next step
            if (!retainGraph) entry.Release();
        }
    }

    /// <summary>The input that may take over <paramref name="g"/> itself, which the pass owns, instead of a copy: the
    /// one input whose rule returned g unchanged at its own shape (Add's, Sub's first, Expand's, a leaf's own), when every
    /// other result sharing g's buffer is at another shape and so is only read, summed down to its input's shape, before
    /// the heir's turn. -1 when there is none. Saves a full copy of the gradient per Add/Sub into a leaf or a slot.</summary>
    private static int SoleHeir(ReadOnlySpan<Tensor?> grads, IReadOnlyList<Tensor> inputs, Tensor g)
    {
        int heir = -1;
        for (int k = 0; k < grads.Length; k++)
        {
            if (grads[k] is not Tensor gk || !inputs[k].RequiresGrad || !gk.SharesBufferWith(g)) continue;
            if (gk.Shape != inputs[k].Shape) continue;                              // reduced by SumTo: only read
            if (heir >= 0 || !ReferenceEquals(gk, g)) return -1;                    // two holders, or a view: keep copying
            heir = k;
        }
        return heir;
    }

    /// <summary>True when another of a rule's results is <paramref name="grads"/>[k] or a view of its buffer (a rule that
    /// returns one tensor for two inputs): then neither input may add into it in place or recycle it.</summary>
    private static bool SharesBufferWithAnother(ReadOnlySpan<Tensor?> grads, int k)
    {
        for (int j = 0; j < grads.Length; j++)
            if (j != k && grads[j] is Tensor other && other.SharesBufferWith(grads[k]!)) return true;
        return false;
    }

    /// <summary>What a non-leaf's complete gradient is kept for besides its rule: <see cref="Tensor.RetainGrad"/>, or
    /// <c>Autograd.Grad</c> asking for it. True when the pass must not recycle it.</summary>
    private bool Keep(Tensor output, Tensor g, bool owned)
    {
        if (_targets is not null)
        {
            int t = IndexOfTarget(output);
            if (t < 0) return false;
            _results![t] = _createGraph || owned ? g : g.CloneData();
            return true;
        }
        if (output.RetainsGrad) output.AddToRetainedGrad(g, _createGraph);
        return false;
    }

    /// <summary>Adds one contribution to <paramref name="tensor"/>'s gradient, first summing it over the dims it was
    /// broadcast along (the one <c>SumTo</c> step of every broadcasting op). In anomaly mode the sum is checked, so that
    /// <paramref name="from"/> is named when its contribution, or the reduction or sum it takes part in, is not finite.</summary>
    private void Accumulate(Tensor tensor, Tensor g, bool owned, TapeEntry? from = null)
    {
        if (g.Shape != tensor.Shape)
        {
            g = _createGraph ? Ops.SumTo(g, tensor.Shape) : Compute.SumTo(g, tensor.Shape);
            owned = !_createGraph;
        }
        ref var sum = ref tensor.Creator is null
            ? ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_leaves, tensor, out _)
            : ref _slots[IndexOf(tensor)];
        Add(ref sum, g, owned);
        if (from is not null && Autograd.IsAnomalyDetectionEnabled) Autograd.CheckFinite(from.Op, "backward pass", sum.Value!, from.Inputs);
    }

    /// <summary><c>sum += g</c>: in place into a buffer the pass owns, else into a copy (or into g, when g is ours).</summary>
    private void Add(ref Gradient sum, Tensor g, bool owned)
    {
        if (sum.Value is not Tensor current) sum = new Gradient(g, owned);
        else if (_createGraph) sum = new Gradient(Ops.Add(current, g), owned: false);
        else if (sum.Owned)
        {
            Compute.AddInPlace(current, g);
            if (owned) g.Dispose();
        }
        else if (owned)
        {
            Compute.AddInPlace(g, current);
            sum = new Gradient(g, owned: true);
        }
        else
        {
            var copy = current.CloneData();
            Compute.AddInPlace(copy, g);
            sum = new Gradient(copy, owned: true);
        }
    }

    /// <summary>The slot of a non-leaf's gradient: the index of the entry that produced it.</summary>
    private int IndexOf(Tensor tensor)
    {
        var creator = tensor.Creator!;
        if (creator.Released)               // first: a freed entry can still sit in this pass's list (its chunk kept by others)
            Check.FailState("Backward", $"{tensor.Label} was produced by {creator.Op}, whose tape entry an earlier Backward already freed; " +
                "pass retainGraph: true to the first Backward to go through the graph twice.");
        int i = creator.PassIndex;
        if ((uint)i < (uint)_entries.Length && ReferenceEquals(_entries[i], creator)) return i;
        // Another pass (a Backward inside a custom Function's backward) renumbered the entry: find it by its sequence.
        int lo = 0, hi = _entries.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var e = _entries[mid];
            if (ReferenceEquals(e, creator)) return creator.PassIndex = mid;
            if (e.Sequence < creator.Sequence) lo = mid + 1; else hi = mid - 1;
        }
        Check.FailState("Backward", $"{tensor.Label} (produced by {creator.Op}) is not on the tape this pass replays.");
        return -1;
    }

    private int IndexOfTarget(Tensor t)
    {
        for (int i = 0; i < _targets!.Count; i++) if (ReferenceEquals(_targets[i], t)) return i;
        return -1;
    }

    /// <summary>Hands the leaves their gradients: into <see cref="Tensor.Grad"/>, or Autograd.Grad's results.</summary>
    private void Commit()
    {
        foreach (var (leaf, g) in _leaves)
        {
            if (_targets is null) leaf.AddToGrad(g.Value!, g.Owned, _createGraph);
            else if (IndexOfTarget(leaf) is >= 0 and var t) _results![t] = _createGraph || g.Owned ? g.Value : g.Value!.CloneData();
            else if (g.Owned) g.Value!.Dispose();
        }
    }
}
