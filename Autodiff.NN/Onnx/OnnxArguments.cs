namespace Autodiff.NN;

/// <summary>The arguments a model is exported with when its forward takes more than one tensor: graph inputs, tensors
/// fixed at export time and bool flags, each named after the forward's parameter. Same role as the <c>args</c> tuple,
/// <c>kwargs</c> and <c>input_names</c> of <c>torch.onnx.export</c>.</summary>
/// <remarks>
/// <para>An <see cref="Input"/> becomes a graph input of that name (a mask that changes per call, the decoder's
/// <c>memory</c>); a <see cref="Constant"/> is written into the file as an initializer (a mask fixed at export time); a
/// <see cref="Flag"/> is a bool argument such as <c>isCausal</c> or <c>needWeights</c>, fixed in the graph as PyTorch
/// fixes Python values while tracing.</para>
/// <para>The names are those of the module's forward (C# casing): <see cref="MultiheadAttention"/> takes <c>query</c>,
/// <c>key</c>, <c>value</c>, <c>keyPaddingMask</c>, <c>attnMask</c>, <c>needWeights</c>, <c>averageAttnWeights</c>,
/// <c>isCausal</c>; <see cref="TransformerEncoderLayer"/> <c>src</c>, <c>srcMask</c>, <c>srcKeyPaddingMask</c>,
/// <c>isCausal</c>; <see cref="TransformerEncoder"/> <c>src</c>, <c>mask</c>, <c>srcKeyPaddingMask</c>, <c>isCausal</c>;
/// <see cref="TransformerDecoderLayer"/> <c>tgt</c>, <c>memory</c>, <c>tgtMask</c>, <c>memoryMask</c>,
/// <c>tgtKeyPaddingMask</c>, <c>memoryKeyPaddingMask</c>, <c>tgtIsCausal</c>, <c>memoryIsCausal</c>. Any other module
/// takes one input, under any name. An unknown name is refused, listing the known ones.</para>
/// <para>Why arguments rather than one sample: masks are forward arguments, not module state, so they reach the graph
/// the way they reach <c>Forward</c>; and a mask that varies per call (padding) must be a graph input, while one fixed
/// at export time (a fixed attention pattern) is cheaper as a constant — the caller says which.</para>
/// </remarks>
/// <example><code>
/// var args = new OnnxArguments().Input("tgt", tgt).Input("memory", memory)
///     .Input("memoryKeyPaddingMask", padding).Flag("tgtIsCausal", true);
/// Onnx.Export(decoderLayer, args, "decoder.onnx", dynamicAxes: new Dictionary&lt;string, IReadOnlyDictionary&lt;int, string&gt;&gt;
/// {
///     ["tgt"] = new Dictionary&lt;int, string&gt; { [0] = "batch", [1] = "tgt_len" },
///     ["memory"] = new Dictionary&lt;int, string&gt; { [0] = "batch", [1] = "src_len" },
///     ["memoryKeyPaddingMask"] = new Dictionary&lt;int, string&gt; { [0] = "batch", [1] = "src_len" },
///     ["output"] = new Dictionary&lt;int, string&gt; { [0] = "batch", [1] = "tgt_len" },
/// });
/// </code></example>
public sealed class OnnxArguments
{
    private readonly List<(string Name, Tensor Tensor, bool IsInput)> _tensors = [];
    private readonly Dictionary<string, bool> _flags = new(StringComparer.Ordinal);
    private string[]? _outputs;

    /// <summary>Adds a graph input named <paramref name="name"/>, traced on <paramref name="sample"/> (its dtype and shape
    /// become the input's; dimensions named in <c>dynamicAxes</c> are symbolic).</summary>
    /// <returns>These arguments, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is empty or already used.</exception>
    public OnnxArguments Input(string name, Tensor sample) => AddTensor(name, sample, isInput: true);

    /// <summary>Adds a tensor argument fixed at export time: its values are written into the file as an initializer.</summary>
    /// <returns>These arguments, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is empty or already used.</exception>
    public OnnxArguments Constant(string name, Tensor value) => AddTensor(name, value, isInput: false);

    /// <summary>Adds a bool argument (<c>isCausal</c>, <c>needWeights</c>, ...), fixed in the graph.</summary>
    /// <returns>These arguments, for chaining.</returns>
    /// <exception cref="ArgumentException">The name is empty or already used.</exception>
    public OnnxArguments Flag(string name, bool value)
    {
        CheckName(name);
        _flags[name] = value;
        return this;
    }

    /// <summary>Names the graph outputs, in the order the forward returns them (default: <c>output</c>, and
    /// <c>attn_weights</c> for a <see cref="MultiheadAttention"/> with <c>needWeights</c>).</summary>
    /// <returns>These arguments, for chaining.</returns>
    /// <exception cref="ArgumentException">No names, an empty name, or a name given twice.</exception>
    public OnnxArguments Outputs(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Length == 0 || names.Any(string.IsNullOrEmpty) || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new ArgumentException($"Onnx.Export: output names must be distinct and not empty, got [{string.Join(", ", names)}].", nameof(names));
        _outputs = (string[])names.Clone();
        return this;
    }

    /// <summary>The names of the graph inputs, in the order they were added.</summary>
    public IReadOnlyList<string> InputNames => [.. _tensors.Where(t => t.IsInput).Select(t => t.Name)];

    internal IReadOnlyList<(string Name, Tensor Tensor, bool IsInput)> Tensors => _tensors;

    internal IReadOnlyDictionary<string, bool> Flags => _flags;

    internal string[]? OutputNames => _outputs;

    private OnnxArguments AddTensor(string name, Tensor tensor, bool isInput)
    {
        CheckName(name);
        ArgumentNullException.ThrowIfNull(tensor);
        _tensors.Add((name, tensor, isInput));
        return this;
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_flags.ContainsKey(name) || _tensors.Any(t => t.Name == name))
            throw new ArgumentException($"Onnx.Export: argument '{name}' is given twice.", nameof(name));
    }
}
