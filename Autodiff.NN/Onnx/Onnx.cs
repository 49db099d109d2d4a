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
/// batched input), MultiheadAttention as self-attention (<c>Forward(x)</c>: no masks, equal kdim/vdim), TransformerEncoderLayer and
/// TransformerEncoder (pre- or post-norm, ReLU or GELU), and an <see cref="OnnxModule"/> (its graph, with its current weights). Any other module is refused with a <see cref="NotSupportedException"/> naming it
/// — a graph is never silently different from the model.</remarks>
/// <example><code>
/// var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
/// Onnx.Export(model, Tensor.Randn(1, 784), "mlp.onnx");       // input "input" [batch, 784], output "output" [batch, 10]
/// </code></example>
public static class Onnx
{
    /// <summary>Loads an ONNX file into a trainable <see cref="OnnxModule"/>: the graph runs on Autodiff ops, float
    /// initializers become parameters named after them.</summary>
    /// <remarks>Imports what <see cref="Export(Module, Tensor, string, int, bool, string, string)"/> writes and what
    /// <c>torch.onnx.export</c> writes for the same layers (opset 13 or later, one input, one output): Gemm, MatMul,
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
        if (opset < 17) throw new ArgumentOutOfRangeException(nameof(opset), opset, "Onnx.Export: opset must be 17 or later.");
        if (dynamicBatch && sampleInput.Rank == 0)
            throw new ArgumentException("Onnx.Export: a dynamic batch axis needs a sample input of rank 1 or more, got a scalar.", nameof(sampleInput));

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

            graph.FreshName(inputName);
            graph.FreshName(outputName);
            Tensor last;
            string value;
            using (Tape.NoGrad())
                (value, last) = new OnnxExporter(graph, stateNames, moduleNames, dynamicBatch).Emit(model, inputName, sampleInput);
            var outputNode = new NodeProto { OpType = "Identity", Name = graph.FreshName("output_node") };
            outputNode.Input.Add(value);
            outputNode.Output.Add(outputName);
            graph.Proto.Node.Add(outputNode);

            string? batch = dynamicBatch ? "batch" : null;
            graph.Proto.Input.Add(ValueInfo(inputName, sampleInput.DType, sampleInput.Shape, batch));
            graph.Proto.Output.Add(ValueInfo(outputName, last.DType, last.Shape, last.Rank == 0 ? null : batch));

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
