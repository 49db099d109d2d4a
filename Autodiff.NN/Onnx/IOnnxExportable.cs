namespace Autodiff.NN;

/// <summary>A custom module that writes its own ONNX nodes, so <see cref="Onnx.Export(Module, Tensor, string, int, bool, string, string)"/>
/// can export models built from it (a module whose <c>Forward</c> is arbitrary C# is otherwise refused).</summary>
/// <example><code>
/// sealed class Residual(Linear inner) : Module, IOnnxExportable
/// {
///     public override Tensor Forward(Tensor x) => x + inner.Forward(x);
///     public string ExportOnnx(OnnxExportContext context, string input, Tensor sample) =>
///         context.Node("Add", [input, context.Module(inner, input, sample).Output]);
/// }
///
/// // The same with the context's typed ops (PyTorch's semantics, shapes checked on the sample):
/// public string ExportOnnx(OnnxExportContext context, string input, Tensor sample)
/// {
///     var x = new OnnxValue(input, sample);
///     return context.Add(x, context.Module(inner, x)).Name;
/// }
/// </code></example>
public interface IOnnxExportable
{
    /// <summary>Adds this module's nodes reading the value <paramref name="input"/> and returns the name of its output value.</summary>
    /// <param name="context">Adds nodes, initializers and submodules to the graph being written.</param>
    /// <param name="input">The name of the value this module reads.</param>
    /// <param name="sample">A sample of that value (shapes, dtype), as traced through the model.</param>
    /// <returns>The name of the value holding this module's output.</returns>
    string ExportOnnx(OnnxExportContext context, string input, Tensor sample);
}

/// <summary>What an <see cref="IOnnxExportable"/> module uses to write its part of an ONNX graph.</summary>
public sealed partial class OnnxExportContext
{
    private readonly OnnxGraph _graph;
    private readonly OnnxExporter _exporter;
    private readonly Func<Tensor, string?> _stateName;

    internal OnnxExportContext(OnnxGraph graph, OnnxExporter exporter, Func<Tensor, string?> stateName, string scope) =>
        (_graph, _exporter, _stateName, Scope) = (graph, exporter, stateName, scope);

    /// <summary>The module's dotted name in the model (<c>h.0.attn</c>), used to name its nodes.</summary>
    public string Scope { get; }

    /// <summary>The element type of float values in the graph (Float32 or Float64), as the sample's.</summary>
    public DType FloatType { get; internal set; } = DType.Float32;

    /// <summary>Adds a default-domain ONNX node with one output and returns the output's name.</summary>
    /// <param name="opType">The ONNX op, e.g. <c>MatMul</c>.</param>
    /// <param name="inputs">The names of its input values (an empty string for an omitted optional input).</param>
    /// <param name="attributes">Attributes by name: <c>long</c>/<c>int</c>, <c>float</c>/<c>double</c>, <c>string</c>,
    /// <c>long[]</c>/<c>int[]</c> or <c>string[]</c>.</param>
    /// <exception cref="ArgumentException">An attribute value has another type.</exception>
    public string Node(string opType, IReadOnlyList<string> inputs, IReadOnlyDictionary<string, object>? attributes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        var converted = (attributes ?? new Dictionary<string, object>()).Select(a => a.Value switch
        {
            long i => OnnxGraph.Int(a.Key, i),
            int i => OnnxGraph.Int(a.Key, i),
            float f => OnnxGraph.Float(a.Key, f),
            double f => OnnxGraph.Float(a.Key, f),
            string s => OnnxGraph.String(a.Key, s),
            long[] v => OnnxGraph.Ints(a.Key, v),
            int[] v => OnnxGraph.Ints(a.Key, [.. v.Select(i => (long)i)]),
            string[] v => OnnxGraph.Strings(a.Key, v),
            _ => throw new ArgumentException($"Onnx.Export: attribute '{a.Key}' of {opType} has type {a.Value?.GetType().Name ?? "null"}; " +
                "use long, int, float, double, string, long[], int[] or string[].", nameof(attributes)),
        }).ToArray();
        return _graph.Node(opType, Scope, [.. inputs], converted);
    }

    /// <summary>The initializer holding a parameter or buffer of the model, named by its state-dict key; a tensor that is
    /// neither (a constant table) is stored under a fresh name.</summary>
    public string Initializer(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return _stateName(tensor) is { } name ? _graph.Initializer(name, tensor)
            : _graph.Initializer(_graph.FreshName(Scope.Length == 0 ? "constant" : Scope + "/constant"), tensor);
    }

    /// <summary>An Int64 constant (a shape, axes or indices) of the given shape (default: a vector).</summary>
    public string Int64Constant(long[] values, long[]? shape = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        return _graph.Int64Constant(Scope.Length == 0 ? "constant" : Scope + "/constant", values, shape);
    }

    /// <summary>A scalar constant of <see cref="FloatType"/>.</summary>
    public string ScalarConstant(double value) =>
        _graph.ScalarConstant(Scope.Length == 0 ? "scalar" : Scope + "/scalar", value, FloatType);

    /// <summary>Exports a submodule reading <paramref name="input"/>; see <see cref="Module(Autodiff.NN.Module, string, Tensor)"/>.</summary>
    /// <returns>The submodule's output.</returns>
    public OnnxValue Module(Module module, OnnxValue input)
    {
        var (output, sample) = Module(module, input.Name, input.Sample);
        return new(output, sample);
    }

    /// <summary>Exports a submodule (any module <see cref="Onnx"/> supports, or another <see cref="IOnnxExportable"/>) reading
    /// <paramref name="input"/>, and returns its output's name and a sample of it.</summary>
    public (string Output, Tensor Sample) Module(Module module, string input, Tensor sample)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(sample);
        return _exporter.Emit(module, input, sample);
    }
}
