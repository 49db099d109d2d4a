using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Autodiff.NN;

/// <summary>The base of every layer and model: named parameters, buffers and submodules, train/eval mode, and a
/// readable tree. Same idea as <c>torch.nn.Module</c>.</summary>
/// <remarks>
/// <para>Parameters and submodules are registered two ways, both named as PyTorch's <c>state_dict</c> names them
/// (<c>0.weight</c>, <c>fc1.bias</c>, <c>bn.running_mean</c>):</para>
/// <list type="bullet">
/// <item><b>Fields</b>, as PyTorch's <c>self.fc = nn.Linear(...)</c>: a field holding a <see cref="Module"/>, or a leaf
/// <see cref="Tensor"/> whose <see cref="Tensor.RequiresGrad"/> was set (true, or false for a frozen parameter), is
/// registered under the field's name the first time the model is read
/// (<see cref="Parameters"/>, <see cref="StateDict"/>, <see cref="Train"/>, ToString, ...), and again when the field is
/// reassigned. A field holding a plain collection of modules (<c>List&lt;Linear&gt;</c>) fails loudly: use
/// <see cref="ModuleList"/>. Rules and the opt-out <see cref="NotRegisteredAttribute"/>: Module.Fields.cs.</item>
/// <item><b>Explicitly</b>, in call order: <see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/>,
/// <see cref="RegisterModule{T}"/>. Field registrations come after them: each module lists its explicit parameters, then
/// its field parameters, then its buffers, then its explicit submodules, then its field submodules.</item>
/// </list>
/// <para>Parameters and buffers name themselves after their place in the model, so error messages and the tape print
/// <c>0.weight[8, 3]</c> instead of <c>t368[8, 3]</c> (see <see cref="Tensor.Label"/>).</para>
/// </remarks>
/// <example><code>
/// sealed class Residual : Module
/// {
///     public Linear Hidden = new(3, 8);       // registered as "Hidden": trained, saved, printed
///     private readonly Linear _out = new(8, 3); // registered as "out"
///     public override Tensor Forward(Tensor x) => x + _out.Forward(Hidden.Forward(x).Relu());
/// }
/// </code></example>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract partial class Module
{
    private readonly List<string> _parameterNames = [];
    private readonly Dictionary<string, Tensor?> _parameters = [];
    private readonly List<string> _bufferNames = [];
    private readonly Dictionary<string, Tensor?> _buffers = [];
    private HashSet<string>? _optionalOnLoad;                              // buffers LoadStateDict may find missing
    private readonly List<(string Name, Module? Module)> _children = [];   // null: the name is kept for a field set to null
    private StateCache? _stateCache;

    /// <summary>Computes the module's output. Same as <c>forward</c>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>. Dropout and friends read it.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Sets training mode on this module and every submodule, and returns this module.</summary>
    public Module Train(bool mode = true)
    {
        SyncTree();
        SetTraining(mode);
        return this;
    }

    private void SetTraining(bool mode)
    {
        Training = mode;
        foreach (var (_, child) in ChildEntries()) child.SetTraining(mode);
    }

    /// <summary>Sets evaluation mode (<c>Train(false)</c>) and returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>Adds a parameter under <paramref name="name"/>; it is made to require grad unless its
    /// <see cref="Tensor.RequiresGrad"/> was set already (a frozen tensor stays frozen). Null reserves the name (e.g. no bias).</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already taken; or the tensor is not a
    /// leaf (the result of a recorded op).</exception>
    protected void RegisterParameter(string name, Tensor? parameter)
    {
        CheckNewName(name);
        var value = AsParameter(name, parameter);
        _parameterNames.Add(name);
        _parameters[name] = value;
        OnStructureChanged();
    }

    /// <summary>Adds a buffer under <paramref name="name"/>: state that is saved and loaded with the parameters but is not
    /// trained (no gradient, not in <see cref="Parameters"/>), such as BatchNorm's running statistics. Null reserves the
    /// name. Same as <c>register_buffer</c>.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already taken.</exception>
    protected void RegisterBuffer(string name, Tensor? buffer)
    {
        CheckNewName(name);
        _bufferNames.Add(name);
        _buffers[name] = buffer;
        OnStructureChanged();
    }

    /// <summary>Lets <see cref="LoadStateDict"/> accept a state dict without the buffer <paramref name="name"/>, leaving
    /// the buffer as it is: for a buffer added after checkpoints were written without it (BatchNorm's
    /// <c>num_batches_tracked</c>, which PyTorch's own version-1 state dicts lack too).</summary>
    private protected void AllowMissingOnLoad(string name) => (_optionalOnLoad ??= []).Add(name);

    /// <summary>The buffer registered under <paramref name="name"/> (null when reserved as absent).</summary>
    protected Tensor? GetBuffer(string name) => _buffers[name];

    /// <summary>Adds a submodule under <paramref name="name"/> and returns it.</summary>
    /// <exception cref="ArgumentNullException">The module is null.</exception>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already taken; or the module is this
    /// module or contains it (a cycle).</exception>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckNewName(name);
        CheckNoCycle(name, module);
        _children.Add((name, module));
        OnStructureChanged();
        return module;
    }

    /// <summary>Replaces every submodule by <paramref name="modules"/>, in order: how <see cref="ModuleList"/> and
    /// <see cref="ModuleDict"/> renumber or rename after an insertion or removal.</summary>
    private protected void ReplaceModules(IEnumerable<(string Name, Module Module)> modules)
    {
        var list = modules.ToList();
        var seen = new HashSet<string>();
        foreach (var (name, module) in list)
        {
            ArgumentNullException.ThrowIfNull(module, name);
            if (!seen.Add(name)) Check.Fail(GetType().Name, $"name '{name}' is already registered.", nameof(name));
            CheckNoCycle(name, module);
        }
        _children.Clear();
        _children.AddRange(list.Select(m => (m.Name, (Module?)m.Module)));
        OnStructureChanged();
    }

    /// <summary>Replaces every parameter by <paramref name="parameters"/>, in order (see <see cref="ParameterList"/>).</summary>
    private protected void ReplaceParameters(IEnumerable<(string Name, Tensor Parameter)> parameters)
    {
        var list = parameters.ToList();
        _parameterNames.Clear();
        _parameters.Clear();
        foreach (var (name, p) in list) RegisterParameter(name, p);
        OnStructureChanged();
    }

    /// <summary>A tensor as a parameter: a leaf, requiring grad unless someone already set its RequiresGrad.</summary>
    private Tensor? AsParameter(string name, Tensor? value)
    {
        if (value is { Creator: { } creator })
            Check.Fail($"{GetType().Name}.{name}", $"a parameter must be a leaf tensor, but {value.Label} is the result of {creator.Op}, " +
                "so training would update nothing. To tie weights assign the same tensor (b.Weight = a.Weight); to start from " +
                "computed values use x.Detach() (a copy: x.Detach().To(x.DType)).", nameof(value));
        if (value is null) return null;
        return value.RequiresGradSet ? value : value.RequireGrad();
    }

    private void CheckNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            Check.Fail(GetType().Name, $"name '{name}' must be non-empty and contain no dot.", nameof(name));
        if (IsExplicitName(name))
            Check.Fail(GetType().Name, $"name '{name}' is already registered.", nameof(name));
    }

    private bool IsExplicitName(string name) =>
        _parameters.ContainsKey(name) || _buffers.ContainsKey(name) || _children.Exists(c => c.Name == name);

    /// <summary>The parameter registered under <paramref name="name"/> (null when reserved as absent).</summary>
    protected Tensor? GetParameter(string name) => _parameters[name];

    /// <summary>Replaces a registered parameter after checking its shape; the new tensor is made to require grad unless
    /// its <see cref="Tensor.RequiresGrad"/> was set already, so tying to a frozen weight keeps it frozen.</summary>
    /// <exception cref="ArgumentException">The new tensor's shape differs from <paramref name="expected"/>, or it is not a
    /// leaf (the result of a recorded op, such as <c>other.Weight.Transpose(0, 1)</c>).</exception>
    protected void SetParameter(string name, Tensor? value, Shape expected)
    {
        if (value is not null && value.Shape != expected)
            Check.Fail($"{GetType().Name}.{name}", $"expected shape {expected}, got {value.Shape}.", nameof(value));
        if (!_parameters.ContainsKey(name)) Check.Fail(GetType().Name, $"no parameter named '{name}'.", nameof(name));
        _parameters[name] = AsParameter(name, value);
        OnStructureChanged();
    }


    /// <summary>Every parameter of this module and its submodules, in registration order, with dotted names as
    /// PyTorch's <c>named_parameters()</c>.</summary>
    /// <remarks>A tensor registered under two names (tied weights, e.g. <c>decoder.Weight = embedding.Weight</c>) is
    /// listed once, under its first name, as PyTorch's <c>remove_duplicate=True</c>; <see cref="StateDict"/> keeps both names.</remarks>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "") =>
        DistinctParameters(NamedState(prefix)).Select(s => (s.Name, s.Value));

    /// <summary>The parameter entries, each tensor once (its first name), so tied weights are trained and counted once.</summary>
    private static IEnumerable<StateItem> DistinctParameters(IEnumerable<StateItem> items)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var item in items)
            if (item.Kind == Kind.Parameter && seen.Add(item.Value)) yield return item;
    }

    /// <summary>Every buffer of this module and its submodules, with dotted names. Same as <c>named_buffers()</c>.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "") =>
        NamedState(prefix).Where(s => s.Kind == Kind.Buffer).Select(s => (s.Name, s.Value));

    private enum Kind { Parameter, Buffer }

    /// <summary>One entry of the state; <paramref name="MayBeMissing"/> for a buffer <see cref="LoadStateDict"/> does without.</summary>
    private readonly record struct StateItem(string Name, Tensor Value, Kind Kind, bool MayBeMissing = false);

    /// <summary>The flattened state of the tree as last read, valid while no module anywhere changed its registrations
    /// (<see cref="s_structureVersion"/>): a training step's Parameters() and ZeroGrad() reuse it.</summary>
    private sealed class StateCache(Module root, long version, StateItem[] items)
    {
        private HashSet<Tensor>? _parameterSet;

        public long Version { get; } = version;
        public StateItem[] Items { get; } = items;
        public ParameterSnapshot Parameters { get; } = new(root, DistinctParameters(items).Select(s => s.Value).ToArray());

        /// <summary>The parameters as a set (by reference), made on first use.</summary>
        public HashSet<Tensor> ParameterSet => _parameterSet ??= new HashSet<Tensor>(Parameters, ReferenceEqualityComparer.Instance);
    }

    /// <summary>What <see cref="Parameters"/> returns: the parameters, and the module they were read from, so an
    /// optimizer built from them can check at each step that the model still holds them.</summary>
    internal sealed class ParameterSnapshot(Module root, Tensor[] parameters) : ReadOnlyCollection<Tensor>(parameters)
    {
        /// <summary>The module whose <see cref="Parameters"/> this is.</summary>
        public Module Root { get; } = root;
    }

    /// <summary>This tree's current parameters (fields reassigned since the last read included), as a set by reference:
    /// an optimizer checks at each step that the model still holds what it updates. Allocation-free while unchanged.</summary>
    internal HashSet<Tensor> CurrentParameterSet() => CurrentState().ParameterSet;

    /// <summary>Parameters and buffers in PyTorch's <c>state_dict</c> order: each module's parameters, then its buffers,
    /// then its submodules'. Without a prefix the result is cached, and each tensor is named after its entry
    /// (<see cref="Tensor.Label"/>).</summary>
    private IReadOnlyList<StateItem> NamedState(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.Length == 0 ? CurrentState().Items : CollectState(prefix);
    }

    private StateCache CurrentState()
    {
        SyncTree();
        long version = Volatile.Read(ref s_structureVersion);
        if (_stateCache is { } cache && cache.Version == version) return cache;
        var items = CollectState("");
        var named = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var item in items)
            if (named.Add(item.Value)) item.Value.NameAsParameter(item.Name, this, items.Count);   // a tied weight keeps its first name
        return _stateCache = new StateCache(this, version, [.. items]);
    }

    private List<StateItem> CollectState(string prefix)
    {
        SyncTree();
        var items = new List<StateItem>();
        Collect(items, prefix);
        return items;
    }

    private void Collect(List<StateItem> items, string prefix)
    {
        foreach (var (name, p) in OwnParameters()) items.Add(new(prefix + name, p, Kind.Parameter));
        foreach (var name in _bufferNames)
            if (_buffers[name] is { } b) items.Add(new(prefix + name, b, Kind.Buffer, _optionalOnLoad?.Contains(name) == true));
        foreach (var (name, child) in ChildEntries()) child.Collect(items, prefix + name + ".");
    }

    /// <summary>This module's own parameters (not its submodules'): explicit ones, then those held in fields.</summary>
    private IEnumerable<(string Name, Tensor Parameter)> OwnParameters()
    {
        foreach (var name in _parameterNames)
            if (_parameters[name] is { } p) yield return (name, p);
        if (_fieldState is { } state)
            foreach (var p in state.Parameters) yield return p;
    }

    /// <summary>This module's direct submodules: explicit ones, then those held in fields.</summary>
    private IEnumerable<(string Name, Module Module)> ChildEntries()
    {
        for (int i = 0; i < _children.Count; i++)
            if (_children[i].Module is { } child) yield return (_children[i].Name, child);
        if (_fieldState is { } state)
            foreach (var c in state.Children) yield return c;
    }

    /// <summary>Every parameter, recursively, in registration order, each tensor once. Same as <c>parameters()</c>.</summary>
    /// <remarks>A snapshot: reassigning a field or registering later is seen by the next call.</remarks>
    public IEnumerable<Tensor> Parameters() => CurrentState().Parameters;

    /// <summary>Sets every parameter's gradient to null. Same as <c>zero_grad()</c>.</summary>
    /// <remarks>A gradient you read (<c>var g = p.Grad;</c>) stays valid afterwards, as in PyTorch; one nobody read goes
    /// back to the buffer pool for the next Backward (see <see cref="Autodiff.Optim.Optimizer.ZeroGrad"/>).</remarks>
    public void ZeroGrad()
    {
        foreach (var p in CurrentState().Parameters) p.ReleaseGrad();
    }

    /// <summary>Copies of every parameter and buffer by dotted name, in PyTorch's order. Same as <c>state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict() =>
        NamedState().ToDictionary(p => p.Name, p => p.Value.Detach().To(p.Value.DType));

    /// <summary>Copies values into the parameters and buffers by dotted name. Same as <c>load_state_dict(strict=True)</c>:
    /// every entry must be present with the same shape, and nothing else may be; nothing is changed on error.</summary>
    /// <remarks>Values are copied into the tensors the model holds (an optimizer built earlier keeps training them),
    /// converted to each one's dtype as PyTorch's <c>param.copy_(value)</c> does: a float64 state loads into a float32 model
    /// rounded, a float32 state into a float64 model exactly, a Float64 count into an Int64 buffer. To load a float64 state
    /// at full precision, convert the model first (<see cref="Double"/>). One exception to strictness, as PyTorch makes for
    /// old state dicts: a BatchNorm's <c>num_batches_tracked</c> may be missing (checkpoints written before it existed),
    /// and is then left as it is.</remarks>
    /// <exception cref="ArgumentException">A name is missing or unexpected, or a shape differs; the message names the parameter or buffer and both shapes and dtypes.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = NamedState();
        foreach (var (name, p, kind, mayBeMissing) in own)
        {
            if (!state.TryGetValue(name, out var value))
            {
                if (mayBeMissing) continue;
                Check.Fail("LoadStateDict", $"missing {kind.ToString().ToLowerInvariant()} '{name}' {p.Shape}.", nameof(state));
            }
            if (value.Shape != p.Shape)
                Check.Fail("LoadStateDict", $"{kind.ToString().ToLowerInvariant()} '{name}' is {p.DType} {p.Shape} in the model but {value.DType} {value.Shape} in the state dict.", nameof(state));
        }
        var names = own.Select(p => p.Name).ToHashSet();
        foreach (var name in state.Keys)
            if (!names.Contains(name)) Check.Fail("LoadStateDict", $"unexpected parameter '{name}' {state[name].Shape}.", nameof(state));
        foreach (var (name, p, _, _) in own)
        {
            if (!state.TryGetValue(name, out var value)) continue;                 // a buffer allowed to be missing
            Compute.Copy(value.DType == p.DType ? value : ConvertedValues(value, p.DType), p);
            p.MarkModified();
        }
    }

    /// <summary>Writes the state dict to <paramref name="path"/> (atomically, with a checksum; see <see cref="Checkpoint"/>).</summary>
    public void Save(string path) => Checkpoint.Save(path, StateDict());

    /// <summary>Loads parameters saved by <see cref="Save"/>; nothing is changed if the file is corrupt or does not fit.</summary>
    /// <exception cref="InvalidDataException">The file is corrupt or truncated.</exception>
    /// <exception cref="ArgumentException">The file's parameters do not match the model's names and shapes.</exception>
    public void Load(string path) => LoadStateDict(Checkpoint.Load(path).ToDictionary(p => p.Key, p => p.Value));

    /// <summary>Writes the state dict to <paramref name="path"/> in the safetensors format, under PyTorch's names
    /// (<c>0.weight</c>, <c>fc1.bias</c>), so <c>model.load_state_dict(safetensors.torch.load_file(path))</c> loads it
    /// into the equivalent PyTorch model. See <see cref="Safetensors"/>.</summary>
    /// <param name="path">The file to write, replaced atomically.</param>
    /// <param name="metadata">Optional strings stored as <c>__metadata__</c>, e.g. <c>{"format": "pt"}</c> as
    /// <c>transformers</c> writes.</param>
    public void SaveSafetensors(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Safetensors.Save(path, StateDict(), metadata);

    /// <summary>Loads parameters from a safetensors file, e.g. one PyTorch wrote with
    /// <c>safetensors.torch.save_file(model.state_dict(), path)</c>. Strict as <see cref="LoadStateDict"/>: nothing is
    /// changed unless every name and shape fits. Values are converted to the model's dtypes (F16 and BF16 weights arrive as
    /// Float32; an F64 file loads into a float32 model rounded, and exactly into a model converted by <see cref="Double"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype this library does not load.</exception>
    /// <exception cref="ArgumentException">The file's tensors do not match the model's names and shapes.</exception>
    public void LoadSafetensors(string path) => LoadStateDict(Safetensors.Load(path));

    /// <summary>Writes the state dict to <paramref name="path"/> as PyTorch's <c>torch.save(model.state_dict(), path)</c>
    /// does, under PyTorch's names, so <c>model.load_state_dict(torch.load(path))</c> loads it into the equivalent PyTorch
    /// model. See <see cref="PyTorchFile"/>.</summary>
    /// <param name="path">The file to write (<c>.pt</c>, <c>.pth</c>), replaced atomically.</param>
    public void SavePyTorch(string path) => PyTorchFile.Save(path, StateDict());

    /// <summary>Loads parameters from a file PyTorch wrote with <c>torch.save(model.state_dict(), path)</c>, without
    /// running its pickle: only tensors, storages and ordered dicts are read, any other global is refused. Strict as
    /// <see cref="LoadStateDict"/>: nothing is changed unless every name and shape fits; values are converted to the
    /// model's dtypes (Half and BFloat16 weights arrive as Float32).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a PyTorch zip archive of tensors, or its pickle names a global that is not allowed.</exception>
    /// <exception cref="NotSupportedException">The file is in PyTorch's legacy (pre-1.6) format.</exception>
    /// <exception cref="ArgumentException">The file's tensors do not match the model's names and shapes.</exception>
    public void LoadPyTorch(string path)
    {
        var state = PyTorchFile.Load(path);
        try
        {
            LoadStateDict(state);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>The number of parameter elements, recursively.</summary>
    public long ParameterCount() => CurrentState().Parameters.Sum(p => (long)p.Numel);

    /// <summary>One line describing this module alone, e.g. <c>Linear(inFeatures: 784, outFeatures: 100, bias: true)</c>.</summary>
    public virtual string Describe() => GetType().Name + "()";

    /// <summary>The module tree, as PyTorch's repr, with each module's parameter count.</summary>
    public override string ToString()
    {
        SyncTree();
        var sb = new StringBuilder();
        Append(sb, "", 0);
        return sb.ToString().TrimEnd();
    }

    private void Append(StringBuilder sb, string name, int depth)
    {
        string indent = new(' ', depth * 2);
        string label = name.Length > 0 ? $"({name}): " : "";
        string line = Describe();
        var children = ChildEntries().ToList();
        if (children.Count == 0)
        {
            long count = ParameterCount();
            sb.Append(indent).Append(label).Append(line).Append(count > 0 ? $"  [{count:N0} parameters]" : "").AppendLine();
            return;
        }
        sb.Append(indent).Append(label).Append(line.EndsWith("()") ? line[..^1] : line + "(").AppendLine();
        foreach (var (childName, child) in children) child.Append(sb, childName, depth + 1);
        sb.Append(indent).Append(')');
        if (depth == 0) sb.Append($"  [{ParameterCount():N0} parameters]");
        sb.AppendLine();
    }
}
