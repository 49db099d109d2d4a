using Autodiff.NN.OnnxProto;
using Google.Protobuf;

namespace Autodiff.NN;

/// <summary>A model loaded from an ONNX file by <see cref="Onnx.Import(string)"/>: its graph runs on Autodiff ops, so it
/// trains like any module, and <see cref="Onnx.Export(Module, Tensor, string, int, bool, string, string)"/> writes it back.</summary>
/// <remarks>Float initializers become parameters named after them: a dotted name (<c>0.weight</c>) is registered on nested
/// containers, so <see cref="Module.StateDict"/> keys are the initializer names (a file from <c>torch.onnx.export</c> also
/// has folded ones such as <c>onnx::LSTM_104</c>). The running mean and variance read by a BatchNormalization node become
/// buffers, as does a float initializer read only where no gradient flows (by Equal/Less/Greater, Shape, or as Where's
/// condition: a mask PyTorch registered as a buffer). Integer initializers (shapes), scalars, and names containing
/// <c>/</c> (constants the exporter generates) stay constants, neither trained nor saved. In training mode a
/// BatchNormalization node normalizes with the batch's statistics and updates the running ones, as
/// <see cref="BatchNorm2d"/> does, and a Dropout node drops.</remarks>
/// <example><code>
/// var model = Onnx.Import("mlp.onnx");
/// var optimizer = new Adam(model.Parameters(), 1e-3);   // fine-tune here, then Onnx.Export(model, sample, "tuned.onnx")
/// </code></example>
public sealed class OnnxModule : Module
{
    [NotRegistered] private readonly NodeProto[] _nodes;
    [NotRegistered] private readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);       // parameters and buffers
    [NotRegistered] private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);

    internal OnnxModule(ModelProto model)
    {
        var graph = model.Graph ?? throw new InvalidDataException("Onnx.Import: the file has no graph.");
        int opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => (int)o.Version).DefaultIfEmpty(0).Max();
        if (opset < 13) throw new NotSupportedException($"Onnx.Import: the model uses opset {opset}; only opset 13 and later are imported.");
        Opset = opset;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count == 0 || graph.Output.Count == 0)
            throw new NotSupportedException($"Onnx.Import: the graph has {inputs.Count} inputs and {graph.Output.Count} outputs; at least one of each is imported.");
        InputNames = [.. inputs.Select(i => i.Name)];
        OutputNames = [.. graph.Output.Select(o => o.Name)];
        _nodes = [.. graph.Node];

        var buffers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in _nodes)
        {
            OnnxOps.CheckSupported(node);
            if (node.OpType == "BatchNormalization" && node.Input.Count == 5) { buffers.Add(node.Input[3]); buffers.Add(node.Input[4]); }
        }
        // A float initializer only compared or measured (a causal mask read by Equal, as PyTorch's registered buffers
        // export) gets no gradient: a buffer, saved but not trained.
        var uses = _nodes.SelectMany(n => n.Input.Select((name, i) => (Name: name, Differentiable: !OnnxOps.IsNonDifferentiableInput(n.OpType, i))))
            .ToLookup(u => u.Name, u => u.Differentiable, StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
            if (uses.Contains(t.Name) && !uses[t.Name].Any(d => d)) buffers.Add(t.Name);
        foreach (var t in graph.Initializer)
        {
            var value = OnnxOps.ToTensor(t);
            bool isState = value.IsFloatingPoint && value.Rank > 0 && !t.Name.Contains('/') && t.Name.Split('.').All(p => p.Length > 0);
            if (!isState) { _constants[t.Name] = value; continue; }
            var parts = t.Name.Split('.');
            Module owner = this;
            for (int i = 0; i < parts.Length - 1; i++) owner = Child(owner, parts[i]);
            Register(owner, parts[^1], value, buffers.Contains(t.Name));
            _state[t.Name] = value;
        }
    }

    /// <summary>The name of the graph's (first) input.</summary>
    public string InputName => InputNames[0];

    /// <summary>The name of the graph's (first) output.</summary>
    public string OutputName => OutputNames[0];

    /// <summary>The names of the graph's inputs (initializers excluded), in the file's order: the keys
    /// <see cref="Run"/> takes.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The names of the graph's outputs, in the file's order: the keys <see cref="Run"/> returns.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>The default-domain opset the file was written for.</summary>
    public int Opset { get; }

    /// <summary>The ONNX op types of the graph's nodes, in execution order.</summary>
    public IReadOnlyList<string> OpTypes => [.. _nodes.Select(n => n.OpType)];

    /// <summary>Runs the graph's nodes in order on <paramref name="input"/>, for a graph with one input and one output
    /// (for several, see <see cref="Run"/>).</summary>
    /// <exception cref="ArgumentException">An op rejected the input (the message names the op and shapes).</exception>
    /// <exception cref="InvalidOperationException">The graph has several inputs or outputs.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (InputNames.Count != 1 || OutputNames.Count != 1)
            Check.FailState("OnnxModule.Forward", $"the graph takes inputs [{string.Join(", ", InputNames)}] and gives outputs " +
                $"[{string.Join(", ", OutputNames)}]; call Run with the inputs by name, which returns every output by name.");
        return Evaluate(new Dictionary<string, Tensor>(StringComparer.Ordinal) { [InputName] = input })[OutputName];
    }

    /// <summary>Runs the graph on its inputs by name and returns every output by name, as ONNX Runtime's
    /// <c>InferenceSession.Run</c> does (a masked attention export: <c>{"query", "attnMask"}</c> in,
    /// <c>{"output", "attn_weights"}</c> out). The outputs are on the tape: a loss built from them trains the module.</summary>
    /// <param name="inputs">One tensor for each name in <see cref="InputNames"/>, and no other.</param>
    /// <returns>One tensor for each name in <see cref="OutputNames"/>, in that order.</returns>
    /// <exception cref="ArgumentException">An input is missing or unknown (the message lists the graph's inputs), or an op
    /// rejected one (the message names the op and shapes).</exception>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        string expected = $"the graph takes [{string.Join(", ", InputNames)}]";
        foreach (var name in InputNames)
            if (!inputs.TryGetValue(name, out var t) || t is null) Check.Fail("OnnxModule.Run", $"input '{name}' is missing: {expected}.", nameof(inputs));
        foreach (var name in inputs.Keys)
            if (!InputNames.Contains(name)) Check.Fail("OnnxModule.Run", $"there is no input '{name}': {expected}.", nameof(inputs));
        var values = Evaluate(new Dictionary<string, Tensor>(inputs, StringComparer.Ordinal));
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in OutputNames) result[name] = values[name];
        return result;
    }

    /// <summary>Runs the nodes in order over <paramref name="values"/> (the inputs by name), which then holds every value.</summary>
    private Dictionary<string, Tensor> Evaluate(Dictionary<string, Tensor> values)
    {
        foreach (var node in _nodes)
        {
            var outputs = OnnxOps.Run(node, Value, Training);
            for (int i = 0; i < node.Output.Count && i < outputs.Length; i++)
                if (node.Output[i].Length > 0) values[node.Output[i]] = outputs[i];
        }
        return values;

        Tensor Value(string name) => values.TryGetValue(name, out var v) ? v : _state.TryGetValue(name, out var s) ? s
            : _constants.TryGetValue(name, out var c) ? c
            : throw new InvalidDataException($"Onnx.Import: the graph reads '{name}' before any node writes it (nodes out of order, or a missing initializer).");
    }

    /// <inheritdoc/>
    public override string Describe() => $"OnnxModule(opset: {Opset}, nodes: {_nodes.Length}, ops: {string.Join(", ", _nodes.Select(n => n.OpType).Distinct())})";

    /// <summary>Copies this graph's nodes into <paramref name="graph"/> reading <paramref name="x"/>; the state comes from
    /// the module's current tensors (so fine-tuning is exported), named by <paramref name="stateName"/>.</summary>
    internal string EmitInto(OnnxGraph graph, string scope, string x, Func<Tensor, string> stateName) =>
        EmitInto(graph, scope, new Dictionary<string, string>(StringComparer.Ordinal) { [InputName] = x }, stateName)[0];

    /// <summary>As <see cref="EmitInto(OnnxGraph, string, string, Func{Tensor, string})"/>, reading each graph input from
    /// the value <paramref name="inputs"/> maps its name to; returns the outputs' value names in
    /// <see cref="OutputNames"/> order.</summary>
    internal IReadOnlyList<string> EmitInto(OnnxGraph graph, string scope, IReadOnlyDictionary<string, string> inputs, Func<Tensor, string> stateName)
    {
        var renamed = new Dictionary<string, string>(inputs, StringComparer.Ordinal);
        string Resolve(string name)
        {
            if (name.Length == 0) return name;                                             // an omitted optional input
            if (renamed.TryGetValue(name, out var r)) return r;
            r = _state.TryGetValue(name, out var s) ? graph.Initializer(stateName(s), s)
                : graph.Initializer(graph.FreshName(scope.Length == 0 ? name : $"{scope}/{name}"), _constants[name]);
            renamed[name] = r;
            return r;
        }
        foreach (var node in _nodes)
        {
            var copy = new NodeProto { OpType = node.OpType, Domain = node.Domain, Name = graph.FreshName($"{scope}/{node.OpType}_node") };
            copy.Input.AddRange(node.Input.Select(Resolve));
            copy.Attribute.AddRange(node.Attribute.Select(a => a.Clone()));
            foreach (var name in node.Output)
            {
                if (name.Length == 0) { copy.Output.Add(name); continue; }                   // an omitted optional output
                var output = graph.FreshName(scope.Length == 0 ? name : $"{scope}/{name}");
                renamed[name] = output;
                copy.Output.Add(output);
            }
            graph.Proto.Node.Add(copy);
        }
        return [.. OutputNames.Select(name => renamed[name])];
    }

    private static Module Child(Module owner, string name)
    {
        foreach (var (n, m) in owner.NamedChildren()) if (n == name) return m;
        var child = new OnnxParameterGroup();
        switch (owner)
        {
            case OnnxModule root: root.RegisterModule(name, child); break;
            case OnnxParameterGroup group: group.AddChild(name, child); break;
        }
        return child;
    }

    private static void Register(Module owner, string name, Tensor value, bool buffer)
    {
        switch (owner)
        {
            case OnnxModule root when buffer: root.RegisterBuffer(name, value); break;
            case OnnxModule root: root.RegisterParameter(name, value); break;
            case OnnxParameterGroup group: group.Add(name, value, buffer); break;
        }
    }
}

/// <summary>Holds the parameters of one dotted prefix of an <see cref="OnnxModule"/> (<c>0</c> for <c>0.weight</c>).</summary>
internal sealed class OnnxParameterGroup : Module
{
    public void Add(string name, Tensor value, bool buffer)
    {
        if (buffer) RegisterBuffer(name, value);
        else RegisterParameter(name, value);
    }

    public void AddChild(string name, OnnxParameterGroup child) => RegisterModule(name, child);

    public override Tensor Forward(Tensor input) =>
        throw new NotSupportedException("OnnxParameterGroup: holds an imported model's parameters; call the OnnxModule instead.");

    public override string Describe() => "OnnxParameters()";
}
