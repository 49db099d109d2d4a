using System.Globalization;
using Autodiff.NN;

namespace Autodiff.Optim;

/// <summary>The base of every optimizer: holds the parameters, the learning rate and per-parameter state, clears
/// gradients, and updates parameters in place. Same idea as <c>torch.optim.Optimizer</c>.</summary>
/// <remarks>State (momentum buffers, running averages, step counts) is kept per parameter by name, so
/// <see cref="StateDict"/> can save it and training resumes exactly after <see cref="LoadStateDict"/>.
/// Not thread-safe: one optimizer belongs to one training loop.</remarks>
public abstract class Optimizer
{
    private readonly Dictionary<string, Tensor>[] _state;
    private readonly Module? _model;                  // the module whose Parameters() this optimizer was built from
    private readonly HashSet<Tensor>? _own;           // this optimizer's parameters, as a set, when _model is known
    private double _lr;
    private long _conversionsChecked;                 // Module.ConversionCount when no parameter was found converted

    /// <summary>Takes the parameters to optimize, in order, and the learning rate.</summary>
    /// <remarks>A parameter that does not require grad (a frozen layer) is accepted and skipped while it has no
    /// gradient, as in PyTorch, so <c>new Adam(model.Parameters())</c> works after freezing some layers, and a layer
    /// unfrozen later trains from then on.</remarks>
    /// <exception cref="ArgumentException">The list is empty, holds a null or the same tensor twice, or lr is negative or NaN.</exception>
    protected Optimizer(string name, IEnumerable<Tensor> parameters, double lr)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Name = name;
        Parameters = parameters.ToArray();
        if (Parameters.Count == 0)
            Check.Fail(name, "got an empty parameter list; if it came from model.Parameters(), the model registered no parameters " +
                "(layers held in fields are registered; a List<Module> is not: use ModuleList), or every parameter was filtered out.",
                nameof(parameters));
        var seen = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < Parameters.Count; i++)
        {
            Check.NotNull(name, Parameters[i], $"parameters[{i}]");
            // Twice in the list would mean two updates per Step (PyTorch warns); a tied weight appears once in Parameters().
            if (!seen.TryAdd(Parameters[i], i))
                Check.Fail(name, $"parameter {i} ({Parameters[i].Label}) is the same tensor as parameter {seen[Parameters[i]]}, so Step " +
                    "would update it twice; pass each tensor once (e.g. model.Parameters() of one model, or .Distinct()).", nameof(parameters));
        }
        Lr = lr;
        _state = Parameters.Select(_ => new Dictionary<string, Tensor>()).ToArray();
        if (parameters is Module.ParameterSnapshot snapshot)
            (_model, _own) = (snapshot.Root, new HashSet<Tensor>(Parameters, ReferenceEqualityComparer.Instance));
    }

    /// <summary>The optimizer's name, used in messages.</summary>
    public string Name { get; }

    /// <summary>The parameters being optimized.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The learning rate; schedulers change it between steps.</summary>
    /// <remarks>A double, as PyTorch's Python float: float64 parameters are updated with it exactly, float32 parameters
    /// with it rounded to float (see <see cref="AtPrecisionOf"/>).</remarks>
    /// <exception cref="ArgumentException">Set to a negative or NaN value.</exception>
    public double Lr
    {
        get => _lr;
        set
        {
            if (!(value >= 0)) Check.Fail(Name, $"lr must be non-negative, got {value}.", nameof(value));
            _lr = value;
        }
    }

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

    /// <summary>Copies of the learning rate and every state tensor, named <c>lr</c> and <c>{parameter}.{state}</c>
    /// (e.g. <c>0.exp_avg</c>). Same idea as <c>optimizer.state_dict()</c>.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor> { ["lr"] = Tensor.Scalar(Lr, DType.Float64) };
        for (int i = 0; i < _state.Length; i++)
            foreach (var (name, t) in _state[i])
                result[$"{i.ToString(CultureInfo.InvariantCulture)}.{name}"] = t.Detach().To(t.DType);
        return result;
    }

    /// <summary>Restores what <see cref="StateDict"/> returned, so training resumes exactly.</summary>
    /// <exception cref="ArgumentException">A name does not belong to this optimizer's parameters, or a state's shape
    /// differs from its parameter's; nothing is changed.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parsed = new List<(int Index, string Name, Tensor Value)>();
        foreach (var (key, value) in state)
        {
            if (key == "lr") continue;
            int dot = key.IndexOf('.'), index = -1;
            if (dot < 0 || !int.TryParse(key[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out index) || index >= Parameters.Count)
                Check.Fail(Name, $"state '{key}' does not name one of the {Parameters.Count} parameters.", nameof(state));
            if (value.Numel != 1 && value.Shape != Parameters[index].Shape)
                Check.Fail(Name, $"state '{key}' has shape {value.Shape} but parameter {index} is {Parameters[index].Label}.", nameof(state));
            parsed.Add((index, key[(dot + 1)..], value));
        }
        if (state.TryGetValue("lr", out var lr)) Lr = lr.ItemDouble();
        foreach (var s in _state) s.Clear();
        foreach (var (index, name, value) in parsed) _state[index][name] = value.Detach().To(value.DType);
    }
}
