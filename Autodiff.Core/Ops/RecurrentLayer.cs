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
}
