using Autodiff.NN.OnnxProto;
using static Autodiff.NN.OnnxGraph;

namespace Autodiff.NN;

/// <summary>Turns a module tree into ONNX nodes, one module at a time, tracing shapes by running each module's forward on
/// the sample.</summary>
/// <remarks>Module-level rather than tape-level: a tape entry keeps the op's name, inputs and output but not its attributes
/// (stride, padding, eps, dims live in closures), and eval-mode Dropout records nothing at all; a module carries every
/// attribute as a property. Each module kind maps to ONNX nodes here; anything else (including a custom module whose
/// Forward is arbitrary C#) is refused by name, so a graph is never silently wrong.</remarks>
internal sealed partial class OnnxExporter(OnnxGraph graph, Dictionary<Tensor, string> stateNames, Dictionary<Module, string> moduleNames, bool dynamicBatch)
{
    /// <summary>The opset written (reductions take their axes as an attribute before 18, as an input from 18).</summary>
    public int Opset { get; init; } = 17;

    /// <summary>Whether a dimension other than 0 is dynamic: reshapes then read their sizes from the graph.</summary>
    public bool DynamicShapes { get; init; }

    /// <summary>Emits <paramref name="module"/>'s nodes reading value <paramref name="x"/> (whose sample is
    /// <paramref name="sample"/>), and returns the output value's name and its sample.</summary>
    public (string Name, Tensor Sample) Emit(Module module, string x, Tensor sample)
    {
        if (module is Sequential sequential)
        {
            foreach (var child in sequential) (x, sample) = Emit(child, x, sample);
            return (x, sample);
        }
        if (module is TransformerEncoderLayer encoderLayer) return EmitEncoderLayer(encoderLayer, x, sample);
        if (module is TransformerEncoder encoder)
        {
            foreach (var layer in encoder.Layers) (x, sample) = Emit(layer, x, sample);
            return encoder.Norm is { } norm ? Emit(norm, x, sample) : (x, sample);
        }
        if (module is TransformerDecoderLayer decoderLayer)
            throw Unsupported(decoderLayer, ScopeOf(decoderLayer), "needs the encoder's memory as a second input; export it as the model itself, " +
                "with OnnxArguments naming tgt and memory");
        var y = module.Forward(sample);
        string scope = ScopeOf(module);
        string output = module switch
        {
            Linear linear => EmitLinear(linear, scope, x, sample.Rank),
            MultiheadAttention attention => EmitAttention(attention, scope, new(x, sample), new(x, sample), new(x, sample), default).Output,
            ReLU => graph.Node("Relu", scope, [x]),
            Sigmoid => graph.Node("Sigmoid", scope, [x]),
            Tanh => graph.Node("Tanh", scope, [x]),
            LeakyReLU leaky => graph.Node("LeakyRelu", scope, [x], Float("alpha", leaky.NegativeSlope)),
            GELU gelu => EmitGelu(gelu, scope, x, sample.DType),
            SiLU => graph.Node("Mul", scope, [x, graph.Node("Sigmoid", scope, [x])]),
            Mish => graph.Node("Mul", scope, [x, graph.Node("Tanh", scope, [graph.Node("Softplus", scope, [x])])]),
            Softmax softmax => graph.Node("Softmax", scope, [x], Int("axis", softmax.Dim)),
            LogSoftmax logSoftmax => graph.Node("LogSoftmax", scope, [x], Int("axis", logSoftmax.Dim)),
            Flatten or Unflatten => EmitReshape(scope, x, sample.Shape, y.Shape, module),
            Dropout or Dropout2d => graph.Node("Identity", scope, [x]),                    // eval mode: the identity
            Conv2d conv => EmitConv(conv, scope, x),
            MaxPool2d pool => graph.Node("MaxPool", scope, [x],
                Ints("kernel_shape", pool.KernelSize.H, pool.KernelSize.W), Ints("strides", pool.Stride.H, pool.Stride.W),
                Ints("pads", pool.Padding.H, pool.Padding.W, pool.Padding.H, pool.Padding.W),
                Ints("dilations", pool.Dilation.H, pool.Dilation.W), Int("ceil_mode", pool.CeilMode ? 1 : 0)),
            AvgPool2d pool => EmitAvgPool(pool, scope, x),
            AdaptiveAvgPool2d pool => EmitAdaptiveAvgPool(pool, scope, x, sample.Shape),
            BatchNormBase norm => EmitBatchNorm(norm, scope, x, sample.DType),
            LayerNorm norm => EmitLayerNorm(norm, scope, x, sample.DType),
            Embedding embedding => EmitEmbedding(embedding, scope, x, sample.DType),
            RNNBase rnn => EmitRecurrent(rnn, scope, x, sample),
            IOnnxExportable custom => custom.ExportOnnx(new OnnxExportContext(graph, this, t => stateNames.TryGetValue(t, out var s) ? s : null, scope)
                { FloatType = sample.IsFloatingPoint ? sample.DType : DType.Float32 }, x, sample),
            OnnxModule imported => imported.EmitInto(graph, scope, x, t => stateNames[t]),
            _ => throw Unsupported(module, scope, "has no ONNX mapping"),
        };
        return (output, y);
    }

    internal string ScopeOf(Module module) => moduleNames.TryGetValue(module, out var n) ? n : module.GetType().Name;

    internal static NotSupportedException Unsupported(Module module, string scope, string why) =>
        new($"Onnx.Export: module '{(scope.Length == 0 ? "(root)" : scope)}' {module.Describe()} {why}; only Sequential models of " +
            "Linear, Conv2d, pooling, BatchNorm, LayerNorm, Embedding, Dropout, Flatten/Unflatten, RNN/LSTM/GRU, " +
            "MultiheadAttention, TransformerEncoder(Layer), TransformerDecoderLayer (as the model), imported ONNX modules, modules implementing IOnnxExportable " +
            "and the activation modules are exported.");

    private string State(Tensor tensor) => graph.Initializer(stateNames[tensor], tensor);

    private static int Dim(int dim, int rank) => dim < 0 ? dim + rank : dim;

    /// <summary>The Int64 sizes of dims [start, end) of <paramref name="x"/>, read in the graph (Shape with start/end, opset 15).</summary>
    internal string ShapeOf(string scope, string x, int start, int end) => graph.Node("Shape", scope, [x], Int("start", start), Int("end", end));

    /// <summary>A reduction over <paramref name="axes"/>: axes an attribute before opset 18 (ReduceSum: an input from 13).</summary>
    internal string Reduce(string op, string scope, string x, long[] axes, bool keepDims)
    {
        if (op == "ReduceSum" || Opset >= 18)
            return graph.Node(op, scope, [x, graph.Int64Constant(scope + "/axes", axes)], Int("keepdims", keepDims ? 1 : 0));
        return graph.Node(op, scope, [x], Ints("axes", axes), Int("keepdims", keepDims ? 1 : 0));
    }

    private string EmitLinear(Linear linear, string scope, string x, int rank)
    {
        if (rank == 2)                                                              // y = x Wᵀ + b in one node
            return graph.Node("Gemm", scope, linear.Bias is { } b ? [x, State(linear.Weight), State(b)] : [x, State(linear.Weight)],
                Int("transB", 1));
        var weightT = graph.Node("Transpose", scope, [State(linear.Weight)], Ints("perm", 1, 0));      // [in, out]
        var y = graph.Node("MatMul", scope, [x, weightT]);
        return linear.Bias is { } bias ? graph.Node("Add", scope, [y, State(bias)]) : y;
    }

    private string EmitGelu(GELU gelu, string scope, string x, DType dtype)
    {
        // Opset 17 has no Gelu op: y = x · 0.5 · (1 + erf(x / √2)), or with tanh: 1 + tanh(√(2/π) · (x + 0.044715 x³)).
        string inner;
        if (gelu.ApproximateTanh)
        {
            var cube = graph.Node("Mul", scope, [x, graph.Node("Mul", scope, [x, x])]);
            var poly = graph.Node("Add", scope, [x, graph.Node("Mul", scope, [cube, graph.ScalarConstant(scope + "/c", 0.044715, dtype)])]);
            inner = graph.Node("Tanh", scope, [graph.Node("Mul", scope, [poly, graph.ScalarConstant(scope + "/k", Math.Sqrt(2 / Math.PI), dtype)])]);
        }
        else
            inner = graph.Node("Erf", scope, [graph.Node("Mul", scope, [x, graph.ScalarConstant(scope + "/rsqrt2", 1 / Math.Sqrt(2), dtype)])]);
        var onePlus = graph.Node("Add", scope, [inner, graph.ScalarConstant(scope + "/one", 1, dtype)]);
        var half = graph.Node("Mul", scope, [x, graph.ScalarConstant(scope + "/half", 0.5, dtype)]);
        return graph.Node("Mul", scope, [half, onePlus]);
    }

    private string EmitReshape(string scope, string x, Shape input, Shape output, Module module)
    {
        if (DynamicShapes)
        {
            // Sizes from the graph: the dims around the (un)flattened ones are read with Shape, so any of them may vary.
            int rank = input.Rank;
            var (first, last, middle) = module switch
            {
                Flatten f => (Dim(f.StartDim, rank), Dim(f.EndDim, rank), new long[] { -1 }),
                Unflatten u => (Dim(u.Dim, rank), Dim(u.Dim, rank), u.Sizes.Select(v => (long)v).ToArray()),
                _ => throw Unsupported(module, scope, "is not a reshape"),
            };
            var parts = new List<string>();
            if (first > 0) parts.Add(ShapeOf(scope, x, 0, first));
            parts.Add(graph.Int64Constant(scope + "/sizes", middle));
            if (last + 1 < rank) parts.Add(ShapeOf(scope, x, last + 1, rank));
            return graph.Node("Reshape", scope, [x, parts.Count == 1 ? parts[0] : graph.Node("Concat", scope, [.. parts], Int("axis", 0))]);
        }
        // Every dimension is static except the batch (0): it is copied (ONNX Reshape's 0) when the module keeps it.
        var target = new long[output.Rank];
        for (int i = 0; i < output.Rank; i++) target[i] = output[i];
        if (dynamicBatch)
        {
            if (output.Rank == 0 || input.Rank == 0 || output[0] != input[0] || module is Flatten { StartDim: 0 } || module is Unflatten { Dim: 0 })
                throw Unsupported(module, scope, "reshapes the batch dimension, which a dynamic batch axis cannot follow (export with dynamicBatch: false)");
            target[0] = 0;
        }
        return graph.Node("Reshape", scope, [x, graph.Int64Constant(scope + "/shape", target)]);
    }

    private string EmitConv(Conv2d conv, string scope, string x)
    {
        string[] inputs = conv.Bias is { } b ? [x, State(conv.Weight), State(b)] : [x, State(conv.Weight)];
        return graph.Node("Conv", scope, inputs,
            Ints("kernel_shape", conv.KernelSize.H, conv.KernelSize.W), Ints("strides", conv.Stride.H, conv.Stride.W),
            Ints("pads", conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W),
            Ints("dilations", conv.Dilation.H, conv.Dilation.W), Int("group", conv.Groups));
    }

    private string EmitAvgPool(AvgPool2d pool, string scope, string x)
    {
        if (pool.DivisorOverride is not null) throw Unsupported(pool, scope, "has a divisorOverride, which ONNX AveragePool cannot express");
        if (pool.CeilMode) throw Unsupported(pool, scope, "uses ceilMode, whose partial-window divisor differs between PyTorch and ONNX AveragePool");
        return graph.Node("AveragePool", scope, [x],
            Ints("kernel_shape", pool.KernelSize.H, pool.KernelSize.W), Ints("strides", pool.Stride.H, pool.Stride.W),
            Ints("pads", pool.Padding.H, pool.Padding.W, pool.Padding.H, pool.Padding.W),
            Int("count_include_pad", pool.CountIncludePad ? 1 : 0));
    }

    private string EmitAdaptiveAvgPool(AdaptiveAvgPool2d pool, string scope, string x, Shape input)
    {
        if (pool.OutputSize == (1, 1)) return graph.Node("GlobalAveragePool", scope, [x]);
        if (DynamicShapes)
            throw Unsupported(pool, scope, $"pools to {pool.OutputSize.H}x{pool.OutputSize.W}, whose windows depend on the input size, with dynamic axes beyond the batch");
        var (h, w) = (input[^2], input[^1]);
        if (h % pool.OutputSize.H != 0 || w % pool.OutputSize.W != 0)
            throw Unsupported(pool, scope, $"pools {h}x{w} to {pool.OutputSize.H}x{pool.OutputSize.W}: uneven windows have no ONNX op");
        var (kh, kw) = (h / pool.OutputSize.H, w / pool.OutputSize.W);                 // even windows: a plain average pool
        return graph.Node("AveragePool", scope, [x], Ints("kernel_shape", kh, kw), Ints("strides", kh, kw));
    }

    private string EmitBatchNorm(BatchNormBase norm, string scope, string x, DType dtype)
    {
        if (norm.RunningMean is not { } mean || norm.RunningVar is not { } variance)
            throw Unsupported(norm, scope, "has no running statistics (trackRunningStats: false), so it normalizes with batch statistics even in eval mode");
        string scale = norm.Weight is { } w ? State(w) : graph.Initializer(graph.FreshName(scope + "/ones"), Tensor.Ones([norm.NumFeatures], dtype));
        string shift = norm.Bias is { } b ? State(b) : graph.Initializer(graph.FreshName(scope + "/zeros"), Tensor.Zeros([norm.NumFeatures], dtype));
        return graph.Node("BatchNormalization", scope, [x, scale, shift, State(mean), State(variance)], Float("epsilon", norm.Eps));
    }

    private string EmitLayerNorm(LayerNorm norm, string scope, string x, DType dtype)
    {
        string scale = norm.Weight is { } w ? State(w) : graph.Initializer(graph.FreshName(scope + "/ones"), Tensor.Ones([.. norm.NormalizedShape], dtype));
        string[] inputs = norm.Bias is { } b ? [x, scale, State(b)] : [x, scale];
        return graph.Node("LayerNormalization", scope, inputs, Int("axis", -norm.NormalizedShape.Count), Float("epsilon", norm.Eps));
    }

    private string EmitEmbedding(Embedding embedding, string scope, string x, DType inputType)
    {
        var indices = inputType == DType.Int64 ? x : graph.Node("Cast", scope, [x], Int("to", (long)TensorProto.Types.DataType.Int64));
        return graph.Node("Gather", scope, [State(embedding.Weight), indices], Int("axis", 0));
    }
}
