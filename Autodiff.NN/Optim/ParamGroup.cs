using System.Globalization;
using Autodiff.NN;

namespace Autodiff.Optim;

/// <summary>Some of an optimizer's parameters with hyper-parameters of their own (learning rate, weight decay, ...);
/// every hyper-parameter a group does not set takes the optimizer's value. Same as an entry of PyTorch's
/// <c>optimizer.param_groups</c>.</summary>
/// <remarks>Given to an optimizer, the group becomes one of its <see cref="Optimizer.ParamGroups"/>: the optimizer fills in
/// the values it does not set (as PyTorch's <c>setdefault</c>), and a value set later (<c>group.Lr = 1e-4</c>, which is
/// what a scheduler does) takes effect at the next <see cref="Optimizer.Step"/>. A group holds only the hyper-parameters
/// its optimizer has: setting or reading <see cref="Beta1"/> on an SGD group fails, naming the group, instead of being
/// ignored. A group belongs to one optimizer. Not thread-safe.</remarks>
/// <example><code>
/// var decay = model.NamedParameters().Where(p => p.Parameter.Rank &gt;= 2).Select(p => p.Parameter);
/// var noDecay = model.NamedParameters().Where(p => p.Parameter.Rank &lt; 2).Select(p => p.Parameter);
/// var optimizer = new AdamW([new ParamGroup(decay, weightDecay: 0.01), new ParamGroup(noDecay, weightDecay: 0)], lr: 1e-3);
/// </code></example>
public sealed class ParamGroup
{
    /// <summary>The hyper-parameters a group can hold: PyTorch's key (used in state dicts), the .NET name (used in
    /// messages), whether it is a flag, and the range check its values pass.</summary>
    private static readonly Dictionary<string, (string Name, bool Flag, Func<double, string?> Rule)> Keys = new()
    {
        ["lr"] = ("lr", false, NonNegative),
        ["weight_decay"] = ("weightDecay", false, NonNegative),
        ["momentum"] = ("momentum", false, NonNegative),
        ["dampening"] = ("dampening", false, v => double.IsNaN(v) ? "must not be NaN." : null),
        ["nesterov"] = ("nesterov", true, Flag),
        ["beta1"] = ("beta1", false, UnitInterval),
        ["beta2"] = ("beta2", false, UnitInterval),
        ["eps"] = ("eps", false, NonNegative),
        ["amsgrad"] = ("amsgrad", true, Flag),
        ["alpha"] = ("alpha", false, v => v >= 0 && v <= 1 ? null : $"must be in [0, 1], got {v}."),
        ["centered"] = ("centered", true, Flag),
    };

    private static string? NonNegative(double v) => v >= 0 ? null : $"must be non-negative, got {v}.";
    private static string? UnitInterval(double v) => v >= 0 && v < 1 ? null : $"must be in [0, 1), got {v}.";
    private static string? Flag(double v) => v is 0 or 1 ? null : $"must be 0 or 1 (a flag), got {v}.";

    private readonly Dictionary<string, double> _values = [];   // by PyTorch key; bools as 0 and 1
    private Optimizer? _owner;
    private int _index;

    /// <summary>Creates a group of <paramref name="parameters"/>; each hyper-parameter left null takes the optimizer's value.</summary>
    /// <param name="parameters">The group's parameters (may be empty).</param>
    /// <param name="lr">The learning rate.</param>
    /// <param name="weightDecay">The weight decay λ.</param>
    /// <param name="momentum">SGD's and RMSprop's momentum factor.</param>
    /// <param name="dampening">SGD's dampening.</param>
    /// <param name="nesterov">SGD's Nesterov flag.</param>
    /// <param name="beta1">Adam's and AdamW's β₁ (the first of PyTorch's <c>betas</c>).</param>
    /// <param name="beta2">Adam's and AdamW's β₂.</param>
    /// <param name="eps">Adam's, AdamW's and RMSprop's ε.</param>
    /// <param name="amsgrad">Adam's and AdamW's AMSGrad flag.</param>
    /// <param name="alpha">RMSprop's α.</param>
    /// <param name="centered">RMSprop's centered flag.</param>
    /// <remarks>The values are checked when the group is given to an optimizer, whose messages name the group.</remarks>
    public ParamGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null, double? momentum = null,
        double? dampening = null, bool? nesterov = null, double? beta1 = null, double? beta2 = null, double? eps = null,
        bool? amsgrad = null, double? alpha = null, bool? centered = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToArray();
        Snapshot = parameters as Module.ParameterSnapshot;
        void Put(string key, double? value) { if (value is double v) _values[key] = v; }
        Put("lr", lr); Put("weight_decay", weightDecay); Put("momentum", momentum); Put("dampening", dampening);
        Put("nesterov", nesterov is bool n ? (n ? 1 : 0) : null); Put("beta1", beta1); Put("beta2", beta2); Put("eps", eps);
        Put("amsgrad", amsgrad is bool a ? (a ? 1 : 0) : null); Put("alpha", alpha); Put("centered", centered is bool c ? (c ? 1 : 0) : null);
    }

    /// <summary>The group's parameters, in order.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The learning rate; schedulers set it at each step.</summary>
    /// <exception cref="ArgumentException">Set to a negative or NaN value.</exception>
    /// <exception cref="InvalidOperationException">Read before the group was given to an optimizer, without having been set.</exception>
    public double Lr { get => Get("lr"); set => Set("lr", value); }

    /// <summary>The weight decay λ (an L2 penalty for SGD, Adam and RMSprop; decoupled for AdamW).</summary>
    /// <exception cref="ArgumentException">Set to a negative or NaN value.</exception>
    /// <exception cref="InvalidOperationException">Read before being set or given to an optimizer.</exception>
    public double WeightDecay { get => Get("weight_decay"); set => Set("weight_decay", value); }

    /// <summary>The momentum factor μ (SGD, RMSprop); OneCycleLR cycles it.</summary>
    /// <exception cref="ArgumentException">Set to a negative or NaN value.</exception>
    /// <exception cref="InvalidOperationException">The optimizer has no momentum, or read before being set or given to one.</exception>
    public double Momentum { get => Get("momentum"); set => Set("momentum", value); }

    /// <summary>SGD's dampening of the momentum.</summary>
    /// <exception cref="ArgumentException">Set to NaN.</exception>
    /// <exception cref="InvalidOperationException">The optimizer is not SGD, or read before being set or given to one.</exception>
    public double Dampening { get => Get("dampening"); set => Set("dampening", value); }

    /// <summary>SGD's Nesterov flag.</summary>
    /// <exception cref="InvalidOperationException">The optimizer is not SGD, or read before being set or given to one.</exception>
    public bool Nesterov { get => Get("nesterov") != 0; set => Set("nesterov", value ? 1 : 0); }

    /// <summary>β₁, the decay of Adam's gradient average (the first of PyTorch's <c>betas</c>); OneCycleLR cycles it.</summary>
    /// <exception cref="ArgumentException">Set outside [0, 1).</exception>
    /// <exception cref="InvalidOperationException">The optimizer is not Adam or AdamW, or read before being set or given to one.</exception>
    public double Beta1 { get => Get("beta1"); set => Set("beta1", value); }

    /// <summary>β₂, the decay of Adam's squared-gradient average.</summary>
    /// <exception cref="ArgumentException">Set outside [0, 1).</exception>
    /// <exception cref="InvalidOperationException">The optimizer is not Adam or AdamW, or read before being set or given to one.</exception>
    public double Beta2 { get => Get("beta2"); set => Set("beta2", value); }

    /// <summary>ε, added to the denominator (Adam, AdamW, RMSprop).</summary>
    /// <exception cref="ArgumentException">Set to a negative or NaN value.</exception>
    /// <exception cref="InvalidOperationException">The optimizer has no ε, or read before being set or given to one.</exception>
    public double Eps { get => Get("eps"); set => Set("eps", value); }

    /// <summary>Whether Adam and AdamW use AMSGrad (the running maximum of the second moment).</summary>
    /// <exception cref="InvalidOperationException">The optimizer is not Adam or AdamW, or read before being set or given to one.</exception>
    public bool Amsgrad { get => Get("amsgrad") != 0; set => Set("amsgrad", value ? 1 : 0); }

    /// <summary>RMSprop's α, the decay of the squared-gradient average.</summary>
    /// <exception cref="ArgumentException">Set outside [0, 1].</exception>
    /// <exception cref="InvalidOperationException">The optimizer is not RMSprop, or read before being set or given to one.</exception>
    public double Alpha { get => Get("alpha"); set => Set("alpha", value); }

    /// <summary>RMSprop's centered flag.</summary>
    /// <exception cref="InvalidOperationException">The optimizer is not RMSprop, or read before being set or given to one.</exception>
    public bool Centered { get => Get("centered") != 0; set => Set("centered", value ? 1 : 0); }

    /// <summary>The hyper-parameters this group holds, by PyTorch's key (<c>lr</c>, <c>weight_decay</c>, <c>beta1</c>, ...;
    /// flags as 0 or 1), in the optimizer's order once it belongs to one.</summary>
    internal IReadOnlyDictionary<string, double> Values => _values;

    /// <summary><c>ParamGroup(3 parameters, lr: 0.001, weightDecay: 0.01)</c>.</summary>
    public override string ToString() =>
        $"ParamGroup({Parameters.Count} parameter{(Parameters.Count == 1 ? "" : "s")}" +
        string.Concat(_values.Select(p => $", {Keys[p.Key].Name}: {(Keys[p.Key].Flag ? (p.Value != 0 ? "true" : "false") : p.Value.ToString(CultureInfo.InvariantCulture))}")) + ")";

    /// <summary>The module the parameters were read from, when they are a model's <c>Parameters()</c>.</summary>
    internal Module.ParameterSnapshot? Snapshot { get; }

    /// <summary>Whether this group holds <paramref name="key"/> (its optimizer has that hyper-parameter).</summary>
    internal bool Has(string key) => _values.ContainsKey(key);

    /// <summary>Checks that this group can become group <paramref name="index"/> of optimizer <paramref name="optimizer"/>,
    /// whose hyper-parameters are the keys of <paramref name="defaults"/>; changes nothing.</summary>
    /// <exception cref="ArgumentException">The group belongs to an optimizer already, or sets a hyper-parameter the
    /// optimizer does not have or a value out of range.</exception>
    internal void CheckFits(string optimizer, int index, IReadOnlyDictionary<string, double> defaults)
    {
        if (_owner is not null)
            Check.Fail(optimizer, $"group {index} already belongs to an optimizer ({_owner.Name}); make a new ParamGroup for each optimizer.", "groups");
        foreach (var (key, value) in _values)
        {
            if (!defaults.ContainsKey(key))
                Check.Fail(optimizer, $"group {index} sets {Keys[key].Name}, which {optimizer} does not have (its hyper-parameters: " +
                    $"{string.Join(", ", defaults.Keys.Select(k => Keys[k].Name))}).", "groups");
            if (Keys[key].Rule(value) is { } problem) Check.Fail(optimizer, $"group {index}'s {Keys[key].Name} {problem}", "groups");
        }
    }

    /// <summary>Makes this group group <paramref name="index"/> of <paramref name="owner"/>, filling in the values it does
    /// not set from <paramref name="defaults"/>, in their order; <see cref="CheckFits"/> passed first.</summary>
    internal void Adopt(Optimizer owner, int index, IReadOnlyDictionary<string, double> defaults)
    {
        var own = new Dictionary<string, double>(_values);
        _values.Clear();
        foreach (var (key, value) in defaults) _values[key] = own.TryGetValue(key, out var v) ? v : value;
        (_owner, _index) = (owner, index);
    }

    /// <summary>Checks an optimizer's default for <paramref name="key"/>, with the message its constructor always gave
    /// (<c>Adam: beta1 must be in [0, 1), got 1.5.</c>).</summary>
    /// <exception cref="ArgumentException">The value is out of range.</exception>
    internal static void CheckDefault(string optimizer, string key, double value)
    {
        if (Keys[key].Rule(value) is { } problem) Check.Fail(optimizer, $"{Keys[key].Name} {problem}", Keys[key].Name);
    }

    /// <summary>Checks a value loaded from a state dict for <paramref name="key"/>; null when it fits, else the problem.</summary>
    internal static string? CheckLoaded(string key, double value) =>
        Keys.TryGetValue(key, out var k) ? (k.Rule(value) is { } problem ? $"{k.Name} {problem}" : null) : $"{key} is not a hyper-parameter";

    /// <summary>Sets <paramref name="key"/> without a check (a value already checked, from a state dict).</summary>
    internal void SetChecked(string key, double value) => _values[key] = value;

    private double Get(string key)
    {
        if (_values.TryGetValue(key, out var v)) return v;
        if (_owner is null)
            Check.FailState("ParamGroup", $"{Keys[key].Name} is not set on this group; it takes the optimizer's value once the group is given to one.");
        Check.FailState(_owner.Name, $"group {_index} has no {Keys[key].Name}: {_owner.Name} does not use it (its hyper-parameters: " +
            $"{string.Join(", ", _values.Keys.Select(k => Keys[k].Name))}).");
        return 0;
    }

    private void Set(string key, double value)
    {
        if (_owner is null) { _values[key] = value; return; }        // checked when an optimizer adopts the group
        if (!_values.ContainsKey(key)) Get(key);                    // throws: the optimizer does not have it
        if (Keys[key].Rule(value) is { } problem) Check.Fail(_owner.Name, $"group {_index}'s {Keys[key].Name} {problem}", "value");
        _values[key] = value;
    }
}
