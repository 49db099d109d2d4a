using System.Collections;
using System.Globalization;

namespace Autodiff.NN;

/// <summary>Holds tensors registered as parameters <c>0</c>, <c>1</c>, ..., so they are trained and saved. Same as
/// <c>torch.nn.ParameterList</c>.</summary>
/// <remarks>Use it where a <c>List&lt;Tensor&gt;</c> field would hold learnable tensors: such a field fails at first use
/// when its tensors require grad, because they would not be registered. Each tensor added is made to require grad.
/// Like PyTorch's, it has no Forward of its own.</remarks>
/// <example><code>
/// public ParameterList Scales = new(Tensor.Ones(8), Tensor.Ones(8));   // state dict: Scales.0, Scales.1
/// </code></example>
public sealed class ParameterList : Module, IEnumerable<Tensor>
{
    private List<Tensor> _items = [];

    /// <summary>Creates the list holding <paramref name="parameters"/> in order: <c>new ParameterList(a, b)</c> or any
    /// sequence of tensors.</summary>
    /// <exception cref="ArgumentNullException">A tensor is null; the message names its index.</exception>
    public ParameterList(params IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var items = new List<Tensor>();
        foreach (var p in parameters) items.Add(NotNull(p, items.Count));
        Replace(items);
    }

    /// <summary>The number of tensors.</summary>
    public int Count => _items.Count;

    /// <summary>The tensor at <paramref name="index"/> (<c>list[^1]</c> is the last); setting it replaces the parameter
    /// under that number.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, Count).</exception>
    /// <exception cref="ArgumentNullException">The tensor assigned is null.</exception>
    public Tensor this[int index]
    {
        get => _items[CheckIndex(index)];
        set
        {
            CheckIndex(index);
            Replace(new List<Tensor>(_items) { [index] = NotNull(value, index) });
        }
    }

    /// <summary>Adds <paramref name="parameter"/> at the end, registered as the next number.</summary>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public void Add(Tensor parameter) => Replace(new List<Tensor>(_items) { NotNull(parameter, _items.Count) });

    /// <summary>Adds <paramref name="parameter"/> at the end and returns this list. Same as <c>append</c>.</summary>
    /// <exception cref="ArgumentNullException">The tensor is null.</exception>
    public ParameterList Append(Tensor parameter)
    {
        Add(parameter);
        return this;
    }

    private void Replace(List<Tensor> items)
    {
        ReplaceParameters(items.Select((p, i) => (i.ToString(CultureInfo.InvariantCulture), p)));
        _items = items;
    }

    private static Tensor NotNull(Tensor? parameter, int index) =>
        parameter ?? throw new ArgumentNullException(nameof(parameter), $"ParameterList: tensor {index} is null.");

    private int CheckIndex(int index) => Check.Index("ParameterList", index, _items.Count, "tensors");

    /// <summary>The tensors in order.</summary>
    public IEnumerator<Tensor> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Always throws: a ParameterList is a container, as PyTorch's, which has no forward either.</summary>
    /// <exception cref="InvalidOperationException">Always; index the list and use the tensors.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ParameterList has no Forward; index it: list[0], or iterate it.");

    /// <inheritdoc/>
    public override string Describe() => $"ParameterList({string.Join(", ", _items.Select(p => $"{p.DType} {p.Shape}"))})";
}
