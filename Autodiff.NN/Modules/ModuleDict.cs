using System.Collections;

namespace Autodiff.NN;

/// <summary>Holds submodules by string key, in insertion order, each registered under its key so it is trained, saved
/// and printed. Same as <c>torch.nn.ModuleDict</c>.</summary>
/// <remarks>Use it where a <c>Dictionary&lt;string, Module&gt;</c> field would hold layers: such a field fails at first
/// use, because its modules would not be registered. Keys are state-dict names (<c>heads.a.weight</c>), so they must be
/// non-empty and contain no dot. Setting an existing key replaces its module in place; like PyTorch's, it has no
/// Forward of its own.</remarks>
/// <example><code>
/// public ModuleDict Heads = new() { ["a"] = new Linear(8, 2), ["b"] = new Linear(8, 5) };   // Heads.a.weight, ...
/// var logits = Heads["a"].Forward(features);
/// </code></example>
public sealed class ModuleDict : Module, IEnumerable<KeyValuePair<string, Module>>
{
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, Module> _modules = [];

    /// <summary>Creates an empty dictionary.</summary>
    public ModuleDict() { }

    /// <summary>Creates the dictionary holding <paramref name="modules"/> in order.</summary>
    /// <exception cref="ArgumentException">A key is empty, contains a dot, or repeats.</exception>
    /// <exception cref="ArgumentNullException">A module is null.</exception>
    public ModuleDict(IEnumerable<KeyValuePair<string, Module>> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (key, module) in modules) Add(key, module);
    }

    /// <summary>The number of modules.</summary>
    public int Count => _keys.Count;

    /// <summary>The keys, in insertion order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The modules, in insertion order.</summary>
    public IEnumerable<Module> Values => _keys.Select(k => _modules[k]);

    /// <summary>The module under <paramref name="key"/>; setting replaces it in place, or adds it at the end when new.
    /// Same as <c>heads[key]</c>.</summary>
    /// <exception cref="KeyNotFoundException">No module has that key; the message lists the keys.</exception>
    /// <exception cref="ArgumentException">A new key is empty or contains a dot.</exception>
    /// <exception cref="ArgumentNullException">The module assigned is null.</exception>
    public Module this[string key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            return _modules.TryGetValue(key, out var module) ? module
                : throw new KeyNotFoundException($"ModuleDict: no module under key '{key}'; the keys are [{string.Join(", ", _keys)}].");
        }
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            if (!_modules.ContainsKey(key))
            {
                Add(key, value);
                return;
            }
            var replaced = new Dictionary<string, Module>(_modules) { [key] = NotNull(key, value) };
            ReplaceModules(_keys.Select(k => (k, replaced[k])));
            _modules[key] = value;
        }
    }

    /// <summary>Adds <paramref name="module"/> under <paramref name="key"/> at the end.</summary>
    /// <exception cref="ArgumentException">The key is empty, contains a dot, or is already present.</exception>
    /// <exception cref="ArgumentNullException">The key or the module is null.</exception>
    public void Add(string key, Module module)
    {
        ArgumentNullException.ThrowIfNull(key);
        NotNull(key, module);
        if (_modules.ContainsKey(key)) Check.Fail("ModuleDict", $"key '{key}' is already present; assign dict[\"{key}\"] to replace it.", nameof(key));
        if (key.Length == 0 || key.Contains('.')) Check.Fail("ModuleDict", $"key '{key}' must be non-empty and contain no dot (it is a state-dict name).", nameof(key));
        RegisterModule(key, module);
        _keys.Add(key);
        _modules[key] = module;
    }

    /// <summary>Whether a module is stored under <paramref name="key"/>.</summary>
    public bool ContainsKey(string key) => _modules.ContainsKey(key);

    /// <summary>Gets the module under <paramref name="key"/>, if any.</summary>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Module module) =>
        _modules.TryGetValue(key, out module);

    /// <summary>Removes the module under <paramref name="key"/>; returns false when there is none. Same as <c>pop</c>.</summary>
    public bool Remove(string key)
    {
        if (!_modules.ContainsKey(key)) return false;
        ReplaceModules(_keys.Where(k => k != key).Select(k => (k, _modules[k])));
        _keys.Remove(key);
        _modules.Remove(key);
        return true;
    }

    private static Module NotNull(string key, Module? module) =>
        module ?? throw new ArgumentNullException(nameof(module), $"ModuleDict: the module for key '{key}' is null.");

    /// <summary>The (key, module) pairs in insertion order.</summary>
    public IEnumerator<KeyValuePair<string, Module>> GetEnumerator() =>
        _keys.Select(k => new KeyValuePair<string, Module>(k, _modules[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Always throws: a ModuleDict is a container, as PyTorch's, which has no forward either.</summary>
    /// <exception cref="InvalidOperationException">Always; look a module up by key and call it.</exception>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleDict has no Forward; look a module up by key: dict[\"name\"].Forward(x).");

    /// <inheritdoc/>
    public override string Describe() => "ModuleDict()";
}
