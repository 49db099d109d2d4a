namespace Autodiff;

/// <summary>One component of a tensor index, as in PyTorch's <c>x[0, 1:3]</c>: an integer selects one position and
/// removes its dimension, a range keeps the dimension and slices it. Written with C#'s own syntax through implicit
/// conversions: <c>x[0, 1..3]</c>, <c>x[.., ^1]</c>, <c>x[TensorIndex.Slice(0.., step: 2)]</c>.</summary>
public readonly struct TensorIndex
{
    private readonly Index _index;
    private readonly Range _range;

    private TensorIndex(Index index, Range range, int step, bool isRange) => (_index, _range, Step, IsRange) = (index, range, step, isRange);

    /// <summary>True for a range (the dimension is kept), false for a single position (the dimension is removed).</summary>
    public bool IsRange { get; }

    /// <summary>The distance between the positions a range takes (1 unless made by <see cref="Slice"/>).</summary>
    public int Step { get; }

    /// <summary>A position; negative counts from the end, as in PyTorch (<c>-1</c> is the last).</summary>
    /// <param name="index">The position.</param>
    public static implicit operator TensorIndex(int index) =>
        new(index < 0 ? Index.FromEnd(-index) : Index.FromStart(index), default, 1, isRange: false);

    /// <summary>A position written with C#'s <c>^</c>: <c>^1</c> is the last.</summary>
    /// <param name="index">The position.</param>
    public static implicit operator TensorIndex(Index index) => new(index, default, 1, isRange: false);

    /// <summary>A range, <c>..</c> for the whole dimension; bounds past the size are clamped, as Python's slices are.</summary>
    /// <param name="range">The range.</param>
    public static implicit operator TensorIndex(Range range) => new(default, range, 1, isRange: true);

    /// <summary>A range taking every <paramref name="step"/>-th position, PyTorch's <c>x[start:end:step]</c>.</summary>
    /// <param name="range">The range.</param>
    /// <param name="step">The distance between positions; positive.</param>
    /// <returns>The index component.</returns>
    /// <exception cref="ArgumentException">The step is not positive.</exception>
    public static TensorIndex Slice(Range range, int step)
    {
        if (step <= 0) Check.Fail("TensorIndex.Slice", $"step must be positive, got {step}.", nameof(step));
        return new(default, range, step, isRange: true);
    }

    /// <summary>The position in a dimension of <paramref name="size"/>, or -1 when it is outside.</summary>
    internal int Position(int size)
    {
        int at = _index.GetOffset(size);
        return at >= 0 && at < size ? at : -1;
    }

    /// <summary>The clamped <c>[start, end)</c> of the range in a dimension of <paramref name="size"/>.</summary>
    internal (int Start, int End) Bounds(int size) =>
        (Math.Clamp(_range.Start.GetOffset(size), 0, size), Math.Clamp(_range.End.GetOffset(size), 0, size));

    /// <summary>True for <c>..</c> with step 1: nothing to do.</summary>
    internal bool IsAll => IsRange && Step == 1 && _range.Equals(Range.All);

    /// <summary>As PyTorch would print it: <c>2</c>, <c>-1</c>, <c>1:3</c>, <c>::2</c>.</summary>
    public override string ToString()
    {
        if (!IsRange) return _index.IsFromEnd ? $"-{_index.Value}" : $"{_index.Value}";
        static string Bound(Index i, bool start) =>
            i.IsFromEnd ? (i.Value == 0 && !start ? "" : $"-{i.Value}") : (i.Value == 0 && start ? "" : $"{i.Value}");
        return $"{Bound(_range.Start, true)}:{Bound(_range.End, false)}{(Step == 1 ? "" : $":{Step}")}";
    }
}
