using System.Text;

namespace Autodiff.NN;

/// <summary>The base of every layer and model: named parameters and submodules registered in call order, train/eval
/// mode, and a readable tree. Same idea as <c>torch.nn.Module</c>.</summary>
/// <remarks>Registration is explicit (<see cref="RegisterParameter"/>, <see cref="RegisterBuffer"/>,
/// <see cref="RegisterModule{T}"/>); nothing is found by reflection. Names join the path with dots as PyTorch's
/// <c>state_dict</c> does: <c>0.weight</c>, <c>fc1.bias</c>, <c>bn.running_mean</c>.</remarks>
public abstract class Module
{
    private readonly List<string> _parameterNames = [];
    private readonly Dictionary<string, Tensor?> _parameters = [];
    private readonly List<string> _bufferNames = [];
    private readonly Dictionary<string, Tensor?> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];

    /// <summary>Computes the module's output. Same as <c>forward</c>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>. Dropout and friends read it.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Sets training mode on this module and every submodule, and returns this module.</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in _children) child.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode (<c>Train(false)</c>) and returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>Adds a parameter under <paramref name="name"/>; it is made to require grad. Null reserves the name (e.g. no bias).</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already taken.</exception>
    protected void RegisterParameter(string name, Tensor? parameter)
    {
        CheckNewName(name);
        _parameterNames.Add(name);
        _parameters[name] = parameter?.RequireGrad();
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
    }

    /// <summary>The buffer registered under <paramref name="name"/> (null when reserved as absent).</summary>
    protected Tensor? GetBuffer(string name) => _buffers[name];

    /// <summary>Adds a submodule under <paramref name="name"/> and returns it.</summary>
    /// <exception cref="ArgumentException">The name is empty, contains a dot, or is already taken.</exception>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckNewName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            Check.Fail(GetType().Name, $"name '{name}' must be non-empty and contain no dot.", nameof(name));
        if (_parameters.ContainsKey(name) || _buffers.ContainsKey(name) || _children.Any(c => c.Name == name))
            Check.Fail(GetType().Name, $"name '{name}' is already registered.", nameof(name));
    }

    /// <summary>The parameter registered under <paramref name="name"/> (null when reserved as absent).</summary>
    protected Tensor? GetParameter(string name) => _parameters[name];

    /// <summary>Replaces a registered parameter after checking its shape; the new tensor is made to require grad.</summary>
    /// <exception cref="ArgumentException">The new tensor's shape differs from <paramref name="expected"/>.</exception>
    protected void SetParameter(string name, Tensor? value, Shape expected)
    {
        if (value is not null && value.Shape != expected)
            Check.Fail($"{GetType().Name}.{name}", $"expected shape {expected}, got {value.Shape}.", nameof(value));
        if (!_parameters.ContainsKey(name)) Check.Fail(GetType().Name, $"no parameter named '{name}'.", nameof(name));
        _parameters[name] = value?.RequireGrad();
    }

    /// <summary>The direct submodules, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children;

    /// <summary>Every parameter of this module and its submodules, in registration order, with dotted names as
    /// PyTorch's <c>named_parameters()</c>.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "") =>
        NamedState(prefix).Where(s => s.Kind == Kind.Parameter).Select(s => (s.Name, s.Value));

    /// <summary>Every buffer of this module and its submodules, with dotted names. Same as <c>named_buffers()</c>.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "") =>
        NamedState(prefix).Where(s => s.Kind == Kind.Buffer).Select(s => (s.Name, s.Value));

    private enum Kind { Parameter, Buffer }

    /// <summary>Parameters and buffers in PyTorch's <c>state_dict</c> order: each module's parameters, then its buffers,
    /// then its submodules'.</summary>
    private IEnumerable<(string Name, Tensor Value, Kind Kind)> NamedState(string prefix = "")
    {
        foreach (var name in _parameterNames)
            if (_parameters[name] is { } p) yield return (prefix + name, p, Kind.Parameter);
        foreach (var name in _bufferNames)
            if (_buffers[name] is { } b) yield return (prefix + name, b, Kind.Buffer);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedState(prefix + name + "."))
                yield return item;
    }

    /// <summary>Every parameter, recursively, in registration order. Same as <c>parameters()</c>.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Sets every parameter's gradient to null. Same as <c>zero_grad()</c>.</summary>
    /// <remarks>A gradient you read (<c>var g = p.Grad;</c>) stays valid afterwards, as in PyTorch; one nobody read goes
    /// back to the buffer pool for the next Backward (see <see cref="Autodiff.Optim.Optimizer.ZeroGrad"/>).</remarks>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.ReleaseGrad();
    }

    /// <summary>Copies of every parameter and buffer by dotted name, in PyTorch's order. Same as <c>state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict() =>
        NamedState().ToDictionary(p => p.Name, p => p.Value.Detach().To(p.Value.DType));

    /// <summary>Copies values into the parameters and buffers by dotted name. Same as <c>load_state_dict(strict=True)</c>:
    /// every entry must be present with the same shape and dtype, and nothing else may be; nothing is changed on error.</summary>
    /// <exception cref="ArgumentException">A name is missing or unexpected, or a shape or dtype differs; the message names the parameter or buffer and both shapes.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = NamedState().ToList();
        foreach (var (name, p, kind) in own)
        {
            if (!state.TryGetValue(name, out var value))
                Check.Fail("LoadStateDict", $"missing {kind.ToString().ToLowerInvariant()} '{name}' {p.Shape}.", nameof(state));
            if (value.Shape != p.Shape || value.DType != p.DType)
                Check.Fail("LoadStateDict", $"{kind.ToString().ToLowerInvariant()} '{name}' is {p.DType} {p.Shape} in the model but {value.DType} {value.Shape} in the state dict.", nameof(state));
        }
        foreach (var name in state.Keys)
            if (!own.Any(p => p.Name == name)) Check.Fail("LoadStateDict", $"unexpected parameter '{name}' {state[name].Shape}.", nameof(state));
        foreach (var (name, p, _) in own)
        {
            Compute.Copy(state[name], p);
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
    /// changed unless every name, shape and dtype fits. F16 and BF16 weights arrive as Float32.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype this library does not load.</exception>
    /// <exception cref="ArgumentException">The file's tensors do not match the model's names, shapes and dtypes.</exception>
    public void LoadSafetensors(string path) => LoadStateDict(Safetensors.Load(path));

    /// <summary>The number of parameter elements, recursively.</summary>
    public long ParameterCount() => Parameters().Sum(p => (long)p.Numel);

    /// <summary>One line describing this module alone, e.g. <c>Linear(inFeatures: 784, outFeatures: 100, bias: true)</c>.</summary>
    public virtual string Describe() => GetType().Name + "()";

    /// <summary>The module tree, as PyTorch's repr, with each module's parameter count.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb, "", 0);
        return sb.ToString().TrimEnd();
    }

    private void Append(StringBuilder sb, string name, int depth)
    {
        string indent = new(' ', depth * 2);
        string label = name.Length > 0 ? $"({name}): " : "";
        string line = Describe();
        if (_children.Count == 0)
        {
            long count = ParameterCount();
            sb.Append(indent).Append(label).Append(line).Append(count > 0 ? $"  [{count:N0} parameters]" : "").AppendLine();
            return;
        }
        sb.Append(indent).Append(label).Append(line.EndsWith("()") ? line[..^1] : line + "(").AppendLine();
        foreach (var (childName, child) in _children) child.Append(sb, childName, depth + 1);
        sb.Append(indent).Append(')');
        if (depth == 0) sb.Append($"  [{ParameterCount():N0} parameters]");
        sb.AppendLine();
    }
}
