using System.Collections;

namespace Autodiff;

/// <summary>The dimensions of a tensor, outermost first (row-major). Same idea as <c>torch.Size</c>.</summary>
/// <remarks>A shape with no dimensions is a scalar and holds one element. A dimension may be 0 (an empty tensor).
/// Prints as <c>[64, 10]</c>; a scalar prints as <c>[]</c>.</remarks>
public sealed class Shape : IReadOnlyList<int>, IEquatable<Shape>
{
    private readonly int[] _dims;

    /// <summary>The scalar shape <c>[]</c>.</summary>
    public static readonly Shape Scalar = new([]);

    /// <summary>Creates a shape from its dimensions; each must be zero or positive.</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or the element count overflows.</exception>
    public Shape(params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        _dims = (int[])dims.Clone();
        Numel = CountElements("Shape", _dims, nameof(dims));
    }

    /// <summary>The element count of <paramref name="dims"/>; a 0 anywhere makes it 0 even after a huge dim (as PyTorch).</summary>
    /// <exception cref="ArgumentException">A dimension is negative, or the count exceeds the largest array.</exception>
    internal static int CountElements(string op, int[] dims, string paramName)
    {
        long numel = 1;
        bool tooMany = false;
        foreach (int d in dims)
        {
            if (d < 0) Check.Fail(op, $"dimensions must not be negative, got {Format(dims)}.", paramName);
            if (tooMany) continue;
            numel *= d;
            tooMany = numel > Array.MaxLength;
        }
        if (tooMany && !dims.Contains(0)) Check.Fail(op, $"shape {Format(dims)} has more elements than an array can hold.", paramName);
        return tooMany ? 0 : (int)numel;
    }

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _dims.Length;

    /// <summary>The number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int Numel { get; }

    /// <summary>The size of dimension <paramref name="index"/>; negative indices count from the end.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside <c>[-rank, rank)</c>.</exception>
    public int this[int index]
    {
        get
        {
            int i = index < 0 ? index + _dims.Length : index;
            if ((uint)i >= (uint)_dims.Length) Check.FailRange("Shape", $"dim {index} is out of range for shape {this} (rank {Rank}).", nameof(index));
            return _dims[i];
        }
    }

    /// <summary>The size of dimension <paramref name="index"/> counted as C# indices count (<c>shape[^1]</c> is the last).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the dimensions.</exception>
    public int this[Index index]
    {
        get
        {
            int i = index.GetOffset(_dims.Length);
            if ((uint)i >= (uint)_dims.Length) Check.FailRange("Shape", $"dim {index} is out of range for shape {this} (rank {Rank}).", nameof(index));
            return _dims[i];
        }
    }

    int IReadOnlyCollection<int>.Count => _dims.Length;

    /// <summary>A copy of the dimensions.</summary>
    public int[] ToArray() => (int[])_dims.Clone();

    internal ReadOnlySpan<int> Dims => _dims;

    /// <summary>Row-major strides: how many elements one step along each dimension skips.</summary>
    internal int[] Strides()
    {
        var strides = new int[_dims.Length];
        int stride = 1;
        for (int i = _dims.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= _dims[i];
        }
        return strides;
    }

    /// <summary>The number of elements before dimension <paramref name="dim"/>, its size, and the number after it:
    /// a tensor seen as <c>[outer, size, inner]</c>.</summary>
    internal (int Outer, int Size, int Inner) Around(int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= _dims[i];
        for (int i = dim + 1; i < _dims.Length; i++) inner *= _dims[i];
        return (outer, _dims[dim], inner);
    }

    /// <summary>The shape with dimension <paramref name="dim"/> removed, or set to 1 when <paramref name="keepDim"/>.</summary>
    internal Shape Reduce(int dim, bool keepDim)
    {
        var dims = new List<int>(_dims);
        if (keepDim) dims[dim] = 1; else dims.RemoveAt(dim);
        return new Shape([.. dims]);
    }

    /// <summary>The NumPy broadcast of two shapes, or null when they are not compatible.</summary>
    /// <remarks>Shapes are aligned at their last dimension; two sizes are compatible when equal or when one is 1.</remarks>
    internal static Shape? TryBroadcast(Shape a, Shape b)
    {
        if (a.Equals(b)) return a;
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a._dims[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b._dims[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1) return null;
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    /// <summary>Strides for reading this shape as if it were broadcast to <paramref name="target"/>:
    /// 0 along every dimension that is repeated.</summary>
    internal int[] BroadcastStrides(Shape target)
    {
        var own = Strides();
        var strides = new int[target.Rank];
        int offset = target.Rank - Rank;
        for (int i = 0; i < Rank; i++)
            strides[i + offset] = _dims[i] == 1 && target._dims[i + offset] != 1 ? 0 : own[i];
        return strides;
    }

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in _dims) hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>Shapes are equal when their dimensions are.</summary>
    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Shapes differ when any dimension does.</summary>
    public static bool operator !=(Shape? a, Shape? b) => !(a == b);

    /// <summary>The shape as <c>[2, 3]</c>.</summary>
    public override string ToString() => Format(_dims);

    internal static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
