using System.Runtime.CompilerServices;

namespace Autodiff;

public static partial class Ops
{
    /// <summary>The gradients of a fused recurrent layer (<see cref="LstmLayer"/>, <see cref="GruLayer"/>,
    /// <see cref="RnnLayer"/>) for its output gradient <paramref name="g"/>: the fused kernel in a plain backward pass, and
    /// under <c>createGraph</c> the derivative of the same layer replayed as ops, so that gradients of gradients are right.</summary>
    /// <remarks>
    /// <para>Under <c>createGraph</c> the layer's backward must itself be recorded ops, which the fused kernel is not.
    /// So the forward is replayed from the saved inputs as a composite of twice-differentiable ops (<paramref name="replay"/>:
    /// per step a MatMul with W_hh and the cell op, <see cref="LstmCell"/> / <see cref="GruCell"/> / Tanh or Relu, with
    /// <see cref="Where"/> for the lengths), and that composite is differentiated by a nested <see cref="Autograd.Grad"/>
    /// with <c>createGraph</c>, seeded with g. The results are recorded functions of the inputs and of g, so a later
    /// pass differentiates them again. PyTorch does the same for its CPU LSTM: double backward goes through the
    /// decomposed cell ops, not the fused kernel.</para>
    /// <para>The nested pass must stop at the layer's inputs, not walk on into the network below (it would redo that
    /// whole backward inside this rule, once per layer). So the replay reads each input through an identity op that
    /// passes no gradient while the nested pass runs and passes it unchanged ever after: later passes, which
    /// differentiate the gradients, go through it to the real inputs.</para>
    /// <para>A layer that worked in its gates in place (<paramref name="gatesFrom"/>) no longer has their values, so the
    /// replay computes them again from the projection's own inputs, <c>Linear(x, W_ih, b)</c>, and hands the gradient of
    /// that recomputed tensor back as the gates' gradient.</para>
    /// <para>Only the gradients of a <c>createGraph</c> pass pay for this: T steps of small ops instead of one kernel.</para>
    /// </remarks>
    private static Tensor?[] RecurrentLayerGradients(Tensor g, Tensor[] inputs, Func<Tensor[], Tensor> replay, Func<Tensor?[]> fused,
        RecurrentProjection? gatesFrom)
    {
        if (!Tape.IsRecording) return fused();
        var cut = new StrongBox<bool>(true);
        Tensor Through(Tensor x) => x.RequiresGrad ? RecurrentInput(x, cut) : x;
        var through = new Tensor[inputs.Length];
        var wanted = new List<Tensor>();
        for (int i = 0; i < inputs.Length; i++)
        {
            // Gates the forward overwrote in place (gatesFrom) are computed again from their own inputs.
            through[i] = i == 0 && gatesFrom is not null
                ? Linear(Through(gatesFrom.Input), Through(gatesFrom.Weight), gatesFrom.Bias is null ? null : Through(gatesFrom.Bias))
                : Through(inputs[i]);
            if (inputs[i].RequiresGrad) wanted.Add(through[i]);
        }
        Tensor?[] grads;
        try
        {
            grads = Autograd.Grad([replay(through)], wanted, createGraph: true, gradOutputs: [g], allowUnused: true);
        }
        finally
        {
            cut.Value = false;
        }
        var result = new Tensor?[inputs.Length];
        for (int i = 0, k = 0; i < inputs.Length; i++)
            if (inputs[i].RequiresGrad) result[i] = grads[k++];
        return result;
    }

    /// <summary>x itself, as a recorded identity whose rule passes no gradient while <paramref name="cut"/> is set
    /// (see <see cref="RecurrentLayerGradients"/>).</summary>
    private static Tensor RecurrentInput(Tensor x, StrongBox<bool> cut) =>
        Tape.Record("RecurrentInput", x.View(x.Shape), [x], "dx += g", g => cut.Value ? [null] : [g]);

    /// <summary>The replay of a single-state layer (RNN, GRU) over its walk: <paramref name="step"/> gives h' from h at
    /// time t; a row past its length keeps its state and outputs 0. Returns the outputs of every time and the final state,
    /// stacked as <c>[T + 1, N, H]</c>.</summary>
    private static Tensor ReplaySingleState(RecurrentSteps walk, Tensor h0, Func<Tensor, int, Tensor> step)
    {
        var h = h0;
        var rows = new Tensor[walk.Steps + 1];
        for (int s = 0; s < walk.Steps; s++)
        {
            int t = walk.TimeAt(s);
            var hNew = step(h, t);
            if (walk.AllActive(t)) (h, rows[t]) = (hNew, hNew);
            else
            {
                var active = ActiveRows(walk, t);
                (h, rows[t]) = (Where(active, hNew, h), Where(active, hNew, Tensor.ZerosLike(hNew)));
            }
        }
        rows[walk.Steps] = h;
        return Stack(rows, 0);
    }

    /// <summary>Whether each row is inside its length at time t, as a Bool <c>[N, 1]</c> condition for <see cref="Where"/>
    /// in a replayed layer.</summary>
    private static Tensor ActiveRows(RecurrentSteps walk, int t)
    {
        var m = new bool[walk.Rows];
        for (int r = 0; r < m.Length; r++) m[r] = walk.Active(r, t);
        return Tensor.FromArray(m, walk.Rows, 1);
    }
}

/// <summary>Where a recurrent layer's input gates came from when the layer works in them in place (overwriting them with
/// what its backward reads): <c>gates = Linear(Input, Weight, Bias)</c>, the caller's own fresh projection, read by
/// nothing else. A replay for <c>createGraph</c> computes them again from these (see Ops.RecurrentLayerGradients).</summary>
internal sealed record RecurrentProjection(Tensor Input, Tensor Weight, Tensor? Bias);

/// <summary>How a recurrent layer walks its sequence: T steps over N rows, forward or reversed, and which (row, time)
/// pairs are inside their row's length (PyTorch's packed sequences: positions at or past a length are skipped, the state
/// carried through unchanged and the output 0).</summary>
internal sealed class RecurrentSteps
{
    private readonly int[]? _lengths;
    private readonly int _shortest;

    public RecurrentSteps(int steps, int rows, int hidden, int[]? lengths, bool reverse)
    {
        (Steps, Rows, Hidden, Reverse, _lengths) = (steps, rows, hidden, reverse, lengths);
        _shortest = lengths is null || lengths.Length == 0 ? steps : lengths.Min();
    }

    /// <summary>T, the sequence length.</summary>
    public int Steps { get; }

    /// <summary>N, the batch size.</summary>
    public int Rows { get; }

    /// <summary>H, the hidden size.</summary>
    public int Hidden { get; }

    /// <summary>True for the reverse direction of a bidirectional layer: steps run from t = T - 1 down to 0.</summary>
    public bool Reverse { get; }

    /// <summary>The time of the s-th step.</summary>
    public int TimeAt(int s) => Reverse ? Steps - 1 - s : s;

    /// <summary>Whether row r computes at time t (t is inside its length).</summary>
    public bool Active(int r, int t) => _lengths is null || t < _lengths[r];

    /// <summary>Whether every row computes at time t.</summary>
    public bool AllActive(int t) => t < _shortest;

    /// <summary>The fewest flops of a layer's step products (all steps) for which <see cref="ForRowBlocks"/> splits the
    /// batch: the GEMM's own threshold (tests lower it to split tiny layers).</summary>
    internal static long SplitMinFlops { get; set; } = Kernels.MatMul.ParallelMinFlops;

    /// <summary>Runs <paramref name="body"/>(first row, end row) over blocks of the batch, one per thread, each block
    /// walking the whole sequence on its own rows.</summary>
    /// <remarks>
    /// <para>A row's recurrence reads only that row (its gates, its state, its row of <c>h·W_hhᵀ</c> or
    /// <c>dgates·W_hh</c>), so the batch splits across threads for all T steps with no synchronisation between steps:
    /// one fork per layer call instead of one (or two: the product, then the cell) per step. A block's step products are
    /// GEMMs of its rows alone; a row's bits do not depend on which rows share its product (MatMul's tiles give every
    /// element the same sum), so the result does not depend on the thread count.</para>
    /// <para>Blocks are runs of whole 6-row GEMM tiles (<see cref="Kernels.MatMul.Mr"/>), so splitting adds no partial
    /// tile: N = 32 splits 18 + 14, three tiles each. The split is used from the GEMM's own threshold
    /// (<see cref="Kernels.MatMul.ParallelMinFlops"/>) of the layer's step products, all T of them together.</para>
    /// </remarks>
    public void ForRowBlocks(int gateWidth, Action<int, int> body)
    {
        const int tile = Kernels.MatMul.Mr;
        int tiles = (Rows + tile - 1) / tile;
        int parts = 2L * Steps * Rows * Hidden * gateWidth < SplitMinFlops ? 1 : Math.Min(Threading.Available, tiles);
        if (parts <= 1)
        {
            body(0, Rows);
            return;
        }
        Threading.For(parts, part => body(part * tiles / parts * tile, Math.Min(Rows, (part + 1) * tiles / parts * tile)));
    }
}
