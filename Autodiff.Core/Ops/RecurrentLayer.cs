namespace Autodiff;

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
