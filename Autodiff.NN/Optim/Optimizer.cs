using System.Globalization;
using Autodiff.NN;

namespace Autodiff.Optim;

/// <summary>The base of every optimizer: holds the parameters in groups with their hyper-parameters and per-parameter
/// state, clears gradients, and updates parameters in place. Same idea as <c>torch.optim.Optimizer</c>.</summary>
/// <remarks>An optimizer built from one list of parameters has one group; one built from <see cref="ParamGroup"/>s has
/// those, each with its own learning rate, weight decay and other hyper-parameters (<see cref="ParamGroups"/>, PyTorch's
/// <c>param_groups</c>). State (momentum buffers, running averages, step counts) is kept per parameter, so
/// <see cref="StateDict"/> can save it with every group's hyper-parameters and training resumes exactly after
/// <see cref="LoadStateDict"/>. Not thread-safe: one optimizer belongs to one training loop.</remarks>
public abstract class Optimizer
{
    private readonly Dictionary<string, Tensor>[] _state;
    private readonly ParamGroup[] _groups;
    private readonly int[] _groupOf;                  // parameter index -> group index
    private readonly Module? _model;                  // the module whose Parameters() this optimizer was built from
    private readonly HashSet<Tensor>? _own;           // this optimizer's parameters, as a set, when _model is known
    private long _conversionsChecked;                 // Module.ConversionCount when no parameter was found converted

    /// <summary>Takes the parameters to optimize, in order, and the learning rate: one group.</summary>
    /// <remarks>A parameter that does not require grad (a frozen layer) is accepted and skipped while it has no
    /// gradient, as in PyTorch, so <c>new Adam(model.Parameters())</c> works after freezing some layers, and a layer
    /// unfrozen later trains from then on.</remarks>
    /// <exception cref="ArgumentException">The list is empty, holds a null or the same tensor twice, or lr is negative or NaN.</exception>
    protected Optimizer(string name, IEnumerable<Tensor> parameters, double lr)
        : this(name, parameters, new Dictionary<string, double> { ["lr"] = lr })
    {
    }

    /// <summary>One group of <paramref name="parameters"/> with the hyper-parameters <paramref name="defaults"/>
    /// (PyTorch's keys, in the order state dicts list them); <paramref name="checkGroup"/> checks what one value at a
    /// time cannot (see the groups overload).</summary>
    private protected Optimizer(string name, IEnumerable<Tensor> parameters, IReadOnlyDictionary<string, double> defaults,
        Action<string, Func<string, double>>? checkGroup = null)
        : this(name, [new ParamGroup(parameters)], defaults, checkGroup, fromList: true)
    {
    }

    /// <summary>The parameters in <paramref name="groups"/>, each group taking <paramref name="defaults"/> for what it
    /// does not set. Same as <c>torch.optim.Optimizer(param_groups, defaults)</c>. <paramref name="checkGroup"/>, when
    /// given, is called for each group, before any group is taken, with a prefix for its messages (empty with one group,
    /// else <c>"group 1: "</c>) and the group's value of each key, to check combinations (SGD's Nesterov needs momentum).</summary>
    private protected Optimizer(string name, IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults,
        Action<string, Func<string, double>>? checkGroup = null)
        : this(name, GroupArray(name, groups), defaults, checkGroup, fromList: false)
    {
    }

    private static ParamGroup[] GroupArray(string name, IEnumerable<ParamGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var array = groups.ToArray();
        for (int g = 0; g < array.Length; g++)
        {
            Check.NotNullArg(name, array[g], $"groups[{g}]");
            for (int h = 0; h < g; h++)
                if (ReferenceEquals(array[g], array[h]))
                    Check.Fail(name, $"group {g} is the same ParamGroup as group {h}; pass each group once.", nameof(groups));
        }
        return array;
    }

    private Optimizer(string name, ParamGroup[] groups, IReadOnlyDictionary<string, double> defaults,
        Action<string, Func<string, double>>? checkGroup, bool fromList)
    {
        Name = name;
        var parameters = new List<Tensor>();
        var groupOf = new List<int>();
        for (int g = 0; g < groups.Length; g++)
            foreach (var p in groups[g].Parameters) { parameters.Add(p); groupOf.Add(g); }
        Parameters = parameters.AsReadOnly();
        if (Parameters.Count == 0)
            Check.Fail(name, "got an empty parameter list; if it came from model.Parameters(), the model registered no parameters " +
                "(layers held in fields are registered; a List<Module> is not: use ModuleList), or every parameter was filtered out.",
                fromList ? "parameters" : "groups");
        var seen = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0, start = 0; i < Parameters.Count; i++)
        {
            if (i > 0 && groupOf[i] != groupOf[i - 1]) start = i;
            Check.NotNull(name, Parameters[i], fromList ? $"parameters[{i}]" : $"groups[{groupOf[i]}].Parameters[{i - start}]");
            if (seen.TryAdd(Parameters[i], i)) continue;
            int first = seen[Parameters[i]];
            // Twice in the list would mean two updates per Step (PyTorch warns); a tied weight appears once in Parameters().
            if (groupOf[first] == groupOf[i])
                Check.Fail(name, $"parameter {i} ({Parameters[i].Label}) is the same tensor as parameter {first}, so Step " +
                    "would update it twice; pass each tensor once (e.g. model.Parameters() of one model, or .Distinct()).", fromList ? "parameters" : "groups");
            Check.Fail(name, $"parameter {Parameters[i].Label} is in group {groupOf[first]} (parameter {first}) and in group {groupOf[i]} " +
                $"(parameter {i}); a parameter belongs to one group (PyTorch: \"some parameters appear in more than one parameter group\"). " +
                "Split the parameters so that each is in exactly one group.", "groups");
        }
        foreach (var (key, value) in defaults) ParamGroup.CheckDefault(name, key, value);
        for (int g = 0; g < groups.Length; g++)
        {
            groups[g].CheckFits(name, g, defaults);
            var group = groups[g];
            checkGroup?.Invoke(groups.Length == 1 ? "" : $"group {g}: ", key => group.Values.TryGetValue(key, out var v) ? v : defaults[key]);
        }
        for (int g = 0; g < groups.Length; g++) groups[g].Adopt(this, g, defaults);
        (_groups, _groupOf) = (groups, groupOf.ToArray());
        ParamGroups = Array.AsReadOnly(groups);
        _state = Parameters.Select(_ => new Dictionary<string, Tensor>()).ToArray();
        if (groups.Length == 1 && groups[0].Snapshot is { } snapshot)
            (_model, _own) = (snapshot.Root, new HashSet<Tensor>(Parameters, ReferenceEqualityComparer.Instance));
    }

    /// <summary>The optimizer's name, used in messages.</summary>
    public string Name { get; }

    /// <summary>The parameters being optimized, group after group.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The parameter groups, each with its parameters and hyper-parameters; one group when the optimizer was built
    /// from a list of parameters. Same as PyTorch's <c>optimizer.param_groups</c>: set a group's <see cref="ParamGroup.Lr"/>
    /// (or another hyper-parameter) to change it from the next step on.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups { get; }

    /// <summary>The learning rate, which every group shares; schedulers change it between steps.</summary>
    /// <remarks>A double, as PyTorch's Python float: float64 parameters are updated with it exactly, float32 parameters
    /// with it rounded to float (see <see cref="AtPrecisionOf"/>). Setting it sets every group's. With groups whose rates
    /// differ there is no one rate: read and set <see cref="ParamGroup.Lr"/> of each of <see cref="ParamGroups"/>.</remarks>
    /// <exception cref="ArgumentException">Set to a negative or NaN value.</exception>
    /// <exception cref="InvalidOperationException">The groups' learning rates differ.</exception>
    public double Lr
    {
        get
        {
            CheckOneLr();
            return _groups[0].Lr;
        }
        set
        {
            ParamGroup.CheckDefault(Name, "lr", value);
            CheckOneLr();
            foreach (var group in _groups) group.Lr = value;
        }
    }

    private void CheckOneLr()
    {
        for (int g = 1; g < _groups.Length; g++)
            if (_groups[g].Lr != _groups[0].Lr)
                Check.FailState(Name, $"its {_groups.Length} parameter groups have different learning rates " +
                    $"({string.Join(", ", _groups.Select(p => p.Lr))}), so there is no one Lr; read or set ParamGroups[i].Lr instead.");
    }

    /// <summary>The group parameter <paramref name="index"/> belongs to, whose hyper-parameters its update uses.</summary>
    protected ParamGroup GroupOf(int index) => _groups[_groupOf[index]];

    /// <summary>Sets every parameter's gradient to null (PyTorch's default <c>set_to_none=True</c>), before the next Backward.</summary>
    /// <remarks>As in PyTorch, a gradient you read (<c>var g = p.Grad;</c>) stays valid afterwards. A gradient nobody read
    /// through <see cref="Tensor.Grad"/> (the optimizer's own reads do not count) goes back to the buffer pool, so a plain
    /// <c>ZeroGrad(); Backward(); Step()</c> loop reuses its gradient buffers instead of allocating them every step.</remarks>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ReleaseGrad();
    }

    /// <summary>Updates every parameter that has a gradient, in place and without recording on the tape.</summary>
    /// <exception cref="InvalidOperationException">A parameter was replaced in, or removed from, the model it came from after
    /// this optimizer was built (the optimizer would silently update a tensor the model no longer uses), or converted to
    /// another dtype by <see cref="Module.To(DType)"/> (<c>Double()</c>, <c>Float()</c>): build the optimizer after converting;
    /// nothing is updated.</exception>
    public void Step()
    {
        CheckNotConverted();
        CheckModelUnchanged();
        using (Tape.NoGrad())
        {
            for (int i = 0; i < Parameters.Count; i++)
                if (Parameters[i].PeekGrad() is { } grad)
                {
                    Update(i, Parameters[i], grad);
                    Parameters[i].MarkModified();
                }
        }
    }

    /// <summary>For an optimizer built from <c>model.Parameters()</c>: fails when the model no longer holds one of its
    /// parameters <em>and</em> now holds a trainable one it does not have, that is, when a parameter was replaced
    /// (<c>layer.Weight = w</c>, a field given a new layer) after the optimizer was built: stepping the old tensor would
    /// train nothing the model uses, and the new one would never train. A layer removed, a weight tied to one the
    /// optimizer holds, or a layer added with an optimizer of its own are fine, as in PyTorch. Re-reads the model each
    /// step (field reads; no allocation while nothing changed).</summary>
    private void CheckModelUnchanged()
    {
        if (_model is null) return;
        var now = _model.CurrentParameterSet();
        int missing = -1;
        for (int i = 0; i < Parameters.Count && missing < 0; i++)
            if (!now.Contains(Parameters[i])) missing = i;
        if (missing < 0) return;
        foreach (var p in now)
            if (!_own!.Contains(p) && p.RequiresGrad)
                Check.FailState(Name, $"parameter {missing} ({Parameters[missing].Label}) is no longer in the {_model.GetType().Name} " +
                    $"it came from, which now has {p.Label} instead: it was replaced (e.g. layer.Weight = w) after this optimizer " +
                    "was built, so the optimizer would go on updating a tensor the model no longer uses and never train the new " +
                    "one. Load values in place with layer.Weight.Copy_(w), or build the optimizer after changing the model.");
    }

    /// <summary>Fails when a module holding one of the parameters was converted to another dtype after this optimizer was
    /// built: <see cref="Module.To(DType)"/> replaced the tensor, so stepping it would train nothing the model uses, even for
    /// an optimizer built from a plain list. Looks only when some conversion happened since the last check.</summary>
    private void CheckNotConverted()
    {
        long conversions = Module.ConversionCount;
        if (conversions == _conversionsChecked) return;
        for (int i = 0; i < Parameters.Count; i++)
            if (Module.ConvertedTo(Parameters[i]) is { } replacement)
                Check.FailState(Name, $"parameter {i} ({Parameters[i].Label}, {Parameters[i].DType}) was replaced by a {replacement.DType} " +
                    "tensor when its model was converted (Module.To, Double or Float) after this optimizer was built, so the optimizer " +
                    "would go on updating a tensor the model no longer uses. Build the optimizer after converting the model: " +
                    "model.Double(); then new Adam(model.Parameters(), ...).");
        _conversionsChecked = conversions;
    }

    /// <summary>Applies the update rule to parameter <paramref name="index"/>.</summary>
    protected abstract void Update(int index, Tensor parameter, Tensor grad);

    /// <summary><paramref name="value"/>, a hyper-parameter, at the precision <paramref name="parameter"/> is updated in:
    /// rounded to float for a float32 parameter, unchanged for a float64 one.</summary>
    /// <remarks>Derived values (<c>1 - β₁</c>, <c>1 - β₁ᵗ</c>) are computed from the rounded value, so <c>lr: 0.1</c> and
    /// <c>lr: 0.1f</c> give a float32 parameter the same bits; a float64 parameter gets the full double.</remarks>
    protected static double AtPrecisionOf(Tensor parameter, double value)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.DType == DType.Float32 ? (float)value : value;
    }

    /// <summary>The state tensor <paramref name="name"/> of parameter <paramref name="index"/>, created by <paramref name="create"/> on first use.</summary>
    protected Tensor State(int index, string name, Func<Tensor> create)
    {
        if (!_state[index].TryGetValue(name, out var t)) _state[index][name] = t = create();
        return t;
    }

    /// <summary>Copies of every group's hyper-parameters and every state tensor, as Float64 scalars and tensors named
    /// <c>param_groups.{group}.{key}</c> (e.g. <c>param_groups.1.weight_decay</c>; <c>param_groups.{group}.params</c> is the
    /// group's parameter count) and <c>{parameter}.{state}</c> (e.g. <c>0.exp_avg</c>, parameters numbered across groups in
    /// order). With one group, <c>lr</c> holds its learning rate as well. Same idea as <c>optimizer.state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor>();
        if (_groups.Length == 1) result["lr"] = Tensor.Scalar(_groups[0].Lr, DType.Float64);
        for (int g = 0; g < _groups.Length; g++)
        {
            string prefix = $"param_groups.{g.ToString(CultureInfo.InvariantCulture)}.";
            result[prefix + "params"] = Tensor.Scalar(_groups[g].Parameters.Count, DType.Float64);
            foreach (var (key, value) in _groups[g].Values) result[prefix + key] = Tensor.Scalar(value, DType.Float64);
        }
        for (int i = 0; i < _state.Length; i++)
            foreach (var (name, t) in _state[i])
                result[$"{i.ToString(CultureInfo.InvariantCulture)}.{name}"] = t.Detach().To(t.DType);
        return result;
    }

    /// <summary>Restores what <see cref="StateDict"/> returned, so training resumes exactly: the state tensors and every
    /// group's hyper-parameters (a state of one group from before groups were saved, holding only <c>lr</c>, restores the rate).</summary>
    /// <exception cref="ArgumentException">A name does not belong to this optimizer's parameters or hyper-parameters, a
    /// value is out of range, the state has other groups (count or sizes) than this optimizer, or a state's shape differs
    /// from its parameter's; nothing is changed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parsed = new List<(int Index, string Name, Tensor Value)>();
        var hyper = new List<(int Group, string Key, double Value)>();
        var sizes = new Dictionary<int, int>();
        double? lr = null;
        const string GroupPrefix = "param_groups.";
        foreach (var (key, value) in state)
        {
            if (key == "lr")
            {
                lr = Scalar(key, value);
                if (ParamGroup.CheckLoaded("lr", lr.Value) is { } problem) Check.Fail(Name, $"state 'lr': {problem}", nameof(state));
                continue;
            }
            if (key.StartsWith(GroupPrefix, StringComparison.Ordinal))
            {
                int dot = key.IndexOf('.', GroupPrefix.Length), g = -1;
                if (dot < 0 || !int.TryParse(key[GroupPrefix.Length..dot], NumberStyles.None, CultureInfo.InvariantCulture, out g))
                    Check.Fail(Name, $"state '{key}' does not name a parameter group.", nameof(state));
                string name = key[(dot + 1)..];
                double v = Scalar(key, value);
                if (name == "params")
                {
                    if (!(v >= 0 && v == Math.Floor(v) && v <= int.MaxValue))
                        Check.Fail(Name, $"state '{key}' must be a parameter count, got {v}.", nameof(state));
                    sizes[g] = (int)v;
                    continue;
                }
                if (g < _groups.Length && !_groups[g].Has(name))
                    Check.Fail(Name, $"state '{key}': {name} is not a hyper-parameter of {Name} (its keys: {string.Join(", ", _groups[g].Values.Keys)}).", nameof(state));
                if (ParamGroup.CheckLoaded(name, v) is { } problem) Check.Fail(Name, $"state '{key}': {problem}", nameof(state));
                hyper.Add((g, name, v));
                sizes.TryAdd(g, -1);
                continue;
            }
            int separator = key.IndexOf('.'), index = -1;
            if (separator < 0 || !int.TryParse(key[..separator], NumberStyles.None, CultureInfo.InvariantCulture, out index) || index >= Parameters.Count)
                Check.Fail(Name, $"state '{key}' does not name one of the {Parameters.Count} parameters.", nameof(state));
            Check.NotNull(Name, value, $"state['{key}']");
            parsed.Add((index, key[(separator + 1)..], value));
        }
        if (sizes.Count > 0)
        {
            int count = sizes.Keys.Max() + 1;
            bool fits = count == _groups.Length && Enumerable.Range(0, count).All(g => sizes.TryGetValue(g, out int n) && (n < 0 || n == _groups[g].Parameters.Count));
            if (!fits)
                Check.Fail(Name, $"the state holds {count} parameter group{(count == 1 ? "" : "s")} of " +
                    $"[{string.Join(", ", Enumerable.Range(0, count).Select(g => sizes.TryGetValue(g, out int n) && n >= 0 ? n.ToString(CultureInfo.InvariantCulture) : "?"))}] " +
                    $"parameters, but this optimizer has {_groups.Length} of [{string.Join(", ", _groups.Select(p => p.Parameters.Count))}]; " +
                    "build the optimizer with the same groups as the one that was saved.", nameof(state));
        }
        else if (lr is not null && _groups.Length != 1)
            Check.Fail(Name, $"the state holds one lr (a single group's) but this optimizer has {_groups.Length} parameter groups.", nameof(state));
        foreach (var (index, name, value) in parsed)             // after the groups: with other groups, indices mean other parameters
            if (value.Numel != 1 && value.Shape != Parameters[index].Shape)
                Check.Fail(Name, $"state '{index}.{name}' has shape {value.Shape} but parameter {index} is {Parameters[index].Label}.", nameof(state));
        if (lr is double rate && !hyper.Any(h => h.Key == "lr")) foreach (var group in _groups) group.SetChecked("lr", rate);
        foreach (var (g, key, v) in hyper) _groups[g].SetChecked(key, v);
        foreach (var s in _state) s.Clear();
        foreach (var (index, name, value) in parsed) _state[index][name] = value.Detach().To(value.DType);
    }

    private double Scalar(string key, Tensor value)
    {
        Check.NotNull(Name, value, $"state['{key}']");
        if (value.Numel != 1) Check.Fail(Name, $"state '{key}' must be a scalar, got shape {value.Shape}.", "state");
        return value.ItemDouble();
    }
}
