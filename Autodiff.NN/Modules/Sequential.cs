using System.Collections;
using System.Globalization;

namespace Autodiff.NN;

/// <summary>Runs its modules one after another, registered as <c>0</c>, <c>1</c>, ... Same as <c>torch.nn.Sequential</c>.</summary>
/// <remarks>Enumerable and indexable as PyTorch's: <c>model[0]</c>, <c>model[^1]</c>, <c>foreach (var m in model)</c>, and
/// <c>model[1..]</c>, a new Sequential over the same module objects (shared, not copied), renumbered from 0 as PyTorch's
/// slicing does.</remarks>
/// <example><code>
/// var model = new Sequential(new Linear(784, 100), new ReLU(), new Linear(100, 10));
/// var logits = model.Forward(x);                     // parameters: 0.weight, 0.bias, 2.weight, 2.bias
/// var features = model[..2];                         // Linear, ReLU: the same objects, renumbered 0, 1
/// </code></example>
public sealed class Sequential : Module, IEnumerable<Module>
{
    private readonly List<Module> _modules = [];

    /// <summary>Creates the chain.</summary>
    /// <exception cref="ArgumentNullException">The array or a module is null; the message names its position.</exception>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules) Append(module);
    }

    /// <summary>The module at position <paramref name="index"/>; <c>model[^1]</c> is the last.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, Count).</exception>
    public Module this[int index] => _modules[CheckIndex(index)];

    /// <summary>A new Sequential over the modules in <paramref name="range"/> (the same objects, not copies), registered
    /// as <c>0</c>, <c>1</c>, ... Same as PyTorch's <c>model[1:]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside [0, Count].</exception>
    public Sequential this[Range range]
    {
        get
        {
            int count = _modules.Count, start = range.Start.GetOffset(count), end = range.End.GetOffset(count);
            if (start < 0 || end > count || start > end)
                Check.FailRange("Sequential", $"range {range} is out of range for {count} modules.", nameof(range));
            return new Sequential([.. _modules.GetRange(start, end - start)]);
        }
    }

    /// <summary>The number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>Adds <paramref name="module"/> at the end, registered as the next number, and returns this Sequential.
    /// Same as <c>append</c>.</summary>
    /// <exception cref="ArgumentNullException">The module is null; the message names its position.</exception>
    public Sequential Append(Module module)
    {
        if (module is null)
            throw new ArgumentNullException(nameof(module), $"Sequential: module {_modules.Count} is null.");
        RegisterModule(_modules.Count.ToString(CultureInfo.InvariantCulture), module);
        _modules.Add(module);
        return this;
    }

    private int CheckIndex(int index) => Check.Index("Sequential", index, _modules.Count, "modules");

    /// <summary>The modules in order.</summary>
    public IEnumerator<Module> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Runs the modules in order. A module's <see cref="ArgumentException"/> is rethrown naming its position,
    /// its description and the shape it received, with the original as the inner exception.</summary>
    /// <exception cref="ArgumentException">A module rejected its input.</exception>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < _modules.Count; i++)
        {
            try
            {
                x = _modules[i].Forward(x);
            }
            catch (ArgumentException e)
            {
                // Say where in the model tree the shape error happened, e.g. "Sequential: module '2' (Linear(...)) ...".
                throw new ArgumentException($"Sequential: module '{i}' ({_modules[i].Describe()}) failed on input {x.Shape}: {e.Message}", e);
            }
        }
        return x;
    }

    /// <inheritdoc/>
    public override string Describe() => "Sequential()";
}
