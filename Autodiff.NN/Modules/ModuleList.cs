using System.Collections;
using System.Globalization;

namespace Autodiff.NN;

/// <summary>Holds submodules in a list, registered as <c>0</c>, <c>1</c>, ... so they are trained, saved and printed.
/// Same as <c>torch.nn.ModuleList</c>.</summary>
/// <remarks>Use it where a plain <c>List&lt;Linear&gt;</c> field would hold layers: such a field fails at first use,
/// because its modules would not be registered. Like PyTorch's, it has no Forward of its own: iterate it. Inserting or
/// removing renumbers the modules after it, so state-dict names stay <c>layers.0.weight</c>, <c>layers.1.weight</c>, ...
/// as in PyTorch.</remarks>
/// <example><code>
/// public ModuleList Layers = new(new Linear(4, 8), new Linear(8, 8));   // layers: Layers.0.weight, Layers.1.bias, ...
/// foreach (var layer in Layers) x = layer.Forward(x).Relu();
/// </code></example>
public sealed class ModuleList : Module, IEnumerable<Module>
{
    private List<Module> _items = [];

    /// <summary>Creates the list holding <paramref name="modules"/> in order: <c>new ModuleList(a, b)</c>, or any
    /// sequence, <c>new ModuleList(Enumerable.Range(0, 4).Select(_ =&gt; new Linear(8, 8)))</c>. As in PyTorch, a single
    /// ModuleList or Sequential passed alone is iterated: the new list holds its modules.</summary>
    /// <exception cref="ArgumentNullException">A module is null; the message names its index.</exception>
    public ModuleList(params IEnumerable<Module> modules) => Extend(modules);

    /// <summary>The number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>The module at <paramref name="index"/> (<c>list[^1]</c> is the last); setting it replaces the registration
    /// under that number.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, Count).</exception>
    /// <exception cref="ArgumentNullException">The module assigned is null.</exception>
    public Module this[int index]
    {
        get => _items[CheckIndex(index)];
        set
        {
            CheckIndex(index);
            var items = new List<Module>(_items) { [index] = NotNull(value, index) };
            Replace(items);
        }
    }

    /// <summary>A new ModuleList over the modules in <paramref name="range"/> (the same objects), renumbered from 0, as
    /// PyTorch's <c>layers[1:]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside [0, Count].</exception>
    public ModuleList this[Range range]
    {
        get
        {
            int count = _items.Count, start = range.Start.GetOffset(count), end = range.End.GetOffset(count);
            if (start < 0 || end > count || start > end)
                Check.FailRange("ModuleList", $"range {range} is out of range for {count} modules.", nameof(range));
            return new ModuleList(_items.GetRange(start, end - start));
        }
    }

    /// <summary>Adds <paramref name="module"/> at the end, registered as the next number.</summary>
    /// <exception cref="ArgumentNullException">The module is null.</exception>
    public void Add(Module module)
    {
        RegisterModule(_items.Count.ToString(CultureInfo.InvariantCulture), NotNull(module, _items.Count));
        _items.Add(module);
    }

    /// <summary>Adds <paramref name="module"/> at the end and returns this list. Same as <c>append</c>.</summary>
    /// <exception cref="ArgumentNullException">The module is null.</exception>
    public ModuleList Append(Module module)
    {
        Add(module);
        return this;
    }

    /// <summary>Adds <paramref name="modules"/> at the end, in order, and returns this list. Same as <c>extend</c>.</summary>
    /// <exception cref="ArgumentNullException">A module is null; nothing is added then.</exception>
    public ModuleList Extend(IEnumerable<Module> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        var items = new List<Module>(_items);
        foreach (var module in modules) items.Add(NotNull(module, items.Count));
        Replace(items);
        return this;
    }

    /// <summary>Adds <paramref name="modules"/> at the end, in order. Same as <see cref="Extend"/>.</summary>
    /// <exception cref="ArgumentNullException">A module is null; nothing is added then.</exception>
    public void AddRange(IEnumerable<Module> modules) => Extend(modules);

    /// <summary>Inserts <paramref name="module"/> before position <paramref name="index"/> and renumbers the modules after
    /// it. Same as <c>insert</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, Count].</exception>
    /// <exception cref="ArgumentNullException">The module is null.</exception>
    public void Insert(int index, Module module)
    {
        CheckIndex(index, insert: true);
        var items = new List<Module>(_items);
        items.Insert(index, NotNull(module, index));
        Replace(items);
    }

    /// <summary>Removes the module at <paramref name="index"/> and renumbers the modules after it. Same as <c>del layers[i]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, Count).</exception>
    public void RemoveAt(int index)
    {
        CheckIndex(index);
        var items = new List<Module>(_items);
        items.RemoveAt(index);
        Replace(items);
    }

    private void Replace(List<Module> items)
    {
        ReplaceModules(items.Select((m, i) => (i.ToString(CultureInfo.InvariantCulture), m)));
        _items = items;
    }

    private static Module NotNull(Module? module, int index) =>
        module ?? throw new ArgumentNullException(nameof(module), $"ModuleList: module {index} is null.");

    private int CheckIndex(int index, bool insert = false) => Check.Index("ModuleList", index, _items.Count, "modules", insert);

    /// <summary>The modules in order.</summary>
    public IEnumerator<Module> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Always throws: a ModuleList is a container, as PyTorch's, which has no forward either.</summary>
    /// <exception cref="InvalidOperationException">Always; iterate the list and call each module.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleList has no Forward; iterate it: foreach (var layer in list) x = layer.Forward(x);");

    /// <inheritdoc/>
    public override string Describe() => "ModuleList()";
}
