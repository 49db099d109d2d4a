using Autodiff.NN.OnnxProto;
using Google.Protobuf;
using static Autodiff.NN.OnnxGraph;

namespace Autodiff.NN;

/// <summary>Writes models as ONNX files, for ONNX Runtime, ML.NET and every other ONNX consumer. Same role as
/// <c>torch.onnx.export</c>.</summary>
/// <remarks>The graph is built module by module from a <see cref="Sequential"/> tree (or a single layer), running each
/// module's forward on the sample input to learn the shapes in between. Parameters and buffers become initializers named
/// after their state-dict keys (<c>0.weight</c>, <c>3.running_mean</c>), so the file reads like the model. Supported
/// modules: Linear (Gemm; MatMul + Add above rank 2), Conv2d (Conv, with stride, padding, dilation, groups), MaxPool2d,
/// AvgPool2d (no ceilMode or divisorOverride), AdaptiveAvgPool2d (global, or output sizes dividing the input),
/// BatchNorm1d/2d (eval: running statistics), LayerNorm (LayerNormalization), Embedding (Gather), Dropout/Dropout2d (eval:
/// nothing), Flatten/Unflatten (Reshape), ReLU, Sigmoid, Tanh, LeakyReLU, GELU (exact or tanh, composed from Erf/Tanh),
/// SiLU, Mish, Softmax, LogSoftmax, RNN/LSTM/GRU (ONNX's RNN/LSTM/GRU ops, one per layer, PyTorch's gate order mapped;
/// batched input), MultiheadAttention (self- or cross-attention, kdim/vdim, attnMask/keyPaddingMask Bool or float, isCausal,
/// the weights as a second output), TransformerEncoderLayer and TransformerEncoder (pre- or post-norm, ReLU or GELU, with
/// masks), TransformerDecoderLayer (as the model: tgt and memory inputs), an <see cref="OnnxModule"/> (its graph, with its
/// current weights), and modules implementing <see cref="IOnnxExportable"/>. Any other module is refused with a
/// <see cref="NotSupportedException"/> naming it and its path — a graph is never silently different from the model.
/// A forward taking masks or a second input is exported with <see cref="OnnxArguments"/> (masks as graph inputs or
/// constants); <c>dynamicAxes</c> makes any input dimension symbolic (a sequence length, an image size), and nothing in
/// the graph then bakes the traced size: reshapes copy or read their sizes (Shape), a causal mask is built for the lengths
/// in the graph.</remarks>
/// <example><code>
/// var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
/// Onnx.Export(model, Tensor.Randn(1, 784), "mlp.onnx");       // input "input" [batch, 784], output "output" [batch, 10]
///
/// var lstm = new Sequential(new LSTM(32, 64, batchFirst: true), new Linear(64, 10));
/// Onnx.Export(lstm, new OnnxArguments().Input("input", Tensor.Randn(1, 20, 32)), "lstm.onnx",
///     dynamicAxes: new Dictionary&lt;string, IReadOnlyDictionary&lt;int, string&gt;&gt; { ["input"] = new Dictionary&lt;int, string&gt; { [0] = "batch", [1] = "seq" } });
/// </code></example>
public static class Onnx
{
    /// <summary>Loads an ONNX file into a trainable <see cref="OnnxModule"/>: the graph runs on Autodiff ops, float
    /// initializers become parameters named after them.</summary>
    /// <remarks>Imports what <see cref="Export(Module, Tensor, string, int, bool, string, string)"/> writes and what
    /// <c>torch.onnx.export</c> writes for the same layers (opset 13 or later; one input and one output run through Forward, several through <see cref="OnnxModule.Run"/>): Gemm, MatMul,
    /// Add/Sub/Mul/Div, Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, LayerNormalization, RNN, LSTM
    /// and GRU (on the recurrent layer ops; layout 0 or 1, forward, reverse or bidirectional, initial states,
    /// sequence_lens; not clip, peepholes or non-default activations), the activations (Relu, Sigmoid, Tanh, LeakyRelu,
    /// Erf, Gelu, Softplus, Softmax, LogSoftmax, Clip, Elu, PRelu, HardSigmoid, HardSwish), Neg, Exp, Log, Abs, Sqrt,
    /// Reciprocal, Pow (a single exponent), the shape and indexing nodes (Transpose, Reshape, Flatten, Concat, Split,
    /// Slice with positive steps, Unsqueeze, Squeeze, Shape, Gather on any axis, Expand, Constant, ConstantOfShape, Range,
    /// Trilu, Cast), Equal, Less, Greater, Not, Where, ReduceMean/Sum/Max/Min, Dropout and Identity. Shapes computed in
    /// the graph (Shape → Gather → Concat → Reshape) are evaluated when it runs. Any other node is refused when the file
    /// is loaded, with a <see cref="NotSupportedException"/> naming the node and its op (an unsupported attribute: the
    /// node and the attribute).</remarks>
    /// <param name="path">The .onnx file.</param>
    /// <exception cref="NotSupportedException">A node, attribute or initializer type is outside the imported subset; the message names it.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model.</exception>
    public static OnnxModule Import(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Import(File.ReadAllBytes(path));
    }

    /// <summary>Loads an ONNX model from its bytes; see <see cref="Import(string)"/>.</summary>
    /// <param name="model">The serialized <c>ModelProto</c>.</param>
    /// <exception cref="NotSupportedException">A node, attribute or initializer type is outside the imported subset; the message names it.</exception>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    public static OnnxModule Import(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"Onnx.Import: not an ONNX model ({e.Message})", e);
        }
        return new OnnxModule(proto);
    }

    /// <summary>The producer name written into exported files.</summary>
    public const string ProducerName = "Autodiff";

    /// <summary>Exports <paramref name="model"/> to an ONNX file at <paramref name="path"/>, traced on
    /// <paramref name="sampleInput"/>. Same as <c>torch.onnx.export(model, sample, path, opset_version=17,
    /// dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})</c>.</summary>
    /// <param name="model">The model: a <see cref="Sequential"/> of supported modules, or one supported module. It is
    /// exported in eval mode (Dropout off, BatchNorm on running statistics), and its own mode is restored afterwards.</param>
    /// <param name="sampleInput">An input the model accepts, e.g. <c>[1, 784]</c>; its dtype and its shape (apart from the
    /// batch dimension when <paramref name="dynamicBatch"/>) become the graph input's.</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="opset">The ONNX opset to target; 17 (LayerNormalization's first) or later.</param>
    /// <param name="dynamicBatch">True (the default): dimension 0 of the input and output is the symbolic <c>batch</c>, so
    /// the file runs at any batch size. False: every dimension is fixed to the sample's.</param>
    /// <param name="inputName">The graph input's name.</param>
    /// <param name="outputName">The graph output's name.</param>
    /// <exception cref="NotSupportedException">A module has no ONNX mapping here; the message names it and its path in the model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The opset is below 17.</exception>
    public static void Export(Module model, Tensor sampleInput, string path, int opset = 17, bool dynamicBatch = true,
        string inputName = "input", string outputName = "output")
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = ExportToBytes(model, sampleInput, opset, dynamicBatch, inputName, outputName);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Exports <paramref name="model"/> as the bytes of an ONNX file; see
    /// <see cref="Export(Module, Tensor, string, int, bool, string, string)"/>.</summary>
    /// <param name="model">The model, as for <see cref="Export(Module, Tensor, string, int, bool, string, string)"/>.</param>
    /// <param name="sampleInput">An input the model accepts.</param>
    /// <param name="opset">The ONNX opset to target; 17 or later.</param>
    /// <param name="dynamicBatch">Whether dimension 0 of the input and output is the symbolic <c>batch</c>.</param>
    /// <param name="inputName">The graph input's name.</param>
    /// <param name="outputName">The graph output's name.</param>
    /// <returns>The serialized <c>ModelProto</c>, ready for <c>new InferenceSession(bytes)</c>.</returns>
    /// <exception cref="NotSupportedException">A module has no ONNX mapping here; the message names it and its path in the model.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The opset is below 17.</exception>
    public static byte[] ExportToBytes(Module model, Tensor sampleInput, int opset = 17, bool dynamicBatch = true,
        string inputName = "input", string outputName = "output")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleInput);
        ArgumentException.ThrowIfNullOrEmpty(inputName);
        ArgumentException.ThrowIfNullOrEmpty(outputName);
        if (dynamicBatch && sampleInput.Rank == 0)
            throw new ArgumentException("Onnx.Export: a dynamic batch axis needs a sample input of rank 1 or more, got a scalar.", nameof(sampleInput));
        var arguments = new OnnxArguments().Input(inputName, sampleInput).Outputs(outputName);
        var axes = new Dictionary<string, IReadOnlyDictionary<int, string>>();
        if (dynamicBatch) axes[inputName] = new Dictionary<int, string> { [0] = "batch" };
        return Build(model, arguments, opset, axes, batchOutputs: dynamicBatch);
    }

    /// <summary>Exports <paramref name="model"/>, called with several arguments (masks, a decoder's memory, flags), to an
    /// ONNX file at <paramref name="path"/>. Same as <c>torch.onnx.export(model, args, path, input_names=...,
    /// dynamic_axes=...)</c>.</summary>
    /// <param name="model">The model, as for <see cref="Export(Module, Tensor, string, int, bool, string, string)"/>, or a
    /// module whose forward takes several tensors (see <see cref="OnnxArguments"/>).</param>
    /// <param name="arguments">The forward's arguments by name: graph inputs, constants and flags.</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="opset">The ONNX opset to target; 17 or later.</param>
    /// <param name="dynamicAxes">Symbolic dimensions by input or output name: <c>{"src": {0: "batch", 1: "length"}}</c>.
    /// Every other input dimension is fixed to the sample's; an output not named here has unknown dimensions when any axis
    /// is dynamic. Null: every dimension fixed.</param>
    /// <exception cref="NotSupportedException">A module has no ONNX mapping here; the message names it and its path in the model.</exception>
    /// <exception cref="ArgumentException">An argument the forward does not take, a missing one, or a dynamic axis naming
    /// no input or output, or beyond its rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The opset is below 17.</exception>
    public static void Export(Module model, OnnxArguments arguments, string path, int opset = 17,
        IReadOnlyDictionary<string, IReadOnlyDictionary<int, string>>? dynamicAxes = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllBytes(path, ExportToBytes(model, arguments, opset, dynamicAxes));
    }

    /// <summary>Exports <paramref name="model"/>, called with several arguments, as the bytes of an ONNX file; see
    /// <see cref="Export(Module, OnnxArguments, string, int, IReadOnlyDictionary{string, IReadOnlyDictionary{int, string}})"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="arguments">The forward's arguments by name: graph inputs, constants and flags.</param>
    /// <param name="opset">The ONNX opset to target; 17 or later.</param>
    /// <param name="dynamicAxes">Symbolic dimensions by input or output name; null for none.</param>
    /// <returns>The serialized <c>ModelProto</c>.</returns>
    /// <exception cref="NotSupportedException">A module has no ONNX mapping here; the message names it and its path in the model.</exception>
    /// <exception cref="ArgumentException">An argument the forward does not take, a missing one, or a dynamic axis naming
    /// no input or output, or beyond its rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The opset is below 17.</exception>
    public static byte[] ExportToBytes(Module model, OnnxArguments arguments, int opset = 17,
        IReadOnlyDictionary<string, IReadOnlyDictionary<int, string>>? dynamicAxes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(arguments);
        return Build(model, arguments, opset, dynamicAxes ?? new Dictionary<string, IReadOnlyDictionary<int, string>>(), batchOutputs: false);
    }

    private static byte[] Build(Module model, OnnxArguments arguments, int opset, IReadOnlyDictionary<string, IReadOnlyDictionary<int, string>> dynamicAxes,
        bool batchOutputs)
    {
        if (opset < 17) throw new ArgumentOutOfRangeException(nameof(opset), opset, "Onnx.Export: opset must be 17 or later.");
        if (!arguments.Tensors.Any(t => t.IsInput)) throw new ArgumentException("Onnx.Export: the arguments have no graph input.", nameof(arguments));
        foreach (var (name, axes) in dynamicAxes)
        {
            ArgumentNullException.ThrowIfNull(axes, $"dynamicAxes[{name}]");
            var input = arguments.Tensors.FirstOrDefault(t => t.Name == name);
            if (input.Tensor is not null && !input.IsInput)
                throw new ArgumentException($"Onnx.Export: dynamicAxes names '{name}', a constant; only graph inputs and outputs have dynamic axes.", nameof(dynamicAxes));
            if (input.Tensor is { } sample && axes.Keys.Where(d => d < 0 || d >= sample.Rank).Cast<int?>().FirstOrDefault() is int bad)
                throw new ArgumentException($"Onnx.Export: dynamicAxes gives '{name}' axis {bad}, but its sample {sample.Shape} has rank {sample.Rank}.", nameof(dynamicAxes));
        }
        // Only dimension 0 dynamic (or nothing): reshapes keep their constant targets (0 copies the batch); any other dynamic
        // axis makes every reshape read its sizes from the graph (Shape).
        var inputAxes = dynamicAxes.Where(a => arguments.Tensors.Any(t => t.Name == a.Key)).Select(a => a.Value).ToList();
        bool dynamicBatch = inputAxes.Any(a => a.Count > 0), dynamicShapes = inputAxes.Any(a => a.Keys.Any(d => d != 0));

        var modes = model.NamedModules().Select(m => (m.Module, m.Module.Training)).ToList();
        model.Eval();
        try
        {
            var graph = new OnnxGraph();
            var stateNames = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
            foreach (var (name, p) in model.NamedParameters()) stateNames.TryAdd(p, name);
            foreach (var (name, b) in model.NamedBuffers()) stateNames.TryAdd(b, name);
            var moduleNames = new Dictionary<Module, string>(ReferenceEqualityComparer.Instance);
            foreach (var (name, m) in model.NamedModules()) moduleNames.TryAdd(m, name);

            foreach (var (name, _, _) in arguments.Tensors) graph.FreshName(name);
            string[] defaultOutputs = model is OnnxModule { OutputNames.Count: > 1 } imported ? [.. imported.OutputNames] : ["output", "attn_weights"];
            foreach (var name in arguments.OutputNames ?? defaultOutputs) graph.FreshName(name);
            var exporter = new OnnxExporter(graph, stateNames, moduleNames, dynamicBatch) { Opset = opset, DynamicShapes = dynamicShapes };
            var values = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
            foreach (var (name, tensor, isInput) in arguments.Tensors)
                values[name] = new OnnxValue(isInput ? name : graph.Initializer(name, tensor), tensor);
            IReadOnlyList<OnnxValue> results;
            using (Tape.NoGrad()) results = exporter.EmitCall(model, values, arguments.Flags);

            var outputNames = arguments.OutputNames ?? (results.Count == 1 ? ["output"] : defaultOutputs);
            if (outputNames.Length != results.Count)
                throw new ArgumentException($"Onnx.Export: {outputNames.Length} output names [{string.Join(", ", outputNames)}] for the model's {results.Count} outputs.", nameof(arguments));
            foreach (var name in dynamicAxes.Keys)
                if (!values.ContainsKey(name) && !outputNames.Contains(name))
                    throw new ArgumentException($"Onnx.Export: dynamicAxes names '{name}', which is neither an input [{string.Join(", ", arguments.InputNames)}] " +
                        $"nor an output [{string.Join(", ", outputNames)}].", nameof(dynamicAxes));
            for (int i = 0; i < results.Count; i++)
            {
                var outputNode = new NodeProto { OpType = "Identity", Name = graph.FreshName(outputNames[i] + "_node") };
                outputNode.Input.Add(results[i].Name);
                outputNode.Output.Add(outputNames[i]);
                graph.Proto.Node.Add(outputNode);
            }

            foreach (var (name, tensor, isInput) in arguments.Tensors)
                if (isInput) graph.Proto.Input.Add(ValueInfo(name, tensor.DType, tensor.Shape, dynamicAxes.GetValueOrDefault(name), unknownRest: false));
            for (int i = 0; i < results.Count; i++)
            {
                var shape = results[i].Sample.Shape;
                var axes = dynamicAxes.GetValueOrDefault(outputNames[i]);
                if (axes is not null && axes.Keys.Where(d => d < 0 || d >= shape.Rank).Cast<int?>().FirstOrDefault() is int bad)
                    throw new ArgumentException($"Onnx.Export: dynamicAxes gives output '{outputNames[i]}' axis {bad}, but it is {shape} (rank {shape.Rank}).", nameof(dynamicAxes));
                if (axes is null && batchOutputs && shape.Rank > 0) axes = new Dictionary<int, string> { [0] = "batch" };
                graph.Proto.Output.Add(ValueInfo(outputNames[i], results[i].Sample.DType, shape, axes, unknownRest: axes is null && dynamicAxes.Count > 0 && !batchOutputs));
            }

            var proto = new ModelProto
            {
                IrVersion = 8,                                                       // the IR of opset 17 (ONNX 1.12)
                ProducerName = ProducerName,
                ProducerVersion = typeof(Onnx).Assembly.GetName().Version?.ToString() ?? "",
                Graph = graph.Proto,
            };
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
            return proto.ToByteArray();
        }
        finally
        {
            foreach (var (module, training) in modes) module.Train(training);      // pre-order: a parent, then its children
        }
    }
}
